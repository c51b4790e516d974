import { createHash } from 'node:crypto';
import { closeSync, existsSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadExperiment, type LoadOptions } from '../config/load.js';
import type { Experiment } from '../config/types.js';
import { toExperimentYaml } from '../config/write.js';
import type { PluginRef } from '../plugins/types.js';
import type { ReportSettings } from '../config/types.js';
import type { Rules } from '../game/types.js';
import { stageFiles } from '../stages/index.js';
import type { StageFiles } from '../stages/define.js';
import { removeLeftoverTemporaries, writeFileAtomic } from '../util/fs.js';
import { JsonlWriter } from './jsonl.js';
import type { SummaryRow } from './context.js';
import { makeFolders, makeUniqueFolder } from './folders.js';
import { formatProblem, RUN_FORMAT } from './format.js';
import { RunLock } from './lock.js';

export type RunStatus = 'running' | 'completed' | 'interrupted' | 'failed';
export type StageStatus = 'pending' | 'running' | 'done' | 'interrupted' | 'failed';

export interface StageRecord {
  name: string;
  kind: string;
  status: StageStatus;
  /** Files the stage wrote, relative to the run directory. */
  files: string[];
  /** The files its kind writes, by what they hold (format 2 on): what readers of the run open, without the stage's definition. */
  outputs?: StageFiles;
  /** Wall-clock seconds the stage took, once it ended. */
  seconds?: number;
  /** What a finished stage added to the summary, and the current policy after it: what a resumed run needs. */
  outcome?: { rows: SummaryRow[]; notes: string[]; policy: PluginRef };
  /** sha256 of each file of a finished stage, when it finished: a resume notices a file changed since. */
  digests?: Record<string, string>;
}

export interface RunRecord {
  /** The run directory format it was written in (see RUN_FORMAT); absent in runs written before it was recorded: 1. */
  format_version?: number;
  experiment: string;
  run_id: string;
  status: RunStatus;
  started: string;
  finished: string | null;
  workers: number;
  /** The rules its games were played by, and what its report computes beyond the files (format 2 on). */
  game?: Rules;
  report?: ReportSettings;
  error?: string;
  /** When the run was resumed after an interruption. */
  resumed?: string[];
  stages: StageRecord[];
}

/** The resolved experiment a run directory was made from: its config.yaml, through the experiment loader. */
export function readRunConfig(dir: string, options: LoadOptions = {}): Promise<Experiment> {
  return loadExperiment(join(dir, 'config.yaml'), options);
}

/** A file of a run that is there but cannot be read: says which, and what to do. */
export class RunFileError extends Error {}

function damaged(file: string, problem: string): RunFileError {
  return new RunFileError(`${file} is damaged (${problem}). twentyq writes it whole or not at all, so it was changed outside twentyq (or cut short by an older version on a full disk): restore it from a copy, or run the experiment again.`);
}

/** A JSON file of a run, or `missing` when it is not there; a damaged one is an error naming it. */
function readRunJson<T>(file: string, missing: T): T {
  if (!existsSync(file)) return missing;
  const text = readFileSync(file, 'utf8');
  try {
    return JSON.parse(text) as T;
  } catch (error) {
    throw damaged(file, `not JSON: ${(error as Error).message}`);
  }
}

function timestamp(date: Date): string {
  return date
    .toISOString()
    .replace(/\.\d+Z$/, '')
    .replace(/[-:]/g, '')
    .replace('T', '-');
}

/**
 * A run's directory, runs/<experiment>/<run-id>/: the resolved config, run.json (status of the run and
 * of each stage, rewritten after every change), one JSONL file per stage, metrics.json and summary.txt;
 * and run.lock while a process works in it (see RunLock).
 */
export class RunDir {
  readonly record: RunRecord;

  /** `lock`: this process's lock on the directory, taken before anything in it is read or written. */
  private constructor(
    readonly path: string,
    record: RunRecord,
    private readonly lock: RunLock,
  ) {
    this.record = record;
  }

