import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Args, Flags } from '@oclif/core';
import { defaultCachePath } from '../../llm/cache.js';
import { loadExperiment } from '../../config/load.js';
import { createProgress } from '../../run/progress.js';
import { runExperiment } from '../../run/runner.js';
import { makeFolders } from '../../run/folders.js';
import { DEFAULT_WORKER_MEMORY_MB, defaultWorkers } from '../../run/pool.js';
import { CompleteWithoutReport, RunDir } from '../../run/rundir.js';
import { writeReport } from '../../report/index.js';
import { cacheFlags, isUserFacing, setFlag, TwentyqCommand, UsageError, workersFlag } from '../shared.js';

export default class Run extends TwentyqCommand {
  static override summary = 'Run an experiment: its stages in order, in a new run directory.';
  static override description = `Loads and validates the YAML file, checks that this machine has what the run needs (the keys api_key_env names, the commands it launches, CUDA where a plugin asks for it: twentyq validate --preflight makes the same checks), then runs its stages (evaluate, ...) with games played in a pool of worker threads. Writes runs/<name>/<run-id>/: config.yaml (the resolved experiment), run.json (status of the run and its stages), one JSONL file of trajectories per stage, metrics.json and summary.txt; prints the summary table at the end.

Ctrl-C (or SIGTERM) stops at the next batch boundary in any stage: running batches of games finish and are kept, training stops between batches, and the run is marked interrupted (exit code 130, 143 for SIGTERM); a second Ctrl-C stops at once. --resume finishes an interrupted or failed run where it stopped. A process holds a lock on the run directory it works in: a second --resume of a run still going is refused.`;
  static override examples = [
    '<%= config.bin %> run experiments/quickstart.yaml',
    '<%= config.bin %> run experiments/quickstart.yaml --workers 1 --set seed=7 --set stages.0.evaluate.games_per_animal=2',
    '<%= config.bin %> run --resume runs/pipeline/20261127-101500',
  ];
  static override args = {
    file: Args.string({ description: 'Experiment YAML file (not with --resume).' }),
  };
  static override flags = {
    set: setFlag,
    workers: workersFlag,
    out: Flags.string({ char: 'o', default: 'runs', description: 'Folder that holds the run directories.' }),
    resume: Flags.string({
      char: 'r',
      helpValue: 'RUN_DIR',
      description: 'Finish an interrupted run in its own directory, with its own config: finished stages are kept, an interrupted stage keeps the games it played, a training stage starts again.',
    }),
    'worker-memory': Flags.integer({
      min: 16,
      default: DEFAULT_WORKER_MEMORY_MB,
      helpValue: 'MB',
      description: 'Heap limit of each worker thread: a plugin that runs away with memory fails the run with a clear message instead of taking the machine down.',
    }),
    progress: Flags.option({ options: ['auto', 'bar', 'lines', 'none'] as const, default: 'auto', description: 'Progress display on stderr: a bar on a terminal, plain lines in logs.' })(),
    ...cacheFlags('model responses', ': a rerun or a resume pays for no request already answered'),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Run);
    if ((args.file === undefined) === (flags.resume === undefined)) {
      throw new UsageError('give an experiment file to run, or --resume RUN_DIR to finish an interrupted run (not both)');
    }
    if (flags.resume && flags.set) throw new UsageError('--set cannot change a run being resumed: it keeps the config it started with');
    const workers = flags.workers ?? defaultWorkers();
    const progress = createProgress(flags.progress === 'none' ? 'silent' : flags.progress);
    // through the progress display, which keeps a bar from drawing over it; without one, straight to stderr
    const notice = (line: string) => (flags.progress === 'none' ? void process.stderr.write(line + '\n') : progress.log(line));
    // the folder first: a bad --out fails at once, not after the experiment is loaded
    if (!flags.resume) makeFolders(flags.out, `--out ${flags.out}`);
    let resumed;
    try {
      resumed = flags.resume ? await RunDir.resume(flags.resume, workers, { preflight: true }) : undefined;
    } catch (error) {
      if (!(error instanceof CompleteWithoutReport)) throw error;
      await writeReport([error.path], join(error.path, 'report.html'));
      return this.log(`${error.message}: wrote it now.\nreport: ${join(error.path, 'report.html')}`);
    }
    if (resumed?.run.takeover) process.stderr.write(resumed.run.takeover + '\n');
    // what the machine lacks (a key, a command, CUDA) is said before the run directory is made
    const experiment = resumed?.experiment ?? (await loadExperiment(args.file!, { set: flags.set ?? [], preflight: true }));
    const stop = new AbortController();
    const kill = new AbortController();
    let first: NodeJS.Signals | undefined;
    const onSignal = (signal: NodeJS.Signals) => {
      if (first === undefined) {
        first = signal;
        notice(`interrupting (${signal}): stopping at the next batch boundary and keeping every finished game (Ctrl-C again to stop at once)`);
        stop.abort();
        return;
      }
      kill.abort();
      progress.stop(); // a bar hides the cursor: give it back before leaving
      process.stderr.write(`\nstopped at once (${signal}); finish the run later with: twentyq run --resume ${dir}\n`);
      process.exit(exitCode(first));
    };
    let dir = resumed?.run.path ?? '';
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    let result;
    try {
      result = await runExperiment(experiment, {
        cache: flags['no-cache'] ? null : resolve(flags.cache ?? defaultCachePath()),
        workers,
        resume: resumed?.run,
        runsDir: flags.out,
        workerMemoryMb: flags['worker-memory'],
        progress,
        stop: stop.signal,
        kill: kill.signal,
        started: (path) => void (dir = path),
      });
    } catch (error) {
      if (!dir) throw error;
      const where = `run failed: ${dir}\nwhat it finished is kept; once the cause is fixed, finish it with: twentyq run --resume ${dir}\n`;
      if (!isUserFacing(error)) {
        process.stderr.write(where);
        throw error;
      }
      process.stderr.write(`${error.message}\n${where}`);
      return this.exit(1);
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
    this.log(result.summary);
    this.log(`\nrun ${result.status}: ${result.dir}`);
    if (existsSync(join(result.dir, 'report.html'))) this.log(`report: ${join(result.dir, 'report.html')}`);
    if (result.status === 'interrupted') {
      process.stderr.write(`interrupted: finished games are in ${result.dir}; finish the run with: twentyq run --resume ${result.dir}\n`);
      return this.exit(exitCode(first));
    }
  }
}

/** The shell's convention: 128 + the signal's number (SIGINT 2 -> 130, SIGTERM 15 -> 143). */
function exitCode(signal: NodeJS.Signals | undefined): number {
  return signal === 'SIGTERM' ? 143 : 130;
}
