import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startServer, type RunningServer } from '../../framework/llm/serve/index.js';

// An API stage as a user runs it: the CLI in a child process, `twentyq serve` on 127.0.0.1 as the endpoint.
const BIN = resolve('bin/run.js');
const SENTINEL = 'sk-twentyq-SENTINEL-7f3a9c';
const env = { ...process.env, NODE_ENV: 'production', FORCE_COLOR: '0', TWENTYQ_TEST_KEY: SENTINEL };
let server: RunningServer;
let dir: string;

beforeAll(async () => {
  server = await startServer({ domain: 'animals90', rules: { max_questions: 20, wrong_guess: 'continue' }, policy: 'infogain', answerer: 'kb', baseDir: process.cwd(), port: 0, faults: { latency_ms: 5 } });
  dir = mkdtempSync(join(tmpdir(), 'twentyq-cli-api-'));
  writeFileSync(
    join(dir, 'api.yaml'),
    `name: api\nseed: 2\nstages:\n  - evaluate: { games_per_animal: 2, policies: [{ use: api, label: model, with: { base_url: "${server.url}", model: infogain, api_key_env: TWENTYQ_TEST_KEY, concurrency: 8 } }] }\n`,
  );
});
afterAll(() => server.close());

/** The CLI to its end, without blocking this process: the server under test lives here. */
function cli(args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [BIN, ...args], { env });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += String(d)));
  child.stderr.on('data', (d) => (stderr += String(d)));
  return new Promise((done) => child.on('exit', (status) => done({ status, stdout, stderr })));
}

const runDirs = (out: string) => readdirSync(join(out, 'api')).map((id) => join(out, 'api', id));

/** Every file under a folder, as text (binary files included, for a search). */
function everything(folder: string): string {
  return readdirSync(folder, { recursive: true, encoding: 'utf8' })
    .map((f) => join(folder, f))
    .filter((f) => statSync(f).isFile())
    .map((f) => readFileSync(f, 'latin1'))
    .join('\n');
}