  /** A new run directory under root/<experiment>/; `what` names root in errors (where it came from). */
  static create(root: string, experiment: Experiment, workers: number, what = `--out ${root}`): RunDir {
    const started = new Date();
    const base = resolve(root, experiment.name);
    makeFolders(base, what);
    const { path, id } = makeUniqueFolder(base, timestamp(started), what);
    const run = new RunDir(
      path,
      {
        format_version: RUN_FORMAT,
        experiment: experiment.name,
        run_id: id,
        status: 'running',
        started: started.toISOString(),
        finished: null,
        workers,
        ...recorded(experiment),
        stages: experiment.stages.map((s) => ({ name: s.name, kind: s.kind, status: 'pending', files: [], outputs: stageFiles(s) })),
      },
      RunLock.acquire(path),
    );
    writeFileAtomic(join(path, 'config.yaml'), `# resolved experiment: every default filled in; rerun with twentyq run ${join(path, 'config.yaml')}\n` + toExperimentYaml(experiment));
    run.save();
    return run;
  }

  /**
   * Reopens an interrupted (or failed) run to finish it: its resolved config and its record. Refused
   * while another process holds the run's lock (a stale one is taken over: see `takeover`); a resume
   * that fails gives the lock back at once. Every file a resume reads is checked before run.json is
   * written: a damaged one leaves the run as it was.
   */
  static async resume(path: string, workers: number, load: LoadOptions = {}): Promise<{ run: RunDir; experiment: Experiment }> {
    const lock = RunLock.acquire(path);
    try {
      return await RunDir.reopen(path, workers, lock, load);
    } catch (error) {
      lock.unlock();
      throw error;
    }
  }

  private static async reopen(path: string, workers: number, lock: RunLock, load: LoadOptions): Promise<{ run: RunDir; experiment: Experiment }> {
    for (const file of ['run.json', 'config.yaml']) {
      if (!existsSync(join(path, file))) throw new ResumeError(`${path} is not a run directory to resume (ENOENT): it needs run.json and config.yaml`);
    }
    const record = readRunJson<RunRecord | null>(join(path, 'run.json'), null);
    if (typeof record !== 'object' || record === null) throw damaged(join(path, 'run.json'), 'not a run record: it has no list of stages');
    const unreadable = formatProblem(path, record);
    if (unreadable) throw new ResumeError(unreadable);
    if (!Array.isArray(record.stages)) throw damaged(join(path, 'run.json'), 'not a run record: it has no list of stages');
    if (record.status === 'completed') {
      // a kill between run.json's "completed" and the report: the report is all there is left to do
      if (!existsSync(join(path, 'report.html'))) throw new CompleteWithoutReport(path);
      throw new ResumeError(`${path}: this run is complete; there is nothing to resume (its report: ${join(path, 'report.html')})`);
    }
    // a run that is complete but for its report needs nothing of the machine: checked only once there is more to do
    const experiment = await readRunConfig(path, load);
    if (experiment.stages.length !== record.stages.length) {
      throw new ResumeError(`${path}: config.yaml and run.json do not describe the same stages`);
    }
    checkDigests(path, record);
    const run = new RunDir(resolve(path), record, lock);
    run.metrics();
    removeLeftoverTemporaries(path);
    record.status = 'running';
    record.finished = null;
    delete record.error;
    record.workers = workers;
    upgrade(record, experiment);
    record.resumed = [...(record.resumed ?? []), new Date().toISOString()];
    run.save();
    return { run, experiment };
  }

  /** Gives up the run's lock: the run has ended, however it ended. */
  release(): void {
    this.lock.unlock();
  }

  /** Said when this process took over the lock of one that is gone (kill -9, a crash), for the user to hear. */
  get takeover(): string | undefined {
    return this.lock.takeover;
  }

  file(name: string): string {
    return join(this.path, name);
  }

  stage(name: string): StageRecord {
    const s = this.record.stages.find((x) => x.name === name);
    if (!s) throw new Error(`run has no stage ${name}`);
    return s;
  }

  private readonly started = new Map<string, number>();

  /** Keeps what a finished stage contributed, so that a resumed run can rebuild its summary. */
  setOutcome(name: string, outcome: NonNullable<StageRecord['outcome']>): void {
    this.stage(name).outcome = outcome;
    this.save();
  }

