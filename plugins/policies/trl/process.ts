import { spawn } from 'node:child_process';
import { createWriteStream, mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { createInterface } from 'node:readline';
import { compileSchema, formatAjvErrors, recordProcess } from '../../../framework/plugin.js';
import { PYTHON_PACKAGE_DIR, PythonProcessError } from './environment.js';
import { TRL_JOBS, type TrlCommand } from './job.js';

/** The events a command of the Python package writes on stdout, one JSON object a line (README: Commands). */
export type TrlEvent =
  | { event: 'start'; steps: number }
  | ({ event: 'log'; step: number } & Record<string, number>)
  | { event: 'checkpoint'; step: number; path: string }
  | { event: 'done'; model: string; stopped: boolean; step: number }
  /** Every training process says who it is: a launcher's workers are recorded and stopped one by one. */
  | { event: 'process'; rank: number; pid: number };

/** How the training processes start: one Python, or several under torchrun (CPU) or accelerate launch (GPU). */
export interface Launcher {
  processes: number;
  device: 'auto' | 'cpu' | 'cuda';
  /** An accelerate config file (DeepSpeed, FSDP): accelerate launch --config_file. */
  accelerate_config: string | null;
}

/**
 * The Python arguments that start the command: \`python -m twentyq_trl\` for one process; for several,
 * accelerate launch on a GPU and torchrun on the CPU, where \`accelerate launch --cpu --num_processes 2\`
 * starts one process only (reference/rl-practice-and-scale.md), while torchrun's ranks are what
 * accelerate and TRL see as MULTI_CPU on gloo.
 */
export function launchArgs(launcher: Launcher | undefined, module: string[]): string[] {
  const n = launcher?.processes ?? 1;
  if (launcher?.accelerate_config) return ['-m', 'accelerate.commands.launch', '--config_file', launcher.accelerate_config, '--num_processes', String(n), '-m', ...module];
  if (n === 1) return ['-m', ...module];
  if (launcher!.device === 'cuda') return ['-m', 'accelerate.commands.launch', '--multi_gpu', '--num_processes', String(n), '-m', ...module];
  return ['-m', 'torch.distributed.run', '--standalone', '--nnodes', '1', '--nproc_per_node', String(n), '-m', ...module];
}

export type PythonRun = TrlCommand & {
  python: string;
  /** Where the job's JSON is written. */
  jobFile: string;
  /** Where the process's stderr goes (appended), beside being kept for the error message. */
  log: string;
  onEvent?(event: TrlEvent): void;
  /** Fired by Ctrl-C: the process gets SIGINT, saves a checkpoint, reports done and exits 0. */
  stop?: AbortSignal;
  threads?: number | null;
  /** The run directory's processes/ folder: the trainer is recorded there while it runs (a --resume after kill -9 stops it). */
  processes?: string;
  launcher?: Launcher;
};

const TAIL_LINES = 20;

function signalPid(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // gone already
  }
}

/**
 * Runs `python -m twentyq_trl COMMAND JOB.json` with the package on PYTHONPATH and resolves with its
 * `done` event. The process has its own process group, so that the terminal's Ctrl-C reaches twentyq
 * only, which passes it on as one SIGINT (a second would make Python exit at once, unsaved). A non-zero
 * exit, or an exit without `done`, rejects with the last lines of its stderr.
 */
