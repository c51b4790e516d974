import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { packagePath, twentyqHome, UserError } from '../../../framework/plugin.js';

/**
 * The Python environment of the backends that train in Python (the `trl` policy): where twentyq keeps
 * it, how `twentyq setup python` makes it, and how a plugin finds the interpreter to run.
 */

/** The environment `twentyq setup python` makes when no --venv is given. */
export function defaultVenv(): string {
  return join(twentyqHome(), 'python');
}

/** The pinned requirements: the CPU set, or the GPU set (CUDA torch and vLLM). */
export function requirementsFile(gpu: boolean): string {
  return packagePath('plugins', 'policies', 'trl', gpu ? 'requirements-gpu.txt' : 'requirements-cpu.txt');
}

/** The folder the Python package of the `trl` backend is imported from (PYTHONPATH). */
export const PYTHON_PACKAGE_DIR = packagePath('plugins', 'policies', 'trl', 'python');

const STAMP = 'twentyq-requirements.json';

/** A Python environment that is missing or does not hold the pinned requirements: the message says how to fix it. */
export class PythonEnvironmentError extends UserError {}

interface Stamp {
  requirements: string;
  sha256: string;
}

function hashOf(file: string): string {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

function readStamp(venv: string): Stamp | undefined {
  try {
    return JSON.parse(readFileSync(join(venv, STAMP), 'utf8')) as Stamp;
  } catch {
    return undefined;
  }
}

export function venvPython(venv: string): string {
  return join(venv, 'bin', 'python');
}

/**
 * Whether the environment holds exactly the requirements file's set: its stamp (written by setup once
 * pip succeeded) records the file's hash. `undefined` when it is up to date, else what is wrong.
 */
export function venvProblem(venv: string, requirements?: string): string | undefined {
  if (!existsSync(venvPython(venv))) return `there is no Python environment at ${venv}`;
  const stamp = readStamp(venv);
  if (!stamp) return `the Python environment at ${venv} was not completed by twentyq setup python`;
  // against this installation's own requirements (the set the stamp names: CPU or GPU), wherever the
  // installation that made the environment was: another checkout may share it, or be gone
  const file = requirements ?? requirementsFile(basename(stamp.requirements) === 'requirements-gpu.txt');
  if (!existsSync(file)) return `the requirements file ${file} is missing`;
  if (hashOf(file) !== stamp.sha256) return `the Python environment at ${venv} is outdated: ${file} changed since it was set up`;
  return undefined;
}

/**
 * The Python interpreter a backend runs: its `python` option, else $TWENTYQ_PYTHON, else the
 * environment `twentyq setup python` made. A given interpreter must exist; the default environment
 * must also be up to date with the pinned requirements.
 */
export function findPython(option?: string): string {
  const given = option ?? (process.env.TWENTYQ_PYTHON || undefined);
  if (given !== undefined) {
    const where = option !== undefined ? 'the python option' : 'TWENTYQ_PYTHON';
    if (!existsSync(given)) throw new PythonEnvironmentError(`${where} names ${given}, which does not exist: point it at a Python with the trl requirements, or unset it and run \`twentyq setup python\``);
    return given;
  }
  const venv = defaultVenv();
  const problem = venvProblem(venv);
  if (problem) throw new PythonEnvironmentError(`${problem}: run \`twentyq setup python\` (add --gpu on a CUDA machine) to make it, or set TWENTYQ_PYTHON to a Python that has the trl requirements`);
  return venvPython(venv);
}

/** Runs a command with its output streamed to ours (pip's progress); rejects naming it when it fails. */
function runStreaming(command: string, args: string[], log: (line: string) => void): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    log(`$ ${[command, ...args].join(' ')}`);
    const child = spawn(command, args, { stdio: ['ignore', 'inherit', 'inherit'] });
    child.once('error', (error) => reject(new PythonEnvironmentError(`${command} could not be started: ${error.message}`)));
    child.once('exit', (code, signal) => {
      if (code === 0) resolvePromise();
      else reject(new PythonEnvironmentError(`${[command, ...args].join(' ')} failed (${signal ?? `exit code ${code}`}); its output is above`));
    });
  });
}

export interface SetupOptions {
  venv?: string;
  gpu?: boolean;
  /** Remake the environment's packages even when its stamp matches. */
  force?: boolean;
  log?: (line: string) => void;
}

/**
 * Makes (or reuses) the environment: `python3 -m venv`, then `pip install --retries 0 -r` the pinned
 * requirements, then the stamp. An environment whose stamp matches the file is reused at once.
 * Returns the interpreter and whether anything was installed.
 */
export async function setupPython(options: SetupOptions = {}): Promise<{ python: string; venv: string; installed: boolean }> {
  const venv = resolve(options.venv ?? defaultVenv());
  const requirements = requirementsFile(options.gpu ?? false);
  const log = options.log ?? ((line: string) => process.stderr.write(line + '\n'));
  if (!existsSync(requirements)) throw new PythonEnvironmentError(`the requirements file ${requirements} is missing from this installation`);
  if (!options.force && venvProblem(venv, requirements) === undefined) return { python: venvPython(venv), venv, installed: false };
  mkdirSync(venv, { recursive: true });
  if (!existsSync(venvPython(venv))) await runStreaming(process.env.TWENTYQ_BASE_PYTHON || 'python3', ['-m', 'venv', venv], log);
  await runStreaming(venvPython(venv), ['-m', 'pip', 'install', '--retries', '0', '-r', requirements], log);
  const stamp: Stamp = { requirements, sha256: hashOf(requirements) };
  writeFileSync(join(venv, STAMP), JSON.stringify(stamp, null, 2) + '\n');
  return { python: venvPython(venv), venv, installed: true };
}

/** A Python command that failed: its message quotes the last lines it wrote on stderr. */
export class PythonProcessError extends UserError {}
