import { findCommand } from '../util/commands.js';
import type { LaunchOption } from './launches.js';

/**
 * Preflight checks for the plugins that talk to a model (the `api` policy, the `llm` answerer): what
 * can be known before a run starts, without a request. A plugin's `preflight` returns their lines.
 */

/** The program a launch command starts: its first word, after any VAR=value; undefined when the shell line is more than that can tell. */
function programOf(command: string | readonly string[]): string | undefined {
  if (typeof command !== 'string') return command[0];
  const m = /^\s*(?:\w+=\S*\s+)*([\w./+@-]+)(?=\s|$)/.exec(command);
  return m?.[1];
}

/** Whether a launch command's program can be found; `twentyq` is this installation's CLI, always there. */
export function launchProblem(launch: LaunchOption): string | undefined {
  const command = typeof launch === 'string' || Array.isArray(launch) ? launch : launch.command;
  const program = programOf(command);
  if (program === undefined || program === 'twentyq' || findCommand(program) !== undefined) return undefined;
  const where = program.includes('/') ? 'is not an executable file' : 'is not on the PATH';
  return `launch: ${program} ${where}: install it, or name it by its path in launch.command`;
}

/** The endpoint's key is in the environment (unless it takes none), and the server it launches can be started. */
export function endpointPreflight(options: { base_url?: string; api_key_env?: string | null; launch?: LaunchOption }, env: NodeJS.ProcessEnv = process.env): string[] {
  const problems: string[] = [];
  const key = options.api_key_env;
  if (typeof key === 'string' && !env[key]) {
    const of = options.launch === undefined && options.base_url !== undefined ? ` for ${options.base_url}` : '';
    problems.push(`api_key_env: the environment variable ${key} is not set: export ${key}=<your key>${of} (or name another variable with api_key_env; api_key_env: null for a local server that takes no key)`);
  }
  const launched = options.launch === undefined ? undefined : launchProblem(options.launch);
  if (launched) problems.push(launched);
  return problems;
}
