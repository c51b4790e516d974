import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Trajectory } from '../../framework/game/types.js';
import { startServer, type RunningServer } from '../../framework/llm/serve/index.js';

/**
 * The evaluation gap's embedding cosine, end to end: the real `twentyq serve` answers /v1/embeddings on
 * 127.0.0.1, the built CLI runs a small experiment (teacher games, then two policies evaluated) whose
 * report names it, and the cosines in report.html are recomputed here from the same endpoint.
 */

const BIN = resolve('bin/run.js');
const env = { ...process.env, NODE_ENV: 'production', FORCE_COLOR: '0' };
const run = promisify(execFile);

let server: RunningServer;
beforeAll(async () => {
  server = await startServer({ domain: 'animals90', rules: { max_questions: 20, wrong_guess: 'continue' }, policy: 'infogain', answerer: 'kb', baseDir: process.cwd(), port: 0 });
});
afterAll(async () => {
  await server?.close();
});

function experiment(dir: string, embeddings: Record<string, unknown>): string {
  const file = join(dir, 'emb.yaml');
  writeFileSync(
    file,
    `name: emb
seed: 3
answerer: kb
reward: efficiency
stages:
  - generate: { name: teacher, policy: { use: infogain, with: { epsilon: 0.3 } }, games_per_animal: 2 }
  - evaluate: { name: eval, policies: [random, infogain], games_per_animal: 1 }
report:
  embeddings: ${JSON.stringify(embeddings)}
`,
  );
  return file;
}

/** Runs the built CLI without blocking this process's event loop: the server answers from here. */
async function cli(args: string[], cwd: string): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await run(process.execPath, [BIN, ...args], { env, cwd, encoding: 'utf8', timeout: 240_000 });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    return { code: e.code ?? -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

function runDir(cwd: string): string {
  const root = join(cwd, 'runs/emb');
  return join(root, readdirSync(root).sort().at(-1)!);
}

function games(file: string): Trajectory[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Trajectory);
}

const text = (t: Trajectory) =>
  t.turns
    .filter((turn) => turn.move.kind === 'question')
    .map((turn) => turn.move.text)
    .join('\n');

/** The gap table's rows: policy, token-F1 style, embedding cosine (as the data-sort attribute holds it, every digit). */
function gapRows(html: string): { policy: string; cells: string[]; embedding?: number }[] {
  const table = /<table class="sortable" id="[^"]*-gap">([\s\S]*?)<\/table>/.exec(html);
  expect(table).not.toBeNull();
  const body = /<tbody>([\s\S]*?)<\/tbody>/.exec(table![1]!)![1]!;
  return [...body.matchAll(/<tr>([\s\S]*?)<\/tr>/g)].map((m) => {
    const cells = [...m[1]!.matchAll(/<td[^>]*>([\s\S]*?)<\/td>/g)].map((c) => c[1]!);
    const emb = /data-sort="([^"]+)" class="emb"/.exec(m[1]!);
    return { policy: cells[1]!, cells, ...(emb ? { embedding: Number(emb[1]) } : {}) };
  });
}

async function embed(input: string[]): Promise<number[][]> {
  const r = await fetch(`${server.url}/embeddings`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'embed:hash', input, encoding_format: 'float' }) });
  expect(r.status).toBe(200);
  return ((await r.json()) as { data: { embedding: number[] }[] }).data.map((d) => d.embedding);
}

const cosine = (a: number[], b: number[]) => {
  let [ab, aa, bb] = [0, 0, 0];
  a.forEach((x, i) => {
    ab += x * b[i]!;
    aa += x * x;
    bb += b[i]! * b[i]!;
  });
  return aa === 0 || bb === 0 ? 0 : ab / Math.sqrt(aa * bb);
};

