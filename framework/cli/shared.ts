import { Flags } from '@oclif/core';
import { ConfigError } from '../config/errors.js';
import { PluginError } from '../plugins/registry.js';

export const setFlag = Flags.string({
  char: 's',
  multiple: true,
  description: 'Override a field of the experiment: --set seed=3, --set stages.0.evaluate.games=50, --set policy.with.epsilon=0.1 (value read as YAML).',
  helpValue: 'path=value',
});

export const workersFlag = Flags.integer({
  char: 'w',
  min: 1,
  description: 'Worker threads that play games (default: the number of cores).',
});

/**
 * Errors a user can fix are printed as they are, with no stack trace; the command then exits with 1.
 * Anything else is a bug in twentyq or a plugin and keeps its stack.
 */
export function userFacing(error: unknown): string | undefined {
  if (error instanceof ConfigError || error instanceof PluginError) return error.message;
  return undefined;
}
