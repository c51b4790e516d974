import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseExperiment } from '../../framework/config/load.js';
import type { Trajectory } from '../../framework/game/types.js';
import { startServer, type RunningServer } from '../../framework/llm/serve/index.js';
import { createProgress } from '../../framework/run/progress.js';
import { runExperiment } from '../../framework/run/runner.js';

// The api policy through real HTTP: the real openai client against `twentyq serve` on 127.0.0.1.
const quiet = createProgress('silent');
let server: RunningServer;
let cache: string;

beforeAll(async () => {
  server = await startServer({ domain: 'animals90', rules: { max_questions: 20, wrong_guess: 'continue' }, policy: 'infogain', answerer: 'kb', baseDir: process.cwd(), port: 0 });
  cache = join(mkdtempSync(join(tmpdir(), 'twentyq-api-')), 'responses.sqlite');
});
afterAll(async () => {
  await server.close();
});

const experiment = (extra = '') =>
  parseExperiment(
    `name: api\nseed: 3\nstages:\n  - evaluate:\n      games_per_animal: 1\n      policies:\n        - infogain\n` +
      `        - { use: api, label: api-text, with: { base_url: "${server.url}", model: infogain, api_key_env: null${extra} } }\n` +
      `        - { use: api, label: api-tools, with: { base_url: "${server.url}", model: infogain, api_key_env: null, format: tools${extra} } }\n`,
    resolve('test/fixtures/api.yaml'),
  );