export function runPython(run: PythonRun): Promise<Extract<TrlEvent, { event: 'done' }>> {
  // what the Python side reads is checked against its declaration first: a mistake here names the field, not a traceback
  const validate = compileSchema(TRL_JOBS[run.command]);
  if (!validate(run.job)) return Promise.reject(new Error(`the ${run.command} job for the Python package does not fit its schema:\n${formatAjvErrors(validate.errors)}`));
  mkdirSync(dirname(run.jobFile), { recursive: true });
  writeFileSync(run.jobFile, JSON.stringify(run.job, null, 2) + '\n');
  const env: Record<string, string | undefined> = {
    ...process.env,
    PYTHONPATH: [PYTHON_PACKAGE_DIR, process.env.PYTHONPATH].filter(Boolean).join(':'),
    PYTHONUNBUFFERED: '1',
    HF_HUB_OFFLINE: process.env.HF_HUB_OFFLINE ?? '1',
    TOKENIZERS_PARALLELISM: 'false',
    // stdin stays open and unused: its end tells the trainer that twentyq died (kill -9), and it exits
    TWENTYQ_EXIT_WITH_PARENT: '1',
  };
  if (run.threads) env.OMP_NUM_THREADS = String(run.threads);
  const argv = launchArgs(run.launcher, ['twentyq_trl', run.command, run.jobFile]);
  const display = `${run.python} ${argv.join(' ')}`;
  return new Promise((resolve, reject) => {
    const child = spawn(run.python, argv, { env, stdio: ['pipe', 'pipe', 'pipe'], detached: true });
    const forget = child.pid === undefined ? () => {} : recordProcess(run.processes, `python-${run.command}`, child.pid, display);
    // a launcher's workers: recorded, killed with twentyq, and each stopped by its own SIGINT (the launcher
    // would pass a signal on and then kill them 30 s later, before a large model's checkpoint is written)
    const workers = new Map<number, () => void>();
    const log = createWriteStream(run.log, { flags: 'a' });
    log.write(`[twentyq] ${new Date().toISOString()} ${display}\n`);
    const tail: string[] = [];
    let done: Extract<TrlEvent, { event: 'done' }> | undefined;
    let failure: Error | undefined;
    // killed if this process exits first (it and its workers are in their own group, so nothing else would end them)
    const onExit = () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      for (const pid of workers.keys()) signalPid(pid, 'SIGKILL');
    };
    process.on('exit', onExit);
    const launched = (run.launcher?.processes ?? 1) > 1 || Boolean(run.launcher?.accelerate_config);
    const interrupt = () => {
      if (!launched) child.kill('SIGINT');
      for (const pid of workers.keys()) signalPid(pid, 'SIGINT');
    };
    const onWorker = (event: Extract<TrlEvent, { event: 'process' }>) => {
      if (!launched || workers.has(event.pid)) return;
      workers.set(event.pid, recordProcess(run.processes, `python-${run.command}-rank${event.rank}`, event.pid, display));
      // a stop asked before this worker said who it was
      if (run.stop?.aborted) signalPid(event.pid, 'SIGINT');
    };
    run.stop?.addEventListener('abort', interrupt, { once: true });
    if (run.stop?.aborted) interrupt();
    createInterface({ input: child.stderr }).on('line', (line) => {
      log.write(line + '\n');
      tail.push(line);
      if (tail.length > TAIL_LINES) tail.shift();
    });
    createInterface({ input: child.stdout }).on('line', (line) => {
      if (line.trim() === '') return;
      let event: TrlEvent;
      try {
        event = JSON.parse(line) as TrlEvent;
      } catch {
        // the contract: nothing but events on stdout; a stray line is logged, not fatal
        log.write(`[stdout] ${line}\n`);
        return;
      }
      if (event.event === 'done') done = event;
      if (event.event === 'process') return onWorker(event);
      try {
        run.onEvent?.(event);
      } catch (error) {
        failure ??= error as Error;
        child.kill('SIGINT');
      }
    });
    child.once('error', (error) => reject(new PythonProcessError(`${display} could not be started: ${error.message}`)));
    child.once('close', (code, signal) => {
      process.off('exit', onExit);
      forget();
      for (const forgetWorker of workers.values()) forgetWorker();
      run.stop?.removeEventListener('abort', interrupt);
      log.end();
      if (failure) return reject(failure);
      if (code === 0 && done) return resolve(done);
      const how = signal ? `was killed by ${signal}` : code === 0 ? 'exited without reporting done' : `exited with code ${code}`;
      reject(new PythonProcessError(`${display} ${how}; the last lines of its output (all of it in ${run.log}):\n${tail.map((l) => `  ${l}`).join('\n') || '  (nothing)'}`));
    });
  });
}
