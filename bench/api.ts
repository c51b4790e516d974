/**
 * Benchmark: the api policy against `twentyq serve --policy infogain` (a real server in another
 * process, real HTTP, the real openai client), through the same path as an evaluate stage. Prints
 * requests per second and the CPU time of this process per request (the framework's cost: engine,
 * rendering, client, accounting), with no added latency and with 200 ms per reply.
 *
 *   npm run bench:api            (GAMES=900 by default)
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseExperiment } from '../framework/config/load.js';
import { createProgress } from '../framework/run/progress.js';
import { runExperiment } from '../framework/run/runner.js';
import { packagePath } from '../framework/util/paths.js';

const GAMES = Number(process.env.GAMES ?? 900);
const dir = mkdtempSync(join(tmpdir(), 'twentyq-bench-api-'));

/**
 * `twentyq serve` in a child process; resolves with its URL once it listens. Not a launch of the run:
 * a run stops the servers it launched when it ends, and this one outlives the warm-up run.
 */
function serve(args: string[]): Promise<{ url: string; stop(): void }> {
  const child = spawn(process.execPath, [packagePath('bin/run.js'), 'serve', '--port', '0', ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += String(d);
      const url = /listening on (http:\S+)/.exec(out)?.[1];
      if (url) resolve({ url, stop: () => child.kill('SIGTERM') });
    });
    child.on('exit', (code) => reject(new Error(`twentyq serve exited with ${code}`)));
  });
}

async function measure(label: string, serverArgs: string[], concurrency: number): Promise<void> {
  const server = await serve(serverArgs);
  const stage = (games: number) =>
    parseExperiment(
      `name: bench-api\nseed: 1\nstages:\n  - evaluate: { games: ${games}, policies: [{ use: api, label: api, with: { base_url: "${server.url}", model: infogain, api_key_env: null, concurrency: ${concurrency} } }] }\n`,
      join(dir, 'bench.yaml'),
    );
  // warm-up: modules loaded, the JIT past the hot loops, connections open; then the steady state is measured
  await runExperiment(await stage(90), { workers: 1, runsDir: dir, progress: createProgress('silent'), cache: null });
  const experiment = await stage(GAMES);
  const cpu = process.cpuUsage();
  const start = performance.now();
  const result = await runExperiment(experiment, { workers: 1, runsDir: dir, progress: createProgress('silent'), cache: null });
  const seconds = (performance.now() - start) / 1000;
  const used = process.cpuUsage(cpu);
  server.stop();
  const m = result.rows[0]!.metrics;
  const requests = Math.round(m.avg_questions * m.games);
  const cpuMs = (used.user + used.system) / 1000 / requests;
  console.log(
    `${label.padEnd(34)} ${requests} requests in ${seconds.toFixed(2)} s: ${(requests / seconds).toFixed(0)} requests/s, ` +
      `CPU ${cpuMs.toFixed(3)} ms per request (this process), success ${(100 * m.success).toFixed(1)}%, ${m.avg_questions.toFixed(2)} questions`,
  );
}

console.log(`twentyq bench:api: ${GAMES} games of the api policy against twentyq serve --policy infogain, no cache`);
await measure('no added latency, concurrency 64', [], 64);
await measure('--latency-ms 200, concurrency 128', ['--latency-ms', '200'], 128);
console.log('targets: at most 1 ms of CPU per request; at least 400 requests/s at 200 ms latency and concurrency 128');
rmSync(dir, { recursive: true, force: true });
