/**
 * The fault benchmark: kill -9 at seeded random moments of every game and training stage of a small
 * pipeline (generate, evaluate, weighted-sft, dpo, grpo with the local policy), each kill followed by
 * --resume; every final file must be byte-identical to an uninterrupted run's (timing fields aside).
 * Prints each kill (stage, moment, where it found the run) and the outcome.
 *
 *   npm run bench:faults        (KILLS_PER_STAGE=4 by default, SEED=1)
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RunRecord } from '../framework/run/rundir.js';
import { packagePath } from '../framework/util/paths.js';
import { Rng } from '../framework/util/rng.js';
import { killAndResume, reference, type Trial } from './faults-harness.js';

const KILLS_PER_STAGE = Number(process.env.KILLS_PER_STAGE ?? 4);
const SEED = Number(process.env.SEED ?? 1);
const EXPERIMENT = packagePath('test/fixtures/mini-pipeline.yaml');
// mini-pipeline made long enough for a kill to land inside each stage (a second or more each)
const ARGS = [
  '--workers',
  '2',
  '--set',
  'stages.0.generate.games_per_animal=20',
  '--set',
  'stages.2.train.strategy.with.epochs=4',
  '--set',
  'stages.3.train.strategy.with.epochs=8',
  '--set',
  'stages.4.train.strategy.with.iterations=40',
  '--set',
  'stages.5.evaluate.games=9000',
];
const STAGES = ['games', 'sft', 'dpo', 'grpo', 'final'];

const root = mkdtempSync(join(tmpdir(), 'twentyq-bench-faults-'));
const whole = reference(EXPERIMENT, join(root, 'whole'), ARGS);
const seconds = new Map((JSON.parse(readFileSync(join(whole, 'run.json'), 'utf8')) as RunRecord).stages.map((s) => [s.name, s.seconds ?? 0]));
console.log(`twentyq bench:faults: ${KILLS_PER_STAGE} kills in each of ${STAGES.join(', ')} of test/fixtures/mini-pipeline.yaml (seed ${SEED})`);
console.log(`uninterrupted run: ${STAGES.map((s) => `${s} ${seconds.get(s)!.toFixed(2)}s`).join(', ')}\n`);

const rng = new Rng(SEED);
const trials: Trial[] = [];
let n = 0;
for (const stage of STAGES) {
  for (let k = 0; k < KILLS_PER_STAGE; k++) {
    // within the first 70% of the stage's time in the uninterrupted run, so that most kills land in it
    const moment = Math.round(rng.next() * 0.7 * seconds.get(stage)! * 1000);
    const trial = await killAndResume(EXPERIMENT, join(root, `trial-${++n}`), ARGS, { stage, moment }, whole);
    trials.push(trial);
    const outcome = trial.differences.length === 0 && trial.resumeCode === 0 ? 'identical' : `DIFFERENT (resume exit ${trial.resumeCode}; ${trial.differences.join(', ')})`;
    const litter = trial.leftovers.length > 0 ? ` (left behind: ${trial.leftovers.join(', ')})` : '';
    console.log(`kill ${String(n).padStart(2)}: ${stage.padEnd(5)} +${String(moment).padStart(5)} ms  ${trial.killed ? 'killed' : 'ended first'} at [${trial.at}] -> resume: ${outcome}${litter}`);
  }
}
const killed = trials.filter((t) => t.killed).length;
const bad = trials.filter((t) => t.differences.length > 0 || t.resumeCode !== 0).length;
const landed = trials.filter((t) => t.at.includes(`${t.stage}:running`)).length;
const littered = trials.filter((t) => t.leftovers.length > 0).length;
console.log(
  `\n${killed} kills, ${landed} of them in the stage aimed at (${trials.length - killed} runs ended before their kill); ${trials.length - bad} of ${trials.length} resumed runs byte-identical to the uninterrupted run; ${littered} left a temporary file behind`,
);
rmSync(root, { recursive: true, force: true });
process.exitCode = bad === 0 ? 0 : 1;
