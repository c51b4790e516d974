import { afterEach, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseExperiment } from '../../framework/config/load.js';
import type { Trajectory } from '../../framework/game/types.js';
import { startServer, type RunningServer } from '../../framework/llm/serve/index.js';
import type { FaultOptions } from '../../framework/llm/faults.js';
import { createProgress } from '../../framework/run/progress.js';
import type { RunRecord } from '../../framework/run/rundir.js';
import { runExperiment } from '../../framework/run/runner.js';

// A flaky endpoint, for real: `twentyq serve` failing on purpose, the real openai client, real retries.
const quiet = createProgress('silent');
let server: RunningServer | undefined;
afterEach(async () => {
  await server?.close();
});

async function play(faults: Partial<FaultOptions>, count: number) {
  server = await startServer({ domain: 'animals90', rules: { max_questions: 20, wrong_guess: 'continue' }, policy: 'infogain', answerer: 'kb', baseDir: process.cwd(), port: 0, faults: { seed: 4, ...faults } });
  const e = await parseExperiment(
    `name: flaky\nseed: 9\nstages:\n  - evaluate: { games: ${count}, policies: [{ use: api, label: flaky, with: { base_url: "${server.url}", model: infogain, api_key_env: null } }] }\n`,
    resolve('test/fixtures/flaky.yaml'),
  );
  const runsDir = mkdtempSync(join(tmpdir(), 'twentyq-flaky-'));
  const outcome = await runExperiment(e, { workers: 1, runsDir, progress: quiet, cache: null }).then(
    (result) => ({ result, error: undefined }),
    (error: Error) => ({ result: undefined, error }),
  );
  const dir = join(runsDir, 'flaky', readdirSync(join(runsDir, 'flaky'))[0]!);
  const games = readFileSync(join(dir, '01-evaluate.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Trajectory);
  return { ...outcome, games, run: JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8')) as RunRecord, metrics: existsSync(join(dir, 'metrics.json')) ? JSON.parse(readFileSync(join(dir, 'metrics.json'), 'utf8')) : undefined };
}

describe('an endpoint that fails', () => {
  it('one request in five (429 with Retry-After, 500, resets) and 5% garbled: no game lost, garbled replies are invalid moves', async () => {
    const { result, games, metrics } = await play({ fail_rate: 0.15, fail_status: [429, 500, 503], drop_rate: 0.05, garble_rate: 0.05 }, 180);
    expect(result?.status).toBe('completed');
    expect(games).toHaveLength(180);
    expect(games.filter((g) => g.outcome === 'error')).toEqual([]);
    const invalid = games.flatMap((g) => g.turns).filter((t) => t.move.kind === 'invalid');
    expect(invalid.length).toBeGreaterThan(10);
    expect(server!.stats.garbled).toBe(invalid.length);
    expect(server!.stats.failed + server!.stats.dropped).toBeGreaterThan(100);
    const usage = metrics.stages['01-evaluate'].usage.flaky;
    // every failure was retried: the requests sent are the calls plus the retries
    expect(usage.requests).toBe(usage.calls + server!.stats.failed + server!.stats.dropped);
    expect(usage.errors).toBe(0);
  });

  it('always: the stage fails with a clear message, and the run says it failed', async () => {
    const { error, run, games } = await play({ fail_rate: 1, fail_status: [503] }, 20);
    expect(error?.message).toMatch(/^01-evaluate: \d+ of the 20 games of policy flaky failed.*above max_error_rate 5\.0%\. The first error: .*503/);
    expect(run.status).toBe('failed');
    // what was played is on disk: the failed games, each with its error
    expect(games.length).toBeGreaterThan(0);
    expect(games.every((g) => g.outcome === 'error' && /503/.test(g.error!))).toBe(true);
  });
});
