import { resolve } from 'node:path';
import { definePlugin } from '../../../framework/plugins/types.js';
import { packagePath } from '../../../framework/util/paths.js';
import { loadTable, NAME_OPTIONS, type TableOptions } from '../table/index.js';

export const ANIMALS90_FILE = packagePath('plugins/domains/animals90/animals90.yaml');

/** The default domain: the `table` domain over animals90.yaml. */
export default definePlugin<'domain', Partial<TableOptions>>({
  kind: 'domain',
  name: 'animals90',
  description: '90 animals a child knows, 71 yes/no attributes with paraphrases, and the truth table: the table plugins/domains/animals90/animals90.yaml.',
  options: {
    type: 'object',
    additionalProperties: false,
    properties: {
      file: { type: 'string', 'x-file': true, description: 'Another table instead (as the table domain reads it), relative to the experiment file.' },
      ...NAME_OPTIONS,
    },
  },
  create: ({ file, ...names }, context) => loadTable(file ? resolve(context.baseDir, file) : ANIMALS90_FILE, { name: 'animals90', ...names }),
});