describe('an API stage from the command line', () => {
  it('Ctrl-C, then --resume: the files of an uninterrupted run; the key is nowhere', async () => {
    const whole = join(dir, 'whole');
    const reference = await cli(['run', join(dir, 'api.yaml'), '--out', whole, '--no-cache', '--progress', 'none']);
    expect(reference.status, reference.stderr).toBe(0);

    const out = join(dir, 'cut');
    const cache = join(dir, 'cache', 'responses.sqlite');
    const child = spawn(process.execPath, [BIN, 'run', join(dir, 'api.yaml'), '--out', out, '--cache', cache, '--progress', 'none'], { env });
    let output = '';
    child.stdout.on('data', (d) => (output += String(d)));
    child.stderr.on('data', (d) => (output += String(d)));
    // interrupt once the first games are on disk
    const poll = setInterval(() => {
      try {
        const [run] = runDirs(out);
        if (run && readFileSync(join(run, '01-evaluate.jsonl'), 'utf8').split('\n').length > 20) {
          clearInterval(poll);
          child.kill('SIGINT');
        }
      } catch {
        // not there yet
      }
    }, 5);
    const code = await new Promise<number | null>((done) => child.on('exit', done));
    clearInterval(poll);
    expect(code, output).toBe(130);
    const [run] = runDirs(out);
    expect(JSON.parse(readFileSync(join(run!, 'run.json'), 'utf8')).status).toBe('interrupted');
    const kept = readFileSync(join(run!, '01-evaluate.jsonl'), 'utf8').trim().split('\n').length;
    expect(kept).toBeLessThan(180);

    const resumed = await cli(['run', '--resume', run!, '--cache', cache, '--progress', 'none']);
    expect(resumed.status, resumed.stderr).toBe(0);
    // the moves and outcomes of every game as an uninterrupted run wrote them (what a model said is kept too; only latency and the cache flag differ)
    const strip = (text: string) => text.replace(/"latency_ms":[\d.]+/g, '').replace(/"cached":(true|false)/g, '');
    expect(strip(readFileSync(join(run!, '01-evaluate.jsonl'), 'utf8'))).toBe(strip(readFileSync(join(runDirs(whole)[0]!, '01-evaluate.jsonl'), 'utf8')));

    // no secret anywhere: run directories, the cache, what was printed
    for (const text of [everything(whole), everything(out), everything(join(dir, 'cache')), output, reference.stdout + reference.stderr, resumed.stdout + resumed.stderr]) {
      expect(text).not.toContain(SENTINEL);
    }
  });

  it('llm-child.yaml validates without a key; run stops at once naming the variable to set', async () => {
    const noKey: NodeJS.ProcessEnv = { ...env };
    delete noKey.OPENAI_API_KEY;
    const ok = spawnSync(process.execPath, [BIN, 'validate', 'experiments/llm-child.yaml'], { env: noKey, encoding: 'utf8' });
    expect(ok.status, ok.stderr).toBe(0);
    const started = Date.now();
    const r = spawnSync(process.execPath, [BIN, 'run', 'experiments/llm-child.yaml', '--out', join(dir, 'nokey'), '--no-cache', '--progress', 'none'], { env: noKey, encoding: 'utf8' });
    expect(r.status).toBe(1);
    // said by preflight, before the run makes its directory
    expect(r.stderr).toContain('api_key_env: the environment variable OPENAI_API_KEY is not set: export OPENAI_API_KEY=<your key>');
    expect(existsSync(join(dir, 'nokey', 'llm-child'))).toBe(false);
    expect(Date.now() - started).toBeLessThan(15_000);
  });

  it('api-local.yaml launches twentyq serve and both api policies play infogain game for game; a rerun sends no request', async () => {
    const out = join(dir, 'local');
    const cache = join(dir, 'local-cache.sqlite');
    const args = ['run', 'experiments/api-local.yaml', '--out', out, '--cache', cache, '--set', 'stages.0.evaluate.games_per_animal=1', '--progress', 'none'];
    const first = await cli([...args.slice(0, -2), '--progress', 'lines']);
    expect(first.status, first.stderr).toBe(0);
    // the last progress line of the stage says what its summary says of the model calls
    const summary = /01-evaluate model calls: (.*)/.exec(first.stdout)![1]!;
    const lastLine = first.stderr
      .split('\n')
      .filter((l) => l.startsWith('01-evaluate '))
      .at(-1)!;
    const counts = (text: string) => text.replace(/, p50 \d+ ms/g, '');
    expect(counts(lastLine)).toContain(counts(summary));
    const runs = readdirSync(join(out, 'api-local')).map((id) => join(out, 'api-local', id));
    const games = readFileSync(join(runs[0]!, '01-evaluate.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { policy: string; target: string; outcome: string; turns: { move: { text: string }; answer?: string }[] });
    const by = (label: string) => games.filter((g) => g.policy === label).map((g) => [g.target, g.outcome, g.turns.map((t) => [t.move.text, t.answer])]);
    expect(by('infogain')).toHaveLength(90);
    expect(by('api-text')).toEqual(by('infogain'));
    expect(by('api-tools')).toEqual(by('infogain'));
    // the server was launched, logged in the run directory, and stopped at the end
    expect(readFileSync(join(runs[0]!, 'servers', 'api-text.log'), 'utf8')).toMatch(/stopped \(SIGTERM\) after \d+ requests/);
    const again = await cli(args);
    expect(again.status, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/model calls: api-text: 0 req, \d+ hits, 0 tok; api-tools: 0 req, \d+ hits, 0 tok/);
  });

  it('a response cache with damaged pages stops the stage at once, naming the file and --no-cache', async () => {
    const cache = join(dir, 'damaged.sqlite');
    const out = join(dir, 'damaged');
    const first = await cli(['run', join(dir, 'api.yaml'), '--out', out, '--cache', cache, '--progress', 'none']);
    expect(first.status, first.stderr).toBe(0);
    const bytes = readFileSync(cache);
    for (let at = 4096; at < bytes.length; at++) bytes[at] = (at * 7919) & 0xff;
    writeFileSync(cache, bytes);
    const again = await cli(['run', join(dir, 'api.yaml'), '--out', out, '--cache', cache, '--progress', 'none']);
    expect(again.status).toBe(1);
    expect(again.stderr).toContain(`response cache ${cache}: `);
    expect(again.stderr).toContain('or run with --no-cache');
    // not a game failure counted against max_error_rate: no game of the stage was written as failed
    const [, second] = runDirs(out).sort();
    const failed = readFileSync(join(second!, '01-evaluate.jsonl'), 'utf8')
      .split('\n')
      .filter((l) => l.includes('"outcome":"error"'));
    expect(failed).toEqual([]);
  });
});
