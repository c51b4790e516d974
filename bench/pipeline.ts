/**
 * Benchmark of the main job: experiments/pipeline.yaml end to end (generate, audit, four trainings
 * and six evaluations), with its time per stage, in all, and the games per second of GRPO's rollouts.
 *
 *   npm run bench:pipeline       (WORKERS=1 for one worker)
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadExperiment } from '../framework/config/load.js';
import { stageFiles } from '../framework/stages/index.js';
import { createProgress } from '../framework/run/progress.js';
import { runExperiment } from '../framework/run/runner.js';
import type { RunRecord } from '../framework/run/rundir.js';
import { packagePath } from '../framework/util/paths.js';

const WORKERS = Number(process.env.WORKERS ?? 2);
const experiment = await loadExperiment(packagePath('experiments/pipeline.yaml'));
const dir = mkdtempSync(join(tmpdir(), 'twentyq-bench-pipeline-'));
const start = performance.now();
const result = await runExperiment(experiment, { workers: WORKERS, runsDir: dir, progress: createProgress('silent') });
const total = (performance.now() - start) / 1000;
const run = JSON.parse(readFileSync(join(result.dir, 'run.json'), 'utf8')) as RunRecord;

console.log(`twentyq bench:pipeline: experiments/pipeline.yaml, ${WORKERS} workers, ${run.status}`);
for (const stage of run.stages) console.log(`  ${stage.name.padEnd(18)} ${stage.kind.padEnd(9)} ${stage.seconds!.toFixed(2).padStart(7)} s`);
const grpo = run.stages.find((s) => s.name === 'grpo')!;
const curve = readFileSync(join(result.dir, stageFiles(grpo).curve!), 'utf8')
  .trim()
  .split('\n')
  .map((l) => JSON.parse(l) as { games_per_s: number });
const rate = curve.reduce((s, r) => s + r.games_per_s, 0) / curve.length;
console.log(`  total: ${total.toFixed(1)} s (target: at most 600 s on 2 cores)`);
console.log(`  GRPO: ${curve.length} iterations in ${grpo.seconds!.toFixed(1)} s (${(grpo.seconds! / curve.length).toFixed(2)} s each); rollouts ${rate.toFixed(0)} games/s`);
console.log(`\n${result.summary}`);
rmSync(dir, { recursive: true, force: true });
