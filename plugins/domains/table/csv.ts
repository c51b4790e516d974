import { readFileSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import { NO } from '../../../framework/plugin.js';
import { cellValue, slug, TableError, type TableData, type Where } from './table.js';

/** Column headers with a meaning of their own; every other column after the first is a question. */
const SPECIAL = new Set(['id', 'aliases', 'class']);
/** A first column headed like this names no noun. */
const PLAIN_FIRST = new Set(['', 'name', 'names', 'candidate', 'candidates']);

/**
 * A table as CSV: a header row, then one row per candidate. The first column holds the candidates'
 * names, and its header is the domain's noun ("fruit"; "name" for none). Optional columns `id`,
 * `aliases` (separated by ";") and `class`; every other column is a question, its header the question
 * with any paraphrases after it, separated by " | ". Cells: yes, no or unknown (y, n, u, ? too).
 */
export function readCsvTable(file: string): TableData {
  let rows: { record: string[]; info: { lines: number } }[];
  try {
    rows = parse(readFileSync(file, 'utf8'), { info: true, relax_column_count: true, skip_empty_lines: true, bom: true, trim: true }) as unknown as typeof rows;
  } catch (error) {
    const e = error as Error & { lines?: number };
    throw new TableError(file, [{ where: { line: e.lines ?? 1, col: 1 }, message: `not valid CSV: ${e.message}` }]);
  }
  if (rows.length === 0) throw new TableError(file, [{ where: { line: 1, col: 1 }, message: 'the file is empty: write a header row (the noun, then one question per column) and a row per candidate' }]);
  const [head, ...body] = rows;
  const header = head!.record;
  const headerLine = head!.info.lines;
  const column = (name: string) => header.findIndex((h, i) => i > 0 && h.toLowerCase() === name);
  const special = { id: column('id'), aliases: column('aliases'), class: column('class') };
  const questionColumns = header.map((_, i) => i).filter((i) => i > 0 && !SPECIAL.has(header[i]!.toLowerCase()));
  const problems: { where: Where; message: string }[] = [];
  const attributes = questionColumns.map((i) => {
    const [question = '', ...paraphrases] = header[i]!.split('|').map((p) => p.trim());
    if (question.length === 0) problems.push({ where: { line: headerLine, col: i + 1 }, message: `column ${i + 1} has no question: write the question in its header (e.g. "Is it red?")` });
    return { id: slug(question), question, paraphrases: paraphrases.filter((p) => p.length > 0), where: { line: headerLine, col: i + 1 } };
  });
  const truth = new Uint8Array(body.length * attributes.length).fill(NO);
  const candidates = body.map(({ record, info }, c) => {
    const where = { line: info.lines, col: 1 };
    if (record.length !== header.length) problems.push({ where, message: `${record.length} cells where the header has ${header.length}: one cell per column` });
    const name = record[0] ?? '';
    if (name.length === 0) problems.push({ where, message: 'a row with no name in the first column' });
    questionColumns.forEach((i, a) => {
      if (record[i] === undefined) return;
      const value = cellValue(record[i]);
      if (value === undefined) problems.push({ where: { line: info.lines, col: i + 1 }, message: `"${record[i]}" for "${attributes[a]!.question}": a cell is yes, no or unknown (or y, n, u, ?)` });
      else truth[c * attributes.length + a] = value;
    });
    const cell = (i: number) => (i > 0 ? (record[i] ?? '') : '');
    const aliases = cell(special.aliases)
      .split(';')
      .map((s) => s.trim())
      .filter((s) => s.length > 0);
    const cls = cell(special.class);
    return { id: cell(special.id) || slug(name), name, aliases, ...(cls ? { class: cls } : {}), where };
  });
  if (problems.length > 0) throw new TableError(file, problems);
  const first = header[0]!.trim();
  return { ...(PLAIN_FIRST.has(first.toLowerCase()) ? {} : { noun: first }), attributes, candidates, truth };
}
