import { readFileSync } from 'node:fs';
import { isMap, isScalar, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import { compileSchema, describeError, NO, packagePath, UNKNOWN, YES } from '../../../framework/plugin.js';
import { slug, TableError, type TableData, type Where } from './table.js';

const SCHEMA = JSON.parse(readFileSync(packagePath('plugins/domains/table/table.schema.json'), 'utf8')) as object;

interface TableFile {
  name?: string;
  noun?: string;
  plural?: string;
  article?: string;
  attributes: { id?: string; group?: string; question: string; paraphrases?: string[] }[];
  candidates: { id?: string; name: string; aliases?: string[]; class?: string; yes?: string[]; unknown?: string[] }[];
}

/** Places of values in a parsed document, by their path. */
class Places {
  constructor(
    private readonly doc: Document.Parsed,
    private readonly lines: LineCounter,
  ) {}

  of(path: readonly (string | number)[]): Where {
    for (let n = path.length; n >= 0; n--) {
      const node = (n === 0 ? this.doc.contents : this.doc.getIn(path.slice(0, n), true)) as Node | undefined;
      if (node?.range) return this.lines.linePos(node.range[0]);
    }
    return { line: 1, col: 1 };
  }

  /** The place of a key of the map at path (an unknown field). */
  key(path: readonly (string | number)[], key: string): Where {
    const map = path.length === 0 ? this.doc.contents : this.doc.getIn(path, true);
    const pair = isMap(map) ? map.items.find((p) => isScalar(p.key) && String(p.key.value) === key) : undefined;
    const range = (pair?.key as Node | undefined)?.range;
    return range ? this.lines.linePos(range[0]) : this.of(path);
  }
}

/**
 * A table as YAML (the format of animals90.yaml, checked against table.schema.json): `attributes`,
 * each a question with optional id, paraphrases and group; `candidates`, each a name with optional
 * id, aliases and class, and the ids of the questions that are true for it (`yes`) or unknown
 * (`unknown`); every other fact is false. Optional `name`, `noun`, `plural`, `article`.
 */
export function readYamlTable(file: string): TableData {
  const lines = new LineCounter();
  const doc = parseDocument(readFileSync(file, 'utf8'), { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0)
    throw new TableError(
      file,
      doc.errors.map((e) => ({ where: lines.linePos(e.pos[0]), message: e.message.split('\n')[0]! })),
    );
  const places = new Places(doc, lines);
  const data = doc.toJS() as TableFile;
  const validate = compileSchema(SCHEMA);
  if (!validate(data)) {
    throw new TableError(
      file,
      (validate.errors ?? []).map((e) => {
        const path = e.instancePath
          .split('/')
          .slice(1)
          .map((p) => (/^\d+$/.test(p) ? Number(p) : p));
        const where = e.keyword === 'additionalProperties' ? places.key(path, String((e.params as { additionalProperty: string }).additionalProperty)) : places.of(path);
        return { where, message: `${e.instancePath.slice(1).replace(/\//g, '.') || 'the file'}: ${describeError(e, e.data)}` };
      }),
    );
  }
  const attributes = data.attributes.map((a, i) => ({
    id: a.id ?? slug(a.question),
    question: a.question,
    paraphrases: a.paraphrases ?? [],
    ...(a.group !== undefined ? { group: a.group } : {}),
    where: places.of(['attributes', i]),
  }));
  const index = new Map(attributes.map((a, i) => [a.id, i]));
  const truth = new Uint8Array(data.candidates.length * attributes.length).fill(NO);
  const problems: { where: Where; message: string }[] = [];
  data.candidates.forEach((c, row) => {
    for (const [list, value] of [
      ['yes', YES],
      ['unknown', UNKNOWN],
    ] as const) {
      (c[list] ?? []).forEach((id, k) => {
        const where = places.of(['candidates', row, list, k]);
        const a = index.get(id);
        if (a === undefined) problems.push({ where, message: `${c.name}: no question "${id}" (listed under ${list})` });
        else if (truth[row * attributes.length + a] !== NO) problems.push({ where, message: `${c.name}: "${id}" is listed twice` });
        else truth[row * attributes.length + a] = value;
      });
    }
  });
  if (problems.length > 0) throw new TableError(file, problems);
  const candidates = data.candidates.map((c, row) => ({
    id: c.id ?? slug(c.name),
    name: c.name,
    aliases: c.aliases ?? [],
    ...(c.class !== undefined ? { class: c.class } : {}),
    where: places.of(['candidates', row]),
  }));
  const { name, noun, plural, article } = data;
  return { ...(name ? { name } : {}), ...(noun ? { noun } : {}), ...(plural ? { plural } : {}), ...(article ? { article } : {}), attributes, candidates, truth };
}
