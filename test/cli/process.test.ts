import { afterEach, describe, expect, it } from 'vitest';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

// What a run guarantees against other processes, dead workers and signals: the real CLI, in child processes.
const BIN = resolve('bin/run.js');
const env = { ...process.env, NODE_ENV: 'production', FORCE_COLOR: '0' };
const tmp = () => mkdtempSync(join(tmpdir(), 'twentyq-proc-'));

// a test that fails half way must not leave a run training in the background
const started: ChildProcess[] = [];
afterEach(() => {
  for (const child of started.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

function cli(args: string[]) {
  const started = Date.now();
  const r = spawnSync(process.execPath, [BIN, ...args], { env, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, seconds: (Date.now() - started) / 1000 };
}

const lines = (file: string) => readFileSync(file, 'utf8').split('\n').filter(Boolean);
type Record = { status: string; error?: string; stages: { name: string; status: string }[] };
const record = (dir: string): Record => JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8')) as Record;
/** run.json if it is there and whole (it is rewritten as the run goes). */
function recordNow(dir: string | undefined): Record | undefined {
  try {
    return dir ? record(dir) : undefined;
  } catch {
    return undefined;
  }
}

/** The only run directory of an experiment under `out`, once it exists. */
function runDir(out: string, experiment: string): string | undefined {
  const parent = join(out, experiment);
  const [id] = existsSync(parent) ? readdirSync(parent) : [];
  return id === undefined ? undefined : join(parent, id);
}

/** Resolves once `file` (found by `find`) holds a first complete line: a definite event, not a time. */
async function firstLine(find: () => string | undefined): Promise<string> {
  for (;;) {
    const file = find();
    if (file && existsSync(file) && readFileSync(file, 'utf8').includes('\n')) return file;
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Starts a run that trains for minutes; resolves once training has logged its first point. */
async function startLongTraining(out: string): Promise<{ child: ChildProcess; dir: string; exited: Promise<number | null>; stderr: () => string }> {
  const child = spawn(process.execPath, [BIN, 'run', 'test/fixtures/long-train.yaml', '--out', out, '--workers', '1', '--progress', 'lines'], { env });
  started.push(child);
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += String(d)));
  const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
  // the curve's second line: the first is the data's figures, the second the first trained epoch
  const curve = () => {
    const dir = runDir(out, 'long-train');
    return dir && join(dir, 'sft.curve.jsonl');
  };
  const file = await firstLine(curve);
  while (lines(file).length < 2) await new Promise((r) => setTimeout(r, 20));
  return { child, dir: join(file, '..'), exited, stderr: () => stderr };
}

/** A pid that belonged to a process and no longer does. */
function deadPid(): number {
  return spawnSync(process.execPath, ['-e', '']).pid;
}

describe('a run and other processes', () => {
  it('a second process cannot resume a run that is still going; Ctrl-C during training stops it within seconds (exit 130) and frees the run', async () => {
    const out = tmp();
    const { child, dir, exited, stderr } = await startLongTraining(out);
    const games = readFileSync(join(dir, 'games.jsonl'), 'utf8');
    const second = cli(['run', '--resume', dir, '--progress', 'none']);
    expect(second.code).toBe(1);
    expect(second.stderr).toContain(`${dir} is in use by process ${child.pid}`);
    expect(second.stdout).not.toContain('run completed');
    expect(readFileSync(join(dir, 'games.jsonl'), 'utf8')).toBe(games);
    expect(record(dir).status).toBe('running');

    const sent = Date.now();
    child.kill('SIGINT');
    expect(await exited).toBe(130);
    expect(Date.now() - sent).toBeLessThan(5_000);
    expect(stderr()).toContain('interrupting (SIGINT)');
    expect(stderr()).toContain(`finish the run with: twentyq run --resume ${dir}`);
    const after = record(dir);
    expect(after.status).toBe('interrupted');
    expect(after.stages.map((s) => s.status)).toEqual(['done', 'interrupted', 'pending']);
    // the evaluate stage after the training never started
    expect(existsSync(join(dir, 'final.jsonl'))).toBe(false);
    expect(existsSync(join(dir, 'run.lock'))).toBe(false);
  });

  it('SIGTERM during training does what the first Ctrl-C does, with exit code 143', async () => {
    const { child, dir, exited, stderr } = await startLongTraining(tmp());
    const sent = Date.now();
    child.kill('SIGTERM');
    expect(await exited).toBe(143);
    expect(Date.now() - sent).toBeLessThan(5_000);
    expect(stderr()).toContain('interrupting (SIGTERM)');
    expect(record(dir).status).toBe('interrupted');
    expect(existsSync(join(dir, 'run.lock'))).toBe(false);
  });

  it('a second Ctrl-C stops at once, while the first still waits for a slow batch; the run is marked interrupted', async () => {
    const out = tmp();
    const child = spawn(process.execPath, [BIN, 'run', 'test/fixtures/slow-games.yaml', '--out', out, '--workers', '1', '--progress', 'none'], { env });
    started.push(child);
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += String(d)));
    const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
    for (;;) {
      const stage = recordNow(runDir(out, 'slow-games'))?.stages[0];
      if (stage?.status === 'running') break;
      await new Promise((r) => setTimeout(r, 20));
    }
    child.kill('SIGINT');
    while (!stderr.includes('interrupting (SIGINT)')) await new Promise((r) => setTimeout(r, 20));
    // the running batch of 16 slow games takes seconds: the first Ctrl-C alone has not ended the run
    expect(child.exitCode).toBe(null);
    const sent = Date.now();
    child.kill('SIGINT');
    expect(await exited).toBe(130);
    expect(Date.now() - sent).toBeLessThan(2_000);
    const dir = runDir(out, 'slow-games')!;
    expect(stderr).toContain(`stopped at once (SIGINT); finish the run later with: twentyq run --resume ${dir}`);
    const after = record(dir);
    expect(after.status).toBe('interrupted');
    expect(after.stages[0]!.status).toBe('interrupted');
    expect(existsSync(join(dir, 'run.lock'))).toBe(false);
  });

  it('runs started at the same instant never share a directory', async () => {
    const root = tmp();
    // Four processes wait for the same instant, then each creates a run directory; ten rounds of that.
    const script = `
      const { RunDir } = await import(${JSON.stringify(resolve('dist/framework/run/rundir.js'))});
      const { loadExperiment } = await import(${JSON.stringify(resolve('dist/framework/config/load.js'))});
      const experiment = { ...(await loadExperiment(${JSON.stringify(resolve('experiments/quickstart.yaml'))})), name: 'race' };
      const [start, root] = process.argv.slice(1);
      for (let round = 0; round < 10; round++) {
        const at = Number(start) + round * 150;
        while (Date.now() < at) {}
        const run = RunDir.create(root + '/' + round, experiment, 1);
        run.release?.();
        console.log(run.path);
      }`;
    const start = String(Date.now() + 3_000);
    const children = Array.from({ length: 4 }, () => spawn(process.execPath, ['--input-type=module', '-e', script, start, root], { env }));
    const outputs = await Promise.all(
      children.map(
        (child) =>
          new Promise<string[]>((done) => {
            let stdout = '';
            child.stdout.on('data', (d) => (stdout += String(d)));
            child.on('exit', () => done(stdout.trim().split('\n')));
          }),
      ),
    );
    const paths = outputs.flat();
    expect(paths).toHaveLength(40);
    expect(new Set(paths).size).toBe(40);
    for (let round = 0; round < 10; round++) expect(readdirSync(join(root, String(round), 'race'))).toHaveLength(4);
  });
});

describe('a worker that dies', () => {
  it('process.exit in a plugin fails the run with a message naming the stage, the plugin and the exit code; the games stay; --resume completes it, taking over a stale lock', () => {
    const out = tmp();
    const spare = join(out, 'spare.txt');
    const r = cli(['run', 'test/fixtures/worker-exit.yaml', '--out', out, '--workers', '1', '--progress', 'none', '--set', `answerer.with.spare=${spare}`]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('stage games: a worker thread exited with code 7');
    expect(r.stderr).toContain('answerer exit-halfway');
    const dir = runDir(out, 'worker-exit')!;
    expect(r.stderr).toContain(`run failed: ${dir}`);
    expect(r.stderr).toContain(`finish it with: twentyq run --resume ${dir}`);
    const failed = record(dir);
    expect(failed.status).toBe('failed');
    expect(failed.error).toContain('stage games: a worker thread exited with code 7');
    // the batches finished before the exit (how many depends on how the worker interleaved its two tasks)
    const kept = lines(join(dir, 'games.jsonl'));
    expect(kept.length).toBeGreaterThan(0);
    expect(kept.length).toBeLessThan(3000);
    for (const line of kept) expect(() => JSON.parse(line)).not.toThrow();

    // a lock left behind by a process that is gone (kill -9) is taken over, and said so
    const stale = deadPid();
    writeFileSync(join(dir, 'run.lock'), JSON.stringify({ pid: stale, host: hostname(), started: '2026-01-01T00:00:00.000Z' }));
    const resumed = cli(['run', '--resume', dir, '--progress', 'none']);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stderr).toContain(`took over the stale lock of process ${stale}`);
    expect(lines(join(dir, 'games.jsonl'))).toHaveLength(3000);
    expect(record(dir).status).toBe('completed');
    expect(existsSync(join(dir, 'run.lock'))).toBe(false);
  });

  it('a worker that runs out of memory fails the run at its limit, and the message says how to raise it', () => {
    const out = tmp();
    const r = cli(['run', 'test/fixtures/worker-oom.yaml', '--out', out, '--workers', '1', '--worker-memory', '64', '--progress', 'none']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('stage 01-evaluate: a worker ran out of memory (limit 64 MB; raise it with --worker-memory)');
    expect(r.stderr).toContain('answerer memory-hog');
    expect(record(runDir(out, 'worker-oom')!).status).toBe('failed');
    expect(r.seconds).toBeLessThan(30);
  });
});

describe('bad places and names', () => {
  it('--out that cannot hold run directories: a clear error within seconds, naming the path and the fix', () => {
    const file = join(tmp(), 'a-file');
    writeFileSync(file, 'not a folder\n');
    const cases: [string, string][] = [
      ['/proc/x', '--out /proc/x: cannot create a folder in /proc'],
      [file, `--out ${file}: ${file} is a file, not a folder; give a folder for the run directories`],
      [join(file, 'below'), `--out ${join(file, 'below')}: ${file} is a file, not a folder`],
    ];
    for (const [out, message] of cases) {
      const r = cli(['run', 'experiments/quickstart.yaml', '--out', out]);
      expect(r.code, out).toBe(1);
      expect(r.stderr, out).toContain(message);
      expect(r.stderr, out).not.toMatch(/\bat .*\.js:\d+/);
      expect(r.seconds, out).toBeLessThan(10);
    }
  });

  it('an unknown command gets the nearest one', () => {
    const r = cli(['rn', 'experiments/quickstart.yaml']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('unknown command "rn"; did you mean "twentyq run"?');
  });
});
