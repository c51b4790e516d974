import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN, cli } from '../report-run.js';

const FRUIT = resolve('test/fixtures/fruit');
const env = { ...process.env, NODE_ENV: 'production', FORCE_COLOR: '0' };
const play = (args: string[], input: string) => spawnSync(process.execPath, [BIN, 'play', ...args], { input, env, encoding: 'utf8', timeout: 60_000 });

describe('a table of 5 fruit with 4 questions, as a domain of its own', () => {
  it('twentyq play: as the questioner and as the answerer, the game speaks of fruit', () => {
    const asker = play(['--domain', join(FRUIT, 'fruit.csv'), '--target', 'apple'], 'list\nIs its skin red?\nIs it sweet?\nIs it an apple?\n');
    expect(asker.status, asker.stderr).toBe(0);
    expect(asker.stdout).toContain('I am thinking of one of 5 fruits. Ask yes/no questions, or guess ("Is it an apple?").');
    expect(asker.stdout).toContain('Type "list" for the fruits');
    expect(asker.stdout).toContain('apple, banana, lemon, strawberry, grape');
    expect(asker.stdout).toContain('You won in 3 questions.');
    expect(asker.stdout).not.toMatch(/animal/i);
    const answerer = play(['--domain', join(FRUIT, 'fruit.csv'), '--as', 'answerer', '--policy', 'optimal'], 'y\nn\ny\n');
    expect(answerer.status, answerer.stderr).toBe(0);
    expect(answerer.stdout).toContain('Think of one of the 5 fruits');
    expect(answerer.stdout).not.toMatch(/animal/i);
  });

  it('twentyq run and its report: the stages, the audit and the report speak of fruit', () => {
    const cwd = mkdtempSync(join(tmpdir(), 'twentyq-fruit-'));
    const r = spawnSync(process.execPath, [BIN, 'run', join(FRUIT, 'fruit.yaml'), '-w', '1', '--progress', 'none'], {
      cwd,
      env: { ...env, TWENTYQ_TREES: join(cwd, 'trees') },
      encoding: 'utf8',
      timeout: 120_000,
    });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/expert\s+optimal\s+10\s+5\s+0\s+100\.0%.*2\.40 .*2\.400\n/);
    expect(r.stdout).toContain('wins per fruit: min 4, median 4, max 4; 5/5 fruits have a winning game.');
    expect(r.stdout).toContain('per-fruit table: 02-audit.txt');
    expect(r.stdout).not.toMatch(/animal/i);
    const root = join(cwd, 'runs/fruit-bowl');
    const html = readFileSync(join(root, readdirSync(root)[0]!, 'report.html'), 'utf8');
    expect(html).toContain('<h3>Per fruit</h3>');
    expect(html).toContain('<th data-col="candidate" title="">fruit</th>');
    expect(html).toContain('<label>fruit <select class="v-target">');
    expect(html).toContain('5 of 5 fruits have a winning game.');
    expect(html).not.toMatch(/>[^<]*\banimals?\b[^<]*</i);
  });

  it('twentyq bounds --domain FILE: the exact tree of a table file; a malformed one is refused at its line', () => {
    const r = cli(['bounds', '--domain', join(FRUIT, 'fruit.csv'), '--unknown', 'say']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('fruit: 5 targets, 4 questions; the optimal tree over them:');
    expect(r.stdout).toMatch(/continue\s+say\s+2\.4000\s+2\.4000\s+exact/);
    const bad = cli(['bounds', '--domain', join(FRUIT, 'bad-cell.csv')]);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/bad-cell\.csv:3:3: "sour" for "Is it sweet\?"/);
  });
});

/** Starts the CLI, waits for `ready` (a file, or text on stderr), sends SIGTERM and times the exit. */
async function stopAfter(args: string[], cwd: string, ready: () => boolean, stderr: { text: string }): Promise<{ code: number | null; ms: number }> {
  const child = spawn(process.execPath, [BIN, ...args], { cwd, env: { ...env, TWENTYQ_TREES: join(cwd, 'trees') } });
  child.stderr.on('data', (d) => (stderr.text += String(d)));
  const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
  while (!ready()) await new Promise((r) => setTimeout(r, 100));
  // let the search get going
  await new Promise((r) => setTimeout(r, 800));
  const sent = performance.now();
  child.kill('SIGTERM');
  const code = await exited;
  return { code, ms: performance.now() - sent };
}

describe('a long search stops at Ctrl-C or SIGTERM', () => {
  const runDir = (cwd: string, name: string) => {
    const root = join(cwd, 'runs', name);
    return existsSync(root) && readdirSync(root).length > 0 ? join(root, readdirSync(root)[0]!) : undefined;
  };

  it('twentyq bounds, while it shows its progress', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'twentyq-stop-'));
    const stderr = { text: '' };
    const r = await stopAfter(['bounds', '--domain', resolve('bench/tables/unknown-50x30.csv'), '--unknown', 'coin', '--rule', 'lose', '--time-limit', '600'], cwd, () => stderr.text.includes('searching lose/coin'), stderr);
    // loosely (the machine is shared): a search that never yields would run for minutes
    expect(r.ms).toBeLessThan(5000);
  });

  it("twentyq run: the optimal teacher's search before a generate stage, and an evaluate stage's bound", async () => {
    for (const name of ['slow-tree', 'slow-bound']) {
      const cwd = mkdtempSync(join(tmpdir(), 'twentyq-stop-'));
      const stderr = { text: '' };
      const r = await stopAfter(['run', resolve(`test/fixtures/${name}.yaml`), '-w', '1', '--progress', 'lines'], cwd, () => runDir(cwd, name) !== undefined, stderr);
      expect(r.ms, name).toBeLessThan(5000);
      expect(r.code, `${name}: ${stderr.text}`).toBe(143);
      const run = JSON.parse(readFileSync(join(runDir(cwd, name)!, 'run.json'), 'utf8')) as { status: string };
      expect(run.status).toBe('interrupted');
    }
  });
});
