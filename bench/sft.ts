/**
 * Benchmark of the trl backend's SFT speed by how a step's rows are computed: experiments/tiny-lm-rl.yaml's
 * teacher and weighted-SFT stage (EPOCHS epochs of its 2,464 rows, 550 to 1,028 tokens each, batches
 * of 16), once per variant of the trl options micro_batch_size and train_sampling. Prints each run's
 * seconds (the Python start included) and its loss at the end, and each one's time as a ratio of the
 * first's: within one run, so that the machine's noise cancels. `random` with a micro batch trains on
 * the same rows in the same steps as without (the same loss, to float rounding); `batch_rebalance`
 * draws its own random steps.
 *
 *   npm run bench:sft       (needs `twentyq setup python`; EPOCHS=1 THREADS=2 by default)
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadExperiment } from '../framework/config/load.js';
import { createProgress } from '../framework/run/progress.js';
import { runExperiment } from '../framework/run/runner.js';
import type { RunRecord } from '../framework/run/rundir.js';
import { packagePath } from '../framework/util/paths.js';

const EPOCHS = Number(process.env.EPOCHS ?? 1);
const THREADS = Number(process.env.THREADS ?? 2);
const VARIANTS: { micro_batch_size: number | null; train_sampling: string }[] = [
  { micro_batch_size: null, train_sampling: 'random' },
  { micro_batch_size: 4, train_sampling: 'random' },
  { micro_batch_size: 8, train_sampling: 'batch_rebalance' },
  { micro_batch_size: 4, train_sampling: 'batch_rebalance' },
];

const base = await loadExperiment(packagePath('experiments/tiny-lm-rl.yaml'));
const teacher = base.stages.find((s) => s.name === 'teacher');
const train = base.stages.find((s) => s.name === 'weighted-sft');
if (teacher?.kind !== 'generate' || train?.kind !== 'train') throw new Error('experiments/tiny-lm-rl.yaml must have its teacher and weighted-sft stages');
const dir = mkdtempSync(join(tmpdir(), 'twentyq-bench-sft-'));
console.log(`twentyq bench:sft: tiny-lm-rl.yaml's weighted SFT, ${EPOCHS} epoch(s), threads ${THREADS}; runs in ${dir}`);
let first: number | undefined;
for (const variant of VARIANTS) {
  const experiment = {
    ...base,
    name: `bench-sft-${variant.train_sampling}-${variant.micro_batch_size ?? 'whole'}`,
    policy: { ...base.policy, with: { ...base.policy.with, ...variant, threads: THREADS, save_steps: 100000 } },
    stages: [teacher, { ...train, strategy: { ...train.strategy, with: { ...train.strategy.with, epochs: EPOCHS } } }],
  };
  const result = await runExperiment(experiment, { workers: 2, runsDir: dir, progress: createProgress('silent') });
  const run = JSON.parse(readFileSync(join(result.dir, 'run.json'), 'utf8')) as RunRecord;
  const stage = run.stages.find((s) => s.name === 'weighted-sft')!;
  const curve = readFileSync(join(result.dir, 'weighted-sft.curve.jsonl'), 'utf8').trim().split('\n');
  const last = JSON.parse(curve.at(-1)!) as { step: number; loss: number };
  const seconds = stage.seconds!;
  first ??= seconds;
  const name = `${variant.train_sampling}, micro batch ${variant.micro_batch_size ?? 'none (16)'}`;
  console.log(`  ${name.padEnd(36)} ${seconds.toFixed(1).padStart(7)} s  x${(seconds / first).toFixed(2)}  ${last.step} steps, loss at the end ${last.loss.toFixed(4)}`);
}
