import { Command, Flags, type Interfaces } from '@oclif/core';
import { ConfigError } from '../config/errors.js';
import { GamesFileError } from '../data/games.js';
import { GameError } from '../game/engine.js';
import { PluginError } from '../plugins/registry.js';
import { UserError } from '../plugins/errors.js';
import { StageError } from '../run/context.js';
import { RunFolderError } from '../run/folders.js';
import { LockError } from '../run/lock.js';
import { WorkerError } from '../run/pool.js';
import { ResumeError, RunFileError } from '../run/rundir.js';

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
 * `--cache PATH` and `--no-cache`: where model responses are kept (the response cache of
 * framework/llm/cache.ts), `what` saying what they are to the command and `note` why they matter.
 */
export function cacheFlags(what: string, note = '') {
  return {
    cache: Flags.string({
      helpValue: 'PATH',
      description: `SQLite file of ${what} (default: $XDG_CACHE_HOME/twentyq/responses.sqlite, else ~/.cache/twentyq/responses.sqlite)${note}.`,
      exclusive: ['no-cache'],
    }),
    'no-cache': Flags.boolean({ description: `Neither read nor store ${what}.` }),
  };
}

/** A command-line value that makes no sense (an unknown --target). */
export class UsageError extends Error {}

/** Errors a user can fix: printed as they are, with no stack trace. */
export function isUserFacing(error: unknown): error is Error {
  return [ConfigError, PluginError, StageError, GamesFileError, GameError, UsageError, ResumeError, RunFileError, LockError, RunFolderError, WorkerError, UserError].some((kind) => error instanceof kind);
}

/**
 * The base of every twentyq command: an error the user can fix (a bad file, an unknown plugin, an
 * audit gap) is printed as it is and the command exits with 1; anything else is a bug in twentyq or a
 * plugin and keeps oclif's report with its stack.
 */
export abstract class TwentyqCommand extends Command {
  protected override async catch(error: Interfaces.CommandError): Promise<unknown> {
    if (!isUserFacing(error)) return super.catch(error);
    process.stderr.write(error.message + '\n');
    return this.exit(1);
  }
}
