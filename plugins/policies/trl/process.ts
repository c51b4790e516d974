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
  | { event: 'done'; model: string; stopped: boolean; step: number };

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
};

const TAIL_LINES = 20;

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
  const argv = ['-m', 'twentyq_trl', run.command, run.jobFile];
  const display = `${run.python} ${argv.join(' ')}`;
  return new Promise((resolve, reject) => {
    const child = spawn(run.python, argv, { env, stdio: ['pipe', 'pipe', 'pipe'], detached: true });
    const forget = child.pid === undefined ? () => {} : recordProcess(run.processes, `python-${run.command}`, child.pid, display);
    const log = createWriteStream(run.log, { flags: 'a' });
    log.write(`[twentyq] ${new Date().toISOString()} ${display}\n`);
    const tail: string[] = [];
    let done: Extract<TrlEvent, { event: 'done' }> | undefined;
    let failure: Error | undefined;
    // killed if this process exits first (it is in its own group, so nothing else would end it)
    const onExit = () => void (child.exitCode === null && child.signalCode === null && child.kill('SIGKILL'));
    process.on('exit', onExit);
    const interrupt = () => child.kill('SIGINT');
    run.stop?.addEventListener('abort', interrupt, { once: true });
    if (run.stop?.aborted) interrupt();
    createInterface({ input: child.stderr! }).on('line', (line) => {
      log.write(line + '\n');
      tail.push(line);
      if (tail.length > TAIL_LINES) tail.shift();
    });
    createInterface({ input: child.stdout! }).on('line', (line) => {
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
      run.stop?.removeEventListener('abort', interrupt);
      log.end();
      if (failure) return reject(failure);
      if (code === 0 && done) return resolve(done);
      const how = signal ? `was killed by ${signal}` : code === 0 ? 'exited without reporting done' : `exited with code ${code}`;
      reject(new PythonProcessError(`${display} ${how}; the last lines of its output (all of it in ${run.log}):\n${tail.map((l) => `  ${l}`).join('\n') || '  (nothing)'}`));
    });
  });
}
