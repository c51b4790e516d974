import { Args, Flags } from '@oclif/core';
import { loadExperiment } from '../../config/load.js';
import { createProgress } from '../../run/progress.js';
import { runExperiment } from '../../run/runner.js';
import { defaultWorkers } from '../../run/pool.js';
import { RunDir } from '../../run/rundir.js';
import { setFlag, TwentyqCommand, UsageError, workersFlag } from '../shared.js';

export default class Run extends TwentyqCommand {
  static override summary = 'Run an experiment: its stages in order, in a new run directory.';
  static override description = `Loads and validates the YAML file, then runs its stages (evaluate, ...) with games played in a pool of worker threads. Writes runs/<name>/<run-id>/: config.yaml (the resolved experiment), run.json (status of the run and its stages), one JSONL file of trajectories per stage, metrics.json and summary.txt; prints the summary table at the end.

Ctrl-C stops handing out games, lets the running batches finish, keeps every finished game on disk and marks the run interrupted; a second Ctrl-C stops at once. --resume finishes an interrupted run where it stopped.`;
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
    progress: Flags.option({ options: ['auto', 'bar', 'lines', 'none'] as const, default: 'auto', description: 'Progress display on stderr: a bar on a terminal, plain lines in logs.' })(),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Run);
    if ((args.file === undefined) === (flags.resume === undefined)) {
      throw new UsageError('give an experiment file to run, or --resume RUN_DIR to finish an interrupted run (not both)');
    }
    if (flags.resume && flags.set) throw new UsageError('--set cannot change a run being resumed: it keeps the config it started with');
    const workers = flags.workers ?? defaultWorkers();
    const resumed = flags.resume ? await RunDir.resume(flags.resume, workers) : undefined;
    const experiment = resumed?.experiment ?? (await loadExperiment(args.file!, { set: flags.set ?? [] }));
    const stop = new AbortController();
    const kill = new AbortController();
    const onSigint = () => {
      if (!stop.signal.aborted) {
        process.stderr.write('\ninterrupting: finishing the running batches and keeping every finished game (Ctrl-C again to stop at once)\n');
        stop.abort();
      } else kill.abort();
    };
    process.on('SIGINT', onSigint);
    try {
      const result = await runExperiment(experiment, {
        workers,
        resume: resumed?.run,
        runsDir: flags.out,
        progress: createProgress(flags.progress === 'none' ? 'silent' : flags.progress),
        stop: stop.signal,
        kill: kill.signal,
      });
      this.log(result.summary);
      this.log(`\nrun ${result.status}: ${result.dir}`);
      if (result.status === 'interrupted') {
        process.stderr.write(`interrupted: finished games are in ${result.dir}; finish the run with: twentyq run --resume ${result.dir}\n`);
        return this.exit(130);
      }
    } finally {
      process.off('SIGINT', onSigint);
    }
  }
}
