/**
 * Kill -9 at a chosen moment of a stage, then --resume: the fault test (test/cli/faults.test.ts) and
 * its full form (bench/faults.ts). A trial starts the real CLI in its own process group, waits until
 * run.json says the stage is running, waits the moment, SIGKILLs the group, resumes the run to its end
 * and compares every file with an uninterrupted run's, timing fields aside.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { packagePath } from '../framework/util/paths.js';

const BIN = packagePath('bin/run.js');
const env = { ...process.env, NODE_ENV: 'production', FORCE_COLOR: '0' };

/** Temporary files of atomic writes (.name.pid.tmp): a kill between write and rename leaves one behind. */
const TEMPORARY = /^\..*\.tmp$/;

/**
 * Keys whose values are wall-clock figures or the run's identity, which differ between any two runs, and
 * run.json's digests of the stage files, which are compared themselves (a curve's timings aside).
 */
const TIMING = new Set(['started', 'finished', 'seconds', 'resumed', 'games_per_s', 'run_id', 'digests']);

export interface Kill {
  stage: string;
  /** Milliseconds after the stage is seen running. */
  moment: number;
}

export interface Trial extends Kill {
  /** The run directory killed and resumed. */
  dir: string;
  /** False when the run ended before the kill came (a moment past the stage's end in a fast run). */
  killed: boolean;
  /** Where the kill found the run: the status of each stage. */
  at: string;
  resumeCode: number | null;
  /** When the run ended on its own before the kill: its exit code and the end of its stderr. */
  ended?: { code: number | null; stderr: string };
  /** Files that differ from the uninterrupted run's (empty: byte-identical, timing fields aside). */
  differences: string[];
  /** Temporary files the killed process left behind: not files of the run, but litter worth knowing of. */
  leftovers: string[];
}

/** The only run directory under `out`, if any. */
function runDirIn(out: string): string | undefined {
  const [experiment] = existsSync(out) ? readdirSync(out) : [];
  const [id] = experiment ? readdirSync(join(out, experiment)) : [];
  return experiment && id ? join(out, experiment, id) : undefined;
}

function readRecord(dir: string | undefined): { status: string; stages: { name: string; status: string }[] } | undefined {
  if (!dir) return undefined;
  try {
    return JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8')) as { status: string; stages: { name: string; status: string }[] };
  } catch {
    return undefined; // not there yet, or being written
  }
}

/** Runs the CLI to its end; throws with its stderr if it fails. */
export function runToEnd(args: readonly string[]): string {
  const r = spawnSync(process.execPath, [BIN, ...args, '--progress', 'none'], { env, encoding: 'utf8', timeout: 600_000 });
  if (r.status !== 0) throw new Error(`twentyq ${args.join(' ')} exited with ${r.status}:\n${r.stderr}`);
  return r.stdout;
}

/** An uninterrupted run of `experiment` into `out`: its run directory. */
export function reference(experiment: string, out: string, args: readonly string[]): string {
  runToEnd(['run', experiment, '--out', out, ...args]);
  return runDirIn(out)!;
}

/** One trial: a run killed with SIGKILL `moment` ms into `stage`, then resumed (with `resumeArgs`: a --cache, say); compared with `whole`. */
export async function killAndResume(experiment: string, out: string, args: readonly string[], kill: Kill, whole: string, resumeArgs: readonly string[] = []): Promise<Trial> {
  const child = spawn(process.execPath, [BIN, 'run', experiment, '--out', out, '--progress', 'none', ...args], { env, detached: true, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr = (stderr + String(d)).slice(-2000)));
  let code: number | null = null;
  const exited = new Promise<void>((done) => child.on('exit', (c) => ((code = c), done())));
  let ended = false;
  void exited.then(() => (ended = true));
  let dir: string | undefined;
  for (;;) {
    dir = runDirIn(out);
    const stage = readRecord(dir)?.stages.find((s) => s.name === kill.stage);
    if (stage && stage.status !== 'pending') break;
    if (ended) throw new Error(`the run ended before stage ${kill.stage} started`);
    await new Promise((r) => setTimeout(r, 2));
  }
  await new Promise((r) => setTimeout(r, kill.moment));
  const killed = !ended;
  if (killed) {
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // it ended on its own meanwhile
    }
  }
  await exited;
  const record = readRecord(dir);
  const at = record ? record.stages.map((s) => `${s.name}:${s.status}`).join(' ') : 'run.json unreadable';
  let resumeCode: number | null = 0;
  if (record?.status !== 'completed') {
    const r = spawnSync(process.execPath, [BIN, 'run', '--resume', dir!, '--progress', 'none', ...resumeArgs], { env, encoding: 'utf8', timeout: 600_000 });
    resumeCode = r.status;
  }
  const leftovers = readdirSync(dir!).filter((f) => TEMPORARY.test(f));
  return { ...kill, dir: dir!, killed, at, resumeCode, ...(killed ? {} : { ended: { code, stderr } }), differences: differences(whole, dir!), leftovers };
}

function normalise(text: string, dir: string, file: string): string {
  const drop = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(drop);
    if (value === null || typeof value !== 'object') return value;
    return Object.fromEntries(
      Object.entries(value)
        .filter(([k]) => !TIMING.has(k))
        .map(([k, v]) => [k, drop(v)]),
    );
  };
  const local = text.split(dir).join('<run>');
  if (file.endsWith('.json')) return JSON.stringify(drop(JSON.parse(local)));
  if (file.endsWith('.curve.jsonl'))
    return local
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.stringify(drop(JSON.parse(l))))
      .join('\n');
  return local;
}

/**
 * Drawn from the other files, timings and the run's id included (durations, games per second): checked
 * to be there, while what it is drawn from is compared.
 */
const DERIVED = new Set(['report.html']);

/** The files of two run directories that differ, timing fields, paths and temporary files aside. */
export function differences(a: string, b: string): string[] {
  // files only: folders (servers/ with their logs, processes/) hold what differs between any two runs
  const isFile = (dir: string, f: string) => !existsSync(join(dir, f)) || statSync(join(dir, f)).isFile();
  const files = [...new Set([...readdirSync(a), ...readdirSync(b)])].filter((f) => !TEMPORARY.test(f) && isFile(a, f) && isFile(b, f)).sort();
  return files.filter((file) => {
    if (!existsSync(join(a, file)) || !existsSync(join(b, file))) return true;
    if (DERIVED.has(file)) return false;
    const [x, y] = [readFileSync(join(a, file)), readFileSync(join(b, file))];
    if (x.equals(y)) return false;
    try {
      return normalise(x.toString('utf8'), a, file) !== normalise(y.toString('utf8'), b, file);
    } catch {
      return true; // a file cut short does not parse: it differs
    }
  });
}
