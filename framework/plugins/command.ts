import type { Interfaces } from '@oclif/core';

/** What a contributed command may do besides finishing: print, and stop with an error. */
export interface CommandIO {
  /** A line on standard output (what a script reads: the command's result). */
  log(line: string): void;
  /** A line on standard error (progress, notes). */
  logToStderr(line: string): void;
  /** Stops the command with a message and an exit code (2: a mistake in its flags). */
  error(message: string, options: { exit: number }): never;
}

/**
 * A CLI command a plugin contributes (`twentyq setup python` is the trl plugin's): oclif's flags and
 * args, and what it does with them. The CLI makes it a twentyq command like the framework's own (an
 * error the user can fix, a UserError, is printed without a stack), under the id its table gives it.
 */
export interface CommandDef<F extends Interfaces.FlagInput = Interfaces.FlagInput, A extends Interfaces.ArgInput = Interfaces.ArgInput> {
  summary: string;
  description: string;
  examples?: string[];
  flags: F;
  args?: A;
  run(input: { flags: Interfaces.InferredFlags<F>; args: Interfaces.InferredArgs<A> }, io: CommandIO): Promise<void>;
}

/** Keeps a command's types checked where it is written: `run` gets its flags' types. */
export function defineCommand<F extends Interfaces.FlagInput, A extends Interfaces.ArgInput = Record<string, never>>(def: CommandDef<F, A>): CommandDef<F, A> {
  return def;
}

/** The commands plugins contribute, by oclif id (`setup:python` is `twentyq setup python`). */
export type CommandTable = Record<string, CommandDef<any, any>>;
