/**
 * Benchmark: the environment served for GRPO at rollout scale: 256 games in flight from trainer
 * processes (4 x 64), kb answering, the efficiency reward. Prints environment steps per second (a
 * /reset or a /step), request latency p50 and p99, the server's memory, and whether every game asked
 * for was played exactly once. Target (issue "Beyond one machine"): >= 5,000 steps/s on 2 cores.
 *
 *   npm run bench:env        (TRAINERS=4 CONCURRENCY=64 GAMES=1000 per trainer)
 */
import { loadEnvironment } from './env-load.js';

const trainers = Number(process.env.TRAINERS ?? 4);
const concurrency = Number(process.env.CONCURRENCY ?? 64);
const games = Number(process.env.GAMES ?? 1000);
console.log(`bench:env: ${trainers} trainer processes x ${concurrency} games in flight (${trainers * concurrency} at once), ${games} games each, 8 steps a game (the start, 6 questions and the guess), kb answering`);
for (const batch of [false, true]) {
  const f = await loadEnvironment({ trainers, concurrency, games, perGame: 6, batch });
  const asked = trainers * games;
  const played = f.trainers.reduce((n, t) => n + t.played.length, 0);
  const ids = new Set(f.recorded.map((g) => g.game));
  const lost = asked === played && played === f.recorded.length && ids.size === asked ? 'none lost, none twice' : 'MISMATCH';
  console.log(`\n${batch ? "batched: one request a turn for all of a trainer's live games" : 'one request a game and move'}`);
  console.log(
    `  ${f.steps} steps in ${f.seconds.toFixed(2)} s: ${(f.steps / f.seconds).toFixed(0)} steps/s (target >= 5000), ${f.requests} requests; request latency p50 ${f.latencyP50Ms.toFixed(2)} ms, p99 ${f.latencyP99Ms.toFixed(2)} ms`,
  );
  console.log(`  server memory: ${f.rssBeforeMb.toFixed(0)} MB before, ${f.rssPeakMb.toFixed(0)} MB peak (this process: the environment, not the trainers)`);
  console.log(`  games: ${asked} asked, ${played} answered to the trainers, ${f.recorded.length} recorded by the environment, ${ids.size} distinct: ${lost}`);
}
