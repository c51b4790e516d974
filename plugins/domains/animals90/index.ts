import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse } from 'yaml';
import { compileSchema, createDomain, definePlugin, type Domain, formatAjvErrors, NO, packagePath, Type, UNKNOWN, YES } from '../../../framework/plugin.js';

interface TableFile {
  attributes: { id: string; group?: string; question: string; note?: string; paraphrases: string[] }[];
  animals: { id: string; name: string; aliases?: string[]; class: string; yes: string[]; unknown?: string[] }[];
}

const SCHEMA = JSON.parse(readFileSync(packagePath('plugins/domains/animals90/animals90.schema.json'), 'utf8')) as object;
export const ANIMALS90_FILE = packagePath('plugins/domains/animals90/animals90.yaml');

/**
 * Loads a domain table (the format of animals90.yaml, checked against animals90.schema.json): any
 * domain written in this format can reuse it.
 */
export function loadDomainTable(file: string, name: string): Domain {
  const data = parse(readFileSync(file, 'utf8')) as TableFile;
  const validate = compileSchema(SCHEMA);
  if (!validate(data)) throw new Error(`${file}: not a valid domain table:\n${formatAjvErrors(validate.errors)}`);
  const attributeIndex = new Map(data.attributes.map((a, i) => [a.id, i]));
  const truth = new Uint8Array(data.animals.length * data.attributes.length).fill(NO);
  data.animals.forEach((animal, c) => {
    const set = (ids: string[] | undefined, value: number, list: string) => {
      for (const id of ids ?? []) {
        const a = attributeIndex.get(id);
        if (a === undefined) throw new Error(`${file}: animal "${animal.id}" lists unknown attribute "${id}" under ${list}`);
        if (truth[c * data.attributes.length + a] !== NO) throw new Error(`${file}: animal "${animal.id}" lists "${id}" twice`);
        truth[c * data.attributes.length + a] = value;
      }
    };
    set(animal.yes, YES, 'yes');
    set(animal.unknown, UNKNOWN, 'unknown');
  });
  return createDomain({
    name,
    noun: 'animal',
    candidates: data.animals.map((a) => ({ id: a.id, name: a.name, aliases: a.aliases ?? [] })),
    attributes: data.attributes.map((a) => ({ id: a.id, question: a.question, paraphrases: a.paraphrases, group: a.group })),
    truth,
  });
}

export default definePlugin({
  kind: 'domain',
  name: 'animals90',
  description: '90 animals a child knows, 71 yes/no attributes with paraphrases, and the truth table (plugins/domains/animals90/animals90.yaml).',
  options: Type.Object(
    {
      file: Type.Optional(
        Type.String({ 'x-file': true, description: 'Another table in the same format, relative to the experiment file (to the current directory when given with --set).' }),
      ),
    },
    { additionalProperties: false },
  ),
  create: (options, context) => loadDomainTable(options.file ? resolve(context.baseDir, options.file) : ANIMALS90_FILE, 'animals90'),
});
