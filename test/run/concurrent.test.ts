import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseExperiment } from '../../framework/config/load.js';
import type { Trajectory } from '../../framework/game/types.js';
import type { ServerEvent } from '../../framework/llm/launches.js';
import type { UsageLine } from '../../framework/llm/usage.js';
import { startServer, type RunningServer } from '../../framework/llm/serve/index.js';
import { createProgress } from '../../framework/run/progress.js';
import { runExperiment } from '../../framework/run/runner.js';

// Two experiments in one process at once, each through its own model layer: the api policy against a
// `twentyq serve` of its own (real HTTP on 127.0.0.1), then against a server each run launches with the
// same command line. Nothing of one run may reach the other: calls, accounting, files, servers.
const jsonl = <T>(file: string) =>
  readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as T);
const servers: RunningServer[] = [];
const rules = { max_questions: 20, wrong_guess: 'continue' as const };

beforeAll(async () => {
  // different latencies: the two runs' requests interleave rather than one run finishing first
  for (const latency_ms of [2, 5]) servers.push(await startServer({ domain: 'animals90', rules, policy: 'infogain', answerer: 'kb', baseDir: process.cwd(), port: 0, faults: { latency_ms } }));
});
afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
});

const experiment = (name: string, url: string, games: number) =>
  parseExperiment(
    `name: ${name}\nseed: 4\nstages:\n` +
      `  - evaluate: { name: given, games: ${games}, policies: [{ use: api, label: api, with: { base_url: "${url}", model: infogain, api_key_env: null, concurrency: 8 } }] }\n` +
      `  - evaluate: { name: launched, games: ${games}, policies: [{ use: api, label: api, with: { model: infogain, api_key_env: null, launch: "twentyq serve --port {PORT}" } }] }\n`,
    resolve(`test/fixtures/${name}.yaml`),
  );

describe('two experiments at once in one process', () => {
  it('each with its own endpoints, accounting, usage.jsonl, launched server and files', async () => {
    const runsDir = mkdtempSync(join(tmpdir(), 'twentyq-concurrent-'));
    const [a, b] = await Promise.all([
      experiment('one', servers[0]!.url, 45).then((e) => runExperiment(e, { workers: 1, runsDir, progress: createProgress('silent'), cache: null })),
      experiment('two', servers[1]!.url, 90).then((e) => runExperiment(e, { workers: 1, runsDir, progress: createProgress('silent'), cache: null })),
    ]);
    expect([a.status, b.status]).toEqual(['completed', 'completed']);
    expect(a.dir).not.toBe(b.dir);
    for (const [run, games, server] of [
      [a, 45, servers[0]!],
      [b, 90, servers[1]!],
    ] as const) {
      const played = (stage: string) => jsonl<Trajectory>(join(run.dir, `${stage}.jsonl`));
      const questions = (stage: string) => played(stage).reduce((n, g) => n + g.turns.length, 0);
      for (const stage of ['given', 'launched']) {
        expect(played(stage)).toHaveLength(games);
        expect(played(stage).every((g) => g.outcome === 'win')).toBe(true);
      }
      // every request its given server answered was this run's, and counted by this run alone
      expect(server.stats.completions).toBe(questions('given'));
      const metrics = JSON.parse(readFileSync(join(run.dir, 'metrics.json'), 'utf8'));
      for (const stage of ['given', 'launched']) expect(metrics.stages[stage].usage.api).toMatchObject({ calls: questions(stage), requests: questions(stage), errors: 0 });
      const usage = jsonl<UsageLine>(join(run.dir, 'usage.jsonl'));
      expect(usage.filter((l) => l.stage === 'given')).toHaveLength(questions('given'));
      expect(usage.filter((l) => l.stage === 'launched')).toHaveLength(questions('launched'));
      // one launched server per run, though both name the same command; started and stopped by its own run
      const events = jsonl<ServerEvent>(join(run.dir, 'servers', 'events.jsonl'));
      expect(events.map((e) => [e.event, e.server, e.stage])).toEqual([
        ['start', 'api', 'launched'],
        ['stop', 'api', 'launched'],
      ]);
    }
    const pid = (dir: string) => Number(/pid (\d+)/.exec(readFileSync(join(dir, 'servers', 'api.log'), 'utf8'))![1]);
    expect(pid(a.dir)).not.toBe(pid(b.dir));
  });
});
