import { Type, type Static } from '@sinclair/typebox';

const fields = Type.Object(
  {
    use: Type.String({ minLength: 1, description: 'Built-in name or path to a module, relative to this file.' }),
    with: Type.Optional(Type.Unsafe<Record<string, unknown>>({ type: 'object', description: "The plugin's options." })),
    label: Type.Optional(Type.String({ minLength: 1, description: 'Name shown in tables; defaults to the plugin name and its options.' })),
  },
  { additionalProperties: false },
);

/** A plugin as an experiment may write it: a name or path, or `{ use, with, label }`. */
export type RawRef = string | Static<typeof fields>;

/**
 * The schema of a plugin reference: one schema of two types rather than a union, so that a mistake
 * gets one plain message ("expected string,object") instead of one per branch.
 */
export const PLUGIN_REF = Type.Unsafe<RawRef>({
  ...fields,
  type: ['string', 'object'],
  minLength: 1,
  description: 'A plugin: a built-in name or a file path (./my-plugin.js), or { use, with, label }.',
});

/** A field that names a plugin: a reference to the experiment schema's one definition of it. */
export function pluginField(options: { description?: string; default?: string } = {}): typeof PLUGIN_REF {
  return Type.Unsafe<RawRef>({ $ref: '#/definitions/plugin', ...options });
}
