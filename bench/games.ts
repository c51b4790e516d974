/**
 * Benchmark: games per second of the expert (infogain) against the knowledge base, through the same
 * path as an evaluate stage (worker pool, batches, JSONL written to disk), with 1 and with 2 workers.
 * The two settings alternate for ROUNDS rounds and the medians are compared, since shared machines
 * are noisy.
 *
 *   npm run bench            (GAMES=100000 ROUNDS=5 npm run bench for a longer run)
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadExperiment } from '../framework/config/load.js';
import { PACKED_FIELDS } from '../framework/metrics/outcome.js';
import { PluginFactory } from '../framework/plugins/factory.js';
import { playInBatches } from '../framework/run/batches.js';
import { gameSpecs } from '../framework/run/games.js';
import { GamePool } from '../framework/run/pool.js';
import { JsonlWriter } from '../framework/run/jsonl.js';
import { packagePath } from '../framework/util/paths.js';

const GAMES = Number(process.env.GAMES ?? 45_000);
const ROUNDS = Number(process.env.ROUNDS ?? 3);

const experiment = await loadExperiment(packagePath('experiments/quickstart.yaml'));
const factory = await PluginFactory.forDomain(experiment.domain, experiment.game, experiment.baseDir);
const infogain = experiment.policy;
const base = {
  stage: 'bench',
  setup: { domain: experiment.domain, rules: experiment.game, baseDir: experiment.baseDir },
  policy: infogain,
  answerer: experiment.answerer,
  reward: experiment.reward,
};
const dir = mkdtempSync(join(tmpdir(), 'twentyq-bench-'));

async function measure(workers: number): Promise<{ seconds: number; rate: number; bytes: number; wins: number }> {
  const pool = new GamePool(workers);
  // Warm-up: start the threads, build the plugins in each, let the JIT see the hot loops.
  await playInBatches(pool, base, gameSpecs(99, 'warmup', { games: 4000 }, factory.domain), { onResult() {} });
  const specs = gameSpecs(experiment.seed, 'bench', { games: GAMES }, factory.domain);
  const file = join(dir, `bench-${workers}.jsonl`);
  rmSync(file, { force: true });
  const out = new JsonlWriter(file);
  let wins = 0;
  const start = process.hrtime.bigint();
  await playInBatches(pool, base, specs, {
    onResult(result) {
      out.write(result.jsonl);
      for (let r = 2; r < result.summaries.length; r += PACKED_FIELDS) wins += result.summaries[r]!;
    },
  });
  out.close();
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  await pool.destroy();
  return { seconds, rate: GAMES / seconds, bytes: statSync(out.path).size, wins };
}

console.log(`twentyq bench: infogain vs kb on ${factory.domain.name}, ${GAMES} games per run, trajectories written as JSONL, ${ROUNDS} rounds`);
const rates = new Map<number, number[]>([
  [1, []],
  [2, []],
]);
for (let round = 1; round <= ROUNDS; round++) {
  for (const workers of [1, 2]) {
    const r = await measure(workers);
    rates.get(workers)!.push(r.rate);
    console.log(
      `  round ${round}, ${workers} worker${workers > 1 ? 's' : ' '}: ${r.rate.toFixed(0).padStart(7)} games/s  (${r.seconds.toFixed(2)} s, ${(r.bytes / 1e6).toFixed(1)} MB JSONL, success ${((100 * r.wins) / GAMES).toFixed(1)}%)`,
    );
  }
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const one = median(rates.get(1)!);
const two = median(rates.get(2)!);
console.log(`median: 1 worker ${one.toFixed(0)} games/s, 2 workers ${two.toFixed(0)} games/s, speed-up ${(two / one).toFixed(2)}x`);
console.log('targets: >= 20000 games/s with 2 workers, 2 workers >= 1.6x faster than 1');
rmSync(dir, { recursive: true, force: true });
