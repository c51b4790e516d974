import type { Command } from '@oclif/core';
import type { CommandDef, CommandTable } from '../plugins/command.js';
import { TwentyqCommand } from './shared.js';

/** A command a plugin contributes, as an oclif command class with twentyq's handling of errors. */
function commandClass(def: CommandDef): Command.Class {
  return class Contributed extends TwentyqCommand {
    static override summary = def.summary;
    static override description = def.description;
    static override examples = def.examples ?? [];
    static override flags = def.flags;
    static override args = def.args ?? {};

    async run(): Promise<void> {
      const { flags, args } = await this.parse(Contributed);
      await def.run({ flags, args }, { log: (line) => this.log(line), logToStderr: (line) => this.logToStderr(line), error: (message, options) => this.error(message, options) });
    }
  };
}

/** The commands of a plugin table, as oclif command classes by id. */
export function contributedCommands(table: CommandTable): Record<string, Command.Class> {
  return Object.fromEntries(Object.entries(table).map(([id, def]) => [id, commandClass(def)]));
}
