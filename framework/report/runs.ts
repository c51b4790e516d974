import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { formatProblem, runFormat } from '../run/format.js';
import type { RunRecord } from '../run/rundir.js';

/** What a run directory holds of its own files: each is absent when the run never wrote it (or it is damaged). */
export interface RunInfo {
  dir: string;
  /** Absent too when it is in a format this twentyq does not read (see `format`). */
  record?: RunRecord;
  /** The run directory format of a run.json this twentyq does not read, with why (it names the version). */
  unreadable?: { format: number | undefined; problem: string };
  metrics?: { experiment?: string; stages?: Record<string, unknown> };
  summary?: string;
  /** What is wrong with a file that is there but cannot be read, by file name. */
  problems: string[];
}

// eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters -- the caller names the shape it reads
function readJson<T>(file: string, problems: string[]): T | undefined {
  if (!existsSync(file)) return undefined;
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as T;
  } catch (error) {
    problems.push(`${file}: not JSON (${(error as Error).message})`);
    return undefined;
  }
}

/** Reads a run directory's run.json, metrics.json and summary.txt, whichever are there. */
export function readRun(dir: string): RunInfo {
  const problems: string[] = [];
  let record = readJson<RunRecord>(join(dir, 'run.json'), problems);
  const problem = record && typeof record === 'object' ? formatProblem(dir, record) : undefined;
  const unreadable = problem && record ? { format: runFormat(record), problem } : undefined;
  if (unreadable) {
    problems.push(unreadable.problem);
    record = undefined;
  }
  const metrics = readJson<RunInfo['metrics']>(join(dir, 'metrics.json'), problems);
  const summaryFile = join(dir, 'summary.txt');
  const summary = existsSync(summaryFile) ? readFileSync(summaryFile, 'utf8') : undefined;
  return { dir: resolve(dir), ...(record ? { record } : {}), ...(unreadable ? { unreadable } : {}), ...(metrics ? { metrics } : {}), ...(summary !== undefined ? { summary } : {}), problems };
}

const isDir = (path: string) => {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
};

/** Run directories under root/<experiment>/<run-id>/ (one experiment's when named), oldest first. */
export function findRuns(root: string, experiment?: string): RunInfo[] {
  if (!isDir(root)) return [];
  const experiments = experiment !== undefined ? [experiment] : readdirSync(root).sort();
  const runs: RunInfo[] = [];
  for (const name of experiments) {
    const folder = join(root, name);
    if (!isDir(folder)) continue;
    for (const id of readdirSync(folder).sort()) {
      const dir = join(folder, id);
      // a run directory has at least its resolved config (written first) or its record
      if (isDir(dir) && (existsSync(join(dir, 'run.json')) || existsSync(join(dir, 'config.yaml')))) runs.push(readRun(dir));
    }
  }
  return runs.sort((a, b) => (a.record?.started ?? '').localeCompare(b.record?.started ?? '') || a.dir.localeCompare(b.dir));
}

/** Seconds from start to finish (to now for a run still going), or undefined without a record. */
export function duration(record: RunRecord | undefined, now = Date.now()): number | undefined {
  if (!record) return undefined;
  const end = record.finished ? Date.parse(record.finished) : now;
  return (end - Date.parse(record.started)) / 1000;
}

export function formatDuration(seconds: number | undefined): string {
  if (seconds === undefined) return '-';
  if (seconds < 60) return `${seconds.toFixed(1)}s`;
  const m = Math.floor(seconds / 60);
  return m < 60 ? `${m}m${String(Math.round(seconds % 60)).padStart(2, '0')}s` : `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

/**
 * The run's headline: the last evaluated policy's success and mean questions, from run.json's stage
 * outcomes, e.g. "eval-grpo/grpo 100.0% 5.21q".
 */
export function headline(record: RunRecord | undefined): string {
  const rows = (record?.stages ?? []).flatMap((s) => s.outcome?.rows ?? []);
  // a stage played against several answerers is a transfer test: the headline is the main answerer's
  const last = rows.filter((r) => r.answerer === undefined).at(-1) ?? rows.at(-1);
  if (!last) return '-';
  const m = last.metrics;
  return `${last.stage}/${last.policy}${last.answerer ? `@${last.answerer}` : ''} ${(100 * m.success).toFixed(1)}% ${m.avg_questions.toFixed(2)}q`;
}
