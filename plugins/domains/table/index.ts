import { existsSync } from 'node:fs';
import { extname, resolve } from 'node:path';
import { choice, definePlugin, type Domain, Type, type Static } from '../../../framework/plugin.js';
import { readCsvTable } from './csv.js';
import { tableDomain, TableError, tableProblems, type TableData, type TableNames } from './table.js';
import { readYamlTable } from './yaml.js';

export { TableError } from './table.js';

const READERS: Record<string, (file: string) => TableData> = { '.csv': readCsvTable, '.yaml': readYamlTable, '.yml': readYamlTable };

/** Any table a user has, as a domain: CSV or YAML by the file's extension (see readCsvTable, readYamlTable). */
export function loadTable(file: string, names: TableNames = {}): Domain {
  const read = READERS[extname(file).toLowerCase()];
  if (!read) throw new TableError(file, [{ where: { line: 1, col: 1 }, message: `a table is a .csv, .yaml or .yml file, not "${extname(file) || 'no extension'}"` }]);
  if (!existsSync(file)) throw new Error(`${file}: no such table file`);
  const data = read(file);
  const problems = tableProblems(data);
  if (problems.length > 0) throw new TableError(file, problems);
  return tableDomain(file, data, names);
}

/** How a domain from a table is named and speaks of its candidates (the table and animals90 domains). */
export const NAME_OPTIONS = {
  name: Type.Optional(Type.String({ minLength: 1, description: "The domain's name in labels and reports (default: the table's own, else its file name)." })),
  noun: Type.Optional(Type.String({ minLength: 1, description: 'What a candidate is called in prompts, answers and reports: "fruit", "disease" (default: the table\'s own, else "thing").' })),
  plural: Type.Optional(Type.String({ minLength: 1, description: "The noun's plural (default: the noun with an s)." })),
  article: Type.Optional(choice(['a', 'an'], { description: "The noun's article (default: by its first letter)." })),
};

const OPTIONS = Type.Object(
  {
    file: Type.String({ 'x-file': true, description: 'The table (.csv, .yaml or .yml), relative to the experiment file (to the current directory when given with --set).' }),
    ...NAME_OPTIONS,
  },
  { additionalProperties: false },
);

export type TableOptions = Static<typeof OPTIONS>;

export default definePlugin({
  kind: 'domain',
  name: 'table',
  description: 'Any table as a domain: a CSV or YAML file with one row per candidate and one column per question (yes / no / unknown cells), optional aliases, classes and paraphrases, and the noun its candidates go by.',
  options: OPTIONS,
  create: ({ file, ...names }, context) => loadTable(resolve(context.baseDir, file), names),
});
