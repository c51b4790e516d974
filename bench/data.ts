/**
 * Benchmark of the data half of the pipeline on 100,000 games: generate (noisy expert against a noisy
 * answerer, in the worker pool), audit, weighted SFT and DPO, each training set written in TRL format.
 * Runs experiments/data.yaml with the generate stage set to GAMES games.
 *
 *   npm run bench:data       (GAMES=20000 for a shorter run)
 */
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadExperiment } from '../framework/config/load.js';
import { createProgress } from '../framework/run/progress.js';
import { runExperiment } from '../framework/run/runner.js';
import type { RunRecord } from '../framework/run/rundir.js';
import { packagePath } from '../framework/util/paths.js';

const GAMES = Number(process.env.GAMES ?? 100_000);
const WORKERS = Number(process.env.WORKERS ?? 2);

const experiment = await loadExperiment(packagePath('experiments/data.yaml'));
const [generate] = experiment.stages;
if (generate?.kind !== 'generate') throw new Error('experiments/data.yaml must start with its generate stage');
experiment.stages[0] = { ...generate, games: GAMES, games_per_animal: undefined };
const dir = mkdtempSync(join(tmpdir(), 'twentyq-bench-data-'));
const start = performance.now();
const result = await runExperiment(experiment, { workers: WORKERS, runsDir: dir, progress: createProgress('silent') });
const total = (performance.now() - start) / 1000;
const run = JSON.parse(readFileSync(join(result.dir, 'run.json'), 'utf8')) as RunRecord;
const metrics = JSON.parse(readFileSync(join(result.dir, 'metrics.json'), 'utf8')) as { stages: Record<string, Record<string, number>> };

console.log(`twentyq bench:data: experiments/data.yaml on ${GAMES} games, ${WORKERS} workers`);
for (const stage of run.stages) {
  const size = stage.files.reduce((s, f) => s + statSync(join(result.dir, f)).size, 0);
  const m = metrics.stages[stage.name] ?? {};
  const what =
    stage.kind === 'generate'
      ? `${m.games} games, ${(GAMES / stage.seconds!).toFixed(0)} games/s`
      : stage.kind === 'audit'
        ? `${m.games} games audited, ${(m.games! / stage.seconds!).toFixed(0)} games/s`
        : `${m.trl_rows} TRL rows from ${m.games} games, ${(m.games! / stage.seconds!).toFixed(0)} games/s`;
  console.log(`  ${stage.name.padEnd(10)} ${stage.kind.padEnd(9)} ${stage.seconds!.toFixed(2).padStart(7)} s  ${(size / 1e6).toFixed(1).padStart(6)} MB  ${what}`);
}
console.log(`  total: ${total.toFixed(2)} s for generate + audit + both strategies (${run.status})`);
rmSync(dir, { recursive: true, force: true });