  /** Records a stage's status and the files it wrote so far (and its duration once it ends). */
  setStage(name: string, status: StageStatus, ...files: string[]): void {
    const s = this.stage(name);
    if (status === 'running' && !this.started.has(name)) this.started.set(name, performance.now());
    if (status !== 'running' && status !== 'pending' && this.started.has(name)) s.seconds = Number(((performance.now() - this.started.get(name)!) / 1000).toFixed(3));
    s.status = status;
    for (const file of files) if (!s.files.includes(file)) s.files.push(file);
    if (status === 'done') s.digests = digestsOf(this.path, s.files);
    this.save();
  }

  finish(status: RunStatus, error?: string): void {
    this.record.status = status;
    this.record.finished = new Date().toISOString();
    if (error) this.record.error = error;
    this.save();
  }

  writeJson(name: string, value: unknown): void {
    writeFileAtomic(this.file(name), JSON.stringify(value, null, 2) + '\n');
  }

  writeText(name: string, text: string): void {
    writeFileAtomic(this.file(name), text);
  }

  /** The metrics of the stages finished so far (metrics.json), which a resumed run adds to. */
  metrics(): Record<string, unknown> {
    const file = this.file('metrics.json');
    const metrics = readRunJson<{ stages?: Record<string, unknown> }>(file, { stages: {} });
    if (typeof metrics !== 'object' || metrics === null) throw damaged(file, 'not an object of stage metrics');
    return metrics.stages ?? {};
  }

  /**
   * Opens a stage's JSONL file, for appending (games, which a resumed stage keeps) or from empty
   * (what a stage makes again when it runs again); each write goes straight to disk.
   */
  openJsonl(name: string, flags: 'a' | 'w' = 'a'): JsonlWriter {
    return new JsonlWriter(this.file(name), flags);
  }

  save(): void {
    writeFileAtomic(this.file('run.json'), JSON.stringify(this.record, null, 2) + '\n');
  }
}

/** What a run records of its experiment for the readers of its directory, beyond config.yaml (which needs the plugins to load). */
function recorded(experiment: Experiment): Pick<RunRecord, 'game' | 'report'> {
  return { game: experiment.game, ...(experiment.report ? { report: experiment.report } : {}) };
}

/** A run of an older format resumed: recorded from now on in this format, with what the older one left out. */
function upgrade(record: RunRecord, experiment: Experiment): void {
  if (record.format_version === RUN_FORMAT) return;
  Object.assign(record, { format_version: RUN_FORMAT, ...recorded(experiment) });
  for (const stage of record.stages) stage.outputs ??= stageFiles(stage);
}

/** sha256 of each of a stage's files that is a file (a model folder is not), in hex. */
function digestsOf(dir: string, files: readonly string[]): Record<string, string> {
  const digests: Record<string, string> = {};
  for (const file of files) {
    const path = join(dir, file);
    if (existsSync(path) && statSync(path).isFile()) digests[file] = fileDigest(path);
  }
  return digests;
}

/** A file's sha256, read in chunks (a games file may be far larger than memory allows at once). */
function fileDigest(path: string): string {
  const hash = createHash('sha256');
  const fd = openSync(path, 'r');
  try {
    const chunk = Buffer.alloc(1 << 20);
    for (let n = readSync(fd, chunk); n > 0; n = readSync(fd, chunk)) hash.update(chunk.subarray(0, n));
  } finally {
    closeSync(fd);
  }
  return hash.digest('hex');
}

/**
 * A finished stage's files are what the stages after it (and the summary) were made from: a resume
 * refuses to go on when one of them changed since the stage finished (a line added, the file edited).
 */
function checkDigests(path: string, record: RunRecord): void {
  for (const stage of record.stages) {
    if (stage.status !== 'done' || !stage.digests) continue;
    for (const [file, digest] of Object.entries(stage.digests)) {
      const now = existsSync(join(path, file)) ? fileDigest(join(path, file)) : undefined;
      if (now === digest) continue;
      throw new ResumeError(`${join(path, file)}: ${now === undefined ? 'missing' : 'changed'} since stage ${stage.name} finished (run.json keeps the sha256 it had then); restore it, or run the experiment again in a new run directory`);
    }
  }
}

/** A run that cannot be resumed, and why. */
export class ResumeError extends Error {}

/** A completed run whose report.html was never written: what resuming it does is write the report. */
export class CompleteWithoutReport extends ResumeError {
  constructor(readonly path: string) {
    super(`${path}: this run is complete, but its report.html was not written`);
  }
}
