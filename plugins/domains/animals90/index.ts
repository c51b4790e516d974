import { resolve } from 'node:path';
import { definePlugin, packagePath, Type } from '../../../framework/plugin.js';
import { loadTable, NAME_OPTIONS } from '../table/index.js';

export const ANIMALS90_FILE = packagePath('plugins/domains/animals90/animals90.yaml');

const OPTIONS = Type.Object(
  {
    file: Type.Optional(Type.String({ 'x-file': true, description: 'Another table instead (as the table domain reads it), relative to the experiment file.' })),
    ...NAME_OPTIONS,
  },
  { additionalProperties: false },
);

/** The default domain: the `table` domain over animals90.yaml. */
export default definePlugin({
  kind: 'domain',
  name: 'animals90',
  description: '90 animals a child knows, 71 yes/no attributes with paraphrases, and the truth table: the table plugins/domains/animals90/animals90.yaml.',
  options: OPTIONS,
  create: ({ file, ...names }, context) => loadTable(file ? resolve(context.baseDir, file) : ANIMALS90_FILE, { name: 'animals90', ...names }),
});