describe('the evaluation gap with an embeddings endpoint', () => {
  it("shows each evaluated policy's embedding cosine beside its token-F1 style, as recomputed from the same endpoint, at run end and with twentyq report", async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'twentyq-emb-'));
    const file = experiment(cwd, { base_url: server.url, model: 'embed:hash', api_key_env: null });
    const before = server.stats.embeddings;
    const r = await cli(['run', file, '-w', '1', '--no-cache', '--progress', 'none'], cwd);
    expect(r.stderr).not.toMatch(/report.html not written/);
    expect(r.code).toBe(0);
    expect(server.stats.embeddings).toBeGreaterThan(before);
    const dir = runDir(cwd);
    const html = readFileSync(join(dir, 'report.html'), 'utf8');
    expect(html).toContain('">embedding cosine</th>');
    expect(html).toMatch(/Spearman rank correlation, embedding cosine vs efficiency: <b id="[^"]*-rho-emb">(-?[01]\.\d{3}|undefined)<\/b>/);
    const rows = gapRows(html);
    expect(rows.map((row) => row.policy).sort()).toEqual(['infogain', 'random']);

    // recomputed here: the reference is the teacher's games (up to 20 per target), each evaluated game
    // takes its best cosine to those of its target, and a policy the mean over its games
    const refs = new Map<string, string[]>();
    for (const t of games(join(dir, 'teacher.jsonl'))) if (t.outcome !== 'error') refs.set(t.target, [...(refs.get(t.target) ?? []), text(t)].slice(0, 20));
    const evaluated = games(join(dir, 'eval.jsonl')).filter((t) => t.outcome !== 'error' && refs.has(t.target));
    const texts = [...new Set([...[...refs.values()].flat(), ...evaluated.map(text)])];
    const vectors = new Map((await embed(texts)).map((v, i) => [texts[i]!, v]));
    for (const row of rows) {
      const mine = evaluated.filter((t) => t.policy === row.policy);
      expect(mine.length).toBeGreaterThan(0);
      const expected = mine.map((t) => Math.max(...refs.get(t.target)!.map((ref) => cosine(vectors.get(text(t))!, vectors.get(ref)!)))).reduce((s, x) => s + x, 0) / mine.length;
      expect(row.embedding).toBeGreaterThanOrEqual(-1);
      expect(row.embedding).toBeLessThanOrEqual(1);
      expect(row.embedding).toBeCloseTo(expected, 10);
      console.log(`embedding cosine ${row.policy}: ${row.embedding!.toFixed(4)} (token F1 ${row.cells[2]!.replace(/<[^>]+>/g, '')})`);
    }

    // twentyq report draws the same table again from the run directory
    const again = await cli(['report', dir, '--out', join(cwd, 'again.html'), '--no-cache'], cwd);
    expect(again.code).toBe(0);
    expect(gapRows(readFileSync(join(cwd, 'again.html'), 'utf8')).map((row) => row.embedding)).toEqual(rows.map((row) => row.embedding));

    // through the endpoint layer's response cache: a second report asks the endpoint nothing
    const cache = join(cwd, 'responses.sqlite');
    expect((await cli(['report', dir, '--out', join(cwd, 'cached1.html'), '--cache', cache], cwd)).code).toBe(0);
    const asked = server.stats.embeddings;
    expect((await cli(['report', dir, '--out', join(cwd, 'cached2.html'), '--cache', cache], cwd)).code).toBe(0);
    expect(server.stats.embeddings).toBe(asked);
    expect(gapRows(readFileSync(join(cwd, 'cached2.html'), 'utf8')).map((row) => row.embedding)).toEqual(rows.map((row) => row.embedding));
  });

  it('writes the report without the score, saying why, when the endpoint cannot be reached; the run does not fail', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'twentyq-emb-dead-'));
    // port 9 (discard) on 127.0.0.1: nothing listens, the connection is refused
    const file = experiment(cwd, { base_url: 'http://127.0.0.1:9/v1', model: 'embed:hash', api_key_env: null, max_retries: 0 });
    const r = await cli(['run', file, '-w', '1', '--no-cache', '--progress', 'none'], cwd);
    expect(r.code).toBe(0);
    const html = readFileSync(join(runDir(cwd), 'report.html'), 'utf8');
    expect(html).toMatch(/The embedding cosine is missing: endpoint http:\/\/127\.0\.0\.1:9\/v1, embedding model embed:hash: [^<]*Connection error/);
    expect(html).not.toContain('">embedding cosine</th>');
    // the token-F1 style is there all the same
    expect(
      gapRows(html)
        .map((row) => row.policy)
        .sort(),
    ).toEqual(['infogain', 'random']);
  });

  it('checks report.embeddings like any endpoint option: base_url and model are required', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'twentyq-emb-bad-'));
    const r = await cli(['run', experiment(cwd, { base_url: 'localhost:8000', modle: 'embed:hash' }), '--progress', 'none'], cwd);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('report.embeddings: missing required field "model"');
    expect(r.stderr).toContain('report.embeddings.modle: unknown field "modle"; did you mean "model"?');
    expect(r.stderr).toContain('report.embeddings.base_url: expected text matching ^https?://');
  });
});