async function run(extra = '') {
  const runsDir = mkdtempSync(join(tmpdir(), 'twentyq-api-runs-'));
  const result = await runExperiment(await experiment(extra), { workers: 1, runsDir, progress: quiet, cache });
  const games = readFileSync(join(result.dir, '01-evaluate.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Trajectory);
  return { result, games, metrics: JSON.parse(readFileSync(join(result.dir, 'metrics.json'), 'utf8')) };
}

/** A game without who played it and what the model said: the moves and answers only. */
const bare = (g: Trajectory) => ({
  target: g.target,
  outcome: g.outcome,
  turns: g.turns.map((t) => ({ kind: t.move.kind, text: t.move.text, answer: t.answer, ...(t.move.kind === 'guess' ? { candidate: t.move.candidate } : {}) })),
});

describe('the api policy', () => {
  it('plays infogain served over HTTP game for game, as text and with tools; a rerun sends no request', async () => {
    const first = await run();
    const by = (label: string) => first.games.filter((g) => g.policy === label).map(bare);
    expect(by('infogain')).toHaveLength(90);
    expect(by('api-text')).toEqual(by('infogain'));
    expect(by('api-tools')).toEqual(by('infogain'));
    const rows = Object.fromEntries(first.result.rows.map((r) => [r.policy, r.metrics]));
    expect(rows['api-text']!.avg_questions).toBe(rows.infogain!.avg_questions);
    expect(rows['api-tools']!.success).toBe(1);
    // every move keeps what the model said and what it cost
    const move = first.games.find((g) => g.policy === 'api-tools')!.turns[0]!.move;
    expect(move.raw).toMatch(/"name":"ask"/);
    expect(move.usage).toMatchObject({ prompt_tokens: expect.any(Number), completion_tokens: expect.any(Number), cached: false });
    const usage = first.metrics.stages['01-evaluate'].usage;
    const questions = (label: string) => first.games.filter((g) => g.policy === label).reduce((n, g) => n + g.turns.length, 0);
    expect(usage['api-text']).toMatchObject({ requests: questions('api-text'), cache_hits: 0, errors: 0 });
    expect(first.result.summary).toMatch(/01-evaluate model calls: api-text: \d+ req, 0 hits/);

    // the same experiment again: every reply comes from the cache
    const before = server.stats.completions;
    // a new run: a fresh ledger, the same cache file
    const again = await run();
    expect(server.stats.completions).toBe(before);
    expect(again.games.map(bare)).toEqual(first.games.map(bare));
    expect(again.metrics.stages['01-evaluate'].usage['api-text']).toMatchObject({ requests: 0, cache_hits: questions('api-text') });
  });

  it('without its key, stops at once naming the variable', async () => {
    const e = await parseExperiment(
      `name: nokey\nstages:\n  - evaluate: { games: 3, policies: [{ use: api, with: { base_url: "${server.url}", model: infogain, api_key_env: TWENTYQ_TEST_NO_SUCH_KEY } }] }\n`,
      resolve('test/fixtures/x.yaml'),
    );
    const runsDir = mkdtempSync(join(tmpdir(), 'twentyq-api-runs-'));
    await expect(runExperiment(e, { workers: 1, runsDir, progress: quiet, cache: null })).rejects.toThrow(/set the environment variable TWENTYQ_TEST_NO_SUCH_KEY/);
    expect(readdirSync(runsDir)).toHaveLength(1);
  });
});

describe('the llm answerer', () => {
  it('a model child answering from the table plays the games kb plays, and its agreement with the table is reported', async () => {
    const e = await parseExperiment(
      // an llm child's "unknown" is vague, the kb's says a fact is unknown: the expert reads both two-way here, to play the same games
      `name: child\nseed: 5\npolicy: { use: infogain, with: { unknown: two-way } }\nstages:\n  - evaluate:\n      games_per_animal: 1\n      answerer: { use: llm, label: child, with: { base_url: "${server.url}", model: "answerer:kb", api_key_env: null } }\n  - evaluate: { name: table, games_per_animal: 1, answerer: kb }\n`,
      resolve('test/fixtures/child.yaml'),
    );
    const runsDir = mkdtempSync(join(tmpdir(), 'twentyq-api-runs-'));
    const result = await runExperiment(e, { workers: 1, runsDir, progress: quiet, cache: null });
    const read = (name: string) =>
      readFileSync(join(result.dir, `${name}.jsonl`), 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as Trajectory);
    const child = read('01-evaluate');
    expect(child.map((g) => g.turns.map((t) => [t.move.text, t.answer]))).toEqual(read('table').map((g) => g.turns.map((t) => [t.move.text, t.answer])));
    expect(child[0]!.turns[0]).toMatchObject({ answer_raw: expect.stringMatching(/^(Yes|No)\.$/), answer_usage: { cached: false } });
    const metrics = JSON.parse(readFileSync(join(result.dir, 'metrics.json'), 'utf8'));
    const agreement = metrics.stages['01-evaluate'].answerer_agreement;
    expect(agreement.checked).toBeGreaterThan(400);
    expect(agreement).toMatchObject({ agreed: agreement.checked, rate: 1, unparsed: 0 });
    expect(metrics.stages.table.answerer_agreement).toBeUndefined();
    expect(result.summary).toMatch(/01-evaluate: answerer child agrees with the truth table on 100\.0% of \d+ answers/);
  });

  it('wrapped by noisy, it still runs as a model: in the main process, its calls accounted', async () => {
    const e = await parseExperiment(
      `name: noisy-child\nseed: 5\npolicy: { use: infogain, with: { unknown: two-way } }\nstages:\n  - evaluate:\n      games: 30\n      answerer: { use: noisy, with: { p: 0, answerer: { use: llm, label: child, with: { base_url: "${server.url}", model: "answerer:kb", api_key_env: null } } } }\n  - evaluate: { name: table, games: 30, answerer: kb }\n`,
      resolve('test/fixtures/noisy-child.yaml'),
    );
    const result = await runExperiment(e, { workers: 2, runsDir: mkdtempSync(join(tmpdir(), 'twentyq-api-runs-')), progress: quiet, cache: null });
    const read = (name: string) =>
      readFileSync(join(result.dir, `${name}.jsonl`), 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as Trajectory);
    expect(read('01-evaluate').map((g) => g.turns.map((t) => t.answer))).toEqual(read('table').map((g) => g.turns.map((t) => t.answer)));
    const metrics = JSON.parse(readFileSync(join(result.dir, 'metrics.json'), 'utf8'));
    expect(metrics.stages['01-evaluate'].usage.child.requests).toBeGreaterThan(30);
  });
});
