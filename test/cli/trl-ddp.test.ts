import { afterEach, describe, expect, it } from 'vitest';
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { alive, BIN, CLI_ENV, cli as runCli, jsonLines, runDirOf } from '../helpers.js';

// The trl backend with 2 training processes on the CPU: torchrun starts two ranks that accelerate and TRL
// see as MULTI_CPU on gloo (docs/scale.md). Each test runs TRL in two processes: minutes on 2 cores.
const tmp = () => mkdtempSync(join(tmpdir(), 'twentyq-ddp-'));
const env = CLI_ENV;
const cli = (args: string[]) => runCli(args, { timeout: 600_000 });
const TWO = ['--set', 'policy.with.processes=2'];

const lines = jsonLines;
const runDir = runDirOf;
const curve = (dir: string, stage: string) => lines(join(dir, `${stage}.curve.jsonl`)).filter((p) => p.step !== undefined);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The process records of a run directory now: label -> pid. */
function records(dir: string): Map<string, number> {
  const folder = join(dir, 'processes');
  const out = new Map<string, number>();
  if (!existsSync(folder)) return out;
  for (const f of readdirSync(folder)) {
    try {
      const r = JSON.parse(readFileSync(join(folder, f), 'utf8')) as { label: string; pid: number };
      out.set(r.label, r.pid);
    } catch {
      // being written
    }
  }
  return out;
}

