import { Args, Command } from '@oclif/core';
import { registry } from '../../plugins/builtins.js';
import { PluginError, pluralKind } from '../../plugins/registry.js';
import { KINDS, type PluginDef } from '../../plugins/types.js';

interface OptionSchema {
  type?: string | string[];
  default?: unknown;
  description?: string;
  enum?: unknown[];
  minimum?: number;
  maximum?: number;
}

function describeOptions(def: PluginDef): string[] {
  const schema = def.options as { properties?: Record<string, OptionSchema>; required?: string[] };
  const props = schema.properties ?? {};
  const required = new Set(schema.required ?? []);
  return Object.entries(props).map(([name, s]) => {
    const type = s.enum ? s.enum.map((v) => JSON.stringify(v)).join(' | ') : Array.isArray(s.type) ? s.type.join(' | ') : (s.type ?? 'any');
    const range = s.minimum !== undefined || s.maximum !== undefined ? ` [${s.minimum ?? ''}..${s.maximum ?? ''}]` : '';
    const dflt = s.default !== undefined ? ` = ${JSON.stringify(s.default)}` : required.has(name) ? ' (required)' : '';
    return `      ${name}: ${type}${range}${dflt}${s.description ? `  ${s.description}` : ''}`;
  });
}

export default class Plugins extends Command {
  static override summary = 'List the built-in plugins (or one, or one of your own by its path), their descriptions and options.';
  static override description = `Kinds: ${KINDS.join(', ')}. An experiment names a plugin by name (policy: infogain) or with options (policy: { use: infogain, with: { epsilon: 0.1 } }); a plugin of your own is named by its file path (use: ./my-policy.js).`;
  static override examples = ['<%= config.bin %> plugins', '<%= config.bin %> plugins policy', '<%= config.bin %> plugins policy infogain', '<%= config.bin %> plugins policy ./my-policy.js'];
  static override args = {
    // The listing's headings are plurals ("policies:"), so a plural names the kind as well.
    kind: Args.string({ options: [...KINDS, ...KINDS.map(pluralKind)], description: 'Only this kind (policy or policies, ...).' }),
    plugin: Args.string({ description: 'Only this plugin of the kind: a built-in name, or the path of a plugin of your own (relative to the current directory).' }),
  };

  async run(): Promise<void> {
    const { args } = await this.parse(Plugins);
    const kinds = args.kind ? KINDS.filter((k) => k === args.kind || pluralKind(k) === args.kind) : KINDS;
    for (const kind of kinds) {
      this.log(`${pluralKind(kind)}:`);
      const names = args.plugin === undefined ? registry.names(kind) : [registry.locate(args.plugin, process.cwd())];
      if (names.length === 0) this.log('  (none built in)');
      for (const name of names) {
        let def;
        try {
          def = await registry.load(kind, name);
        } catch (error) {
          if (error instanceof PluginError) this.error(error.message, { exit: 1 });
          throw error;
        }
        // a plugin of one's own is shown as it was given
        this.log(`  ${name === args.plugin || args.plugin === undefined ? name : args.plugin}  ${def.description}`);
        const options = describeOptions(def);
        if (options.length > 0) this.log(['    options:', ...options].join('\n'));
      }
      this.log('');
    }
  }
}