const started: ChildProcess[] = [];
afterEach(() => {
  for (const child of started.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

/** Starts a run in the background; resolves once its 2 ranks are recorded in processes/. */
async function startTwo(fixture: string, name: string, out: string) {
  const child = spawn(process.execPath, [BIN, 'run', fixture, '--out', out, '--workers', '1', '--progress', 'lines', '--no-cache', ...TWO], { env });
  started.push(child);
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
  const until = Date.now() + 300_000;
  let seen = new Map<string, number>();
  while (Date.now() < until && child.exitCode === null) {
    const dir = existsSync(join(out, name)) ? runDir(out, name) : undefined;
    seen = dir ? records(dir) : seen;
    if (['python-sft', 'python-sft-rank0', 'python-sft-rank1'].every((l) => seen.has(l))) break;
    await sleep(100);
  }
  return { child, exited, seen, stderr: () => stderr, dir: () => runDir(out, name) };
}

describe('the trl policy with 2 training processes (torchrun, gloo)', () => {
  it('SFT: the same global batch gives the loss curve of 1 process, and one checkpoint written once', () => {
    const [one, two] = [tmp(), tmp()];
    const r1 = cli(['run', 'test/fixtures/trl-ddp.yaml', '--out', one, '--workers', '1', '--no-cache', '--progress', 'none']);
    expect(r1.code, r1.stderr).toBe(0);
    const r2 = cli(['run', 'test/fixtures/trl-ddp.yaml', '--out', two, '--workers', '1', '--no-cache', '--progress', 'none', ...TWO]);
    expect(r2.code, r2.stderr).toBe(0);
    const [d1, d2] = [runDir(one, 'trl-ddp'), runDir(two, 'trl-ddp')];
    const [c1, c2] = [curve(d1, 'sft'), curve(d2, 'sft')];
    expect(c2.map((p) => p.step)).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
    expect(c1.map((p) => p.step)).toEqual(c2.map((p) => p.step));
    // the tolerance: 1e-4 of the loss at every step (measured: about 1e-7, the order of the float32 sums)
    c2.forEach((p, i) => expect(Math.abs(p.loss - c1[i]!.loss) / c1[i]!.loss, `step ${p.step}`).toBeLessThan(1e-4));
    expect(c2.at(-1)!.loss).toBeLessThan(c2[0]!.loss);
    // it did run in two processes: rank 1's random state is in the checkpoints, and 1 process has none
    const checkpoints = readdirSync(join(d2, 'sft.model', 'checkpoints')).filter((f) => f.startsWith('checkpoint-'));
    expect(checkpoints.map((c) => Number(c.split('-')[1])).sort((a, b) => a - b)).toEqual([2, 4, 6, 8, 10, 12]); // save_steps 2: each once
    expect(readdirSync(join(d2, 'sft.model', 'checkpoints', 'checkpoint-12')).filter((f) => f.startsWith('rng_state'))).toEqual(['rng_state_0.pth', 'rng_state_1.pth']);
    expect(readdirSync(join(d1, 'sft.model', 'checkpoints', 'checkpoint-12')).filter((f) => f.startsWith('rng_state'))).toEqual(['rng_state.pth']);
    // the final model written once, by one process: one write in the log for it and one for each checkpoint
    const log = readFileSync(join(d2, 'sft.model', 'python.log'), 'utf8');
    expect(log.match(/Writing model shards: 100%/g)?.length).toBe(readFileSync(join(d1, 'sft.model', 'python.log'), 'utf8').match(/Writing model shards: 100%/g)?.length);
    expect(JSON.parse(readFileSync(join(d2, 'sft.ckpt.json'), 'utf8'))).toMatchObject({ model: 'sft.model/final', complete: true });
    // the processes' records are gone with them
    expect(records(d2).size).toBe(0);
  }, 600_000);

  it('Ctrl-C stops both ranks after the same step with a checkpoint; --resume finishes the stage from it', async () => {
    const out = tmp();
    const run = await startTwo('test/fixtures/trl-resume.yaml', 'trl-resume', out);
    // the launcher and both ranks were recorded in the run's processes/ folder
    expect([...run.seen.keys()].sort(), run.stderr()).toEqual(['python-sft', 'python-sft-rank0', 'python-sft-rank1']);
    const checkpoints = () => {
      try {
        return readdirSync(join(run.dir(), 'sft.model', 'checkpoints')).filter((f) => f.startsWith('checkpoint-'));
      } catch {
        return [];
      }
    };
    const until = Date.now() + 240_000;
    while (checkpoints().length === 0 && Date.now() < until && run.child.exitCode === null) await sleep(100);
    expect(checkpoints().length, run.stderr()).toBeGreaterThan(0);
    run.child.kill('SIGINT');
    expect(await run.exited, run.stderr()).toBe(130);
    const dir = run.dir();
    expect(JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8')).status).toBe('interrupted');
    for (const pid of run.seen.values()) expect(alive(pid), `pid ${pid}`).toBe(false);
    const stoppedAt = Math.max(...checkpoints().map((c) => Number(c.split('-')[1])));
    const total = 24;
    expect(stoppedAt).toBeLessThan(total);
    // both ranks saved their state at the step they stopped after
    expect(
      readdirSync(join(dir, 'sft.model', 'checkpoints', `checkpoint-${stoppedAt}`))
        .filter((f) => f.startsWith('rng_state'))
        .sort(),
    ).toEqual(['rng_state_0.pth', 'rng_state_1.pth']);

    // the run keeps its config: 2 processes again
    const resumed = cli(['run', '--resume', dir, '--workers', '1', '--no-cache']);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(readFileSync(join(dir, 'sft.model', 'python.log'), 'utf8')).toContain(`resuming from ${join(dir, 'sft.model', 'checkpoints', `checkpoint-${stoppedAt}`)}`);
    expect(curve(dir, 'sft').map((p) => p.step)).toEqual(Array.from({ length: total }, (_, i) => i + 1));
    expect(JSON.parse(readFileSync(join(dir, 'sft.ckpt.json'), 'utf8')).complete).toBe(true);
    expect(
      readdirSync(join(dir, 'sft.model', 'checkpoints', `checkpoint-${total}`))
        .filter((f) => f.startsWith('rng_state'))
        .sort(),
    ).toEqual(['rng_state_0.pth', 'rng_state_1.pth']);
  }, 600_000);

  it('the ranks exit when twentyq dies (kill -9)', async () => {
    const out = tmp();
    const run = await startTwo('test/fixtures/trl-resume.yaml', 'trl-resume', out);
    const pids = [...run.seen.values()];
    expect(pids, run.stderr()).toHaveLength(3);
    run.child.kill('SIGKILL');
    await run.exited;
    const until = Date.now() + 60_000;
    while (pids.some(alive) && Date.now() < until) await sleep(200);
    expect(pids.filter(alive)).toEqual([]);
  }, 600_000);

  it('GRPO: every game played once against the one environment, the rewards Python reports those of the recorded games', () => {
    const out = tmp();
    const r = cli(['run', 'test/fixtures/trl-grpo.yaml', '--out', out, '--workers', '1', '--no-cache', '--progress', 'none', ...TWO]);
    expect(r.code, r.stderr).toBe(0);
    const dir = runDir(out, 'trl-grpo');
    const games = lines(join(dir, 'grpo.model', 'games.jsonl'));
    const points = curve(dir, 'grpo');
    expect(points.map((p) => p.step)).toEqual([1, 2]);
    // 2 steps x 2 targets x 2 games: each played once, none lost, none twice
    expect(games).toHaveLength(8);
    expect(new Set(games.map((g) => g.seed)).size).toBe(8);
    for (let s = 0; s < 2; s++) {
      const step = games.slice(4 * s, 4 * s + 4);
      const targets = step.map((g) => g.target as string).sort();
      expect(targets[0]).toBe(targets[1]);
      expect(targets[2]).toBe(targets[3]);
      // the reward the trainer reports is the mean of the TypeScript reward plugin's scores of the step's games
      const score = (game: Record<string, any>) => game.turns.reduce((n: number, turn: any) => n + turn.move.text.length, 0) / 100;
      for (const g of step) expect(g.reward).toBeCloseTo(score(g), 12);
      expect(points[s]!.reward).toBeCloseTo(step.reduce((n, g) => n + g.reward, 0) / 4, 5);
    }
    // both processes played: 2 games each, every step
    const log = readFileSync(join(dir, 'grpo.model', 'python.log'), 'utf8');
    expect(log.match(/games played by each process: \[2, 2\]/g)?.length).toBe(2);
  }, 600_000);
});
