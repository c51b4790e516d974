import { basename, extname } from 'node:path';
import { createDomain, type Domain, nameKey, NO, UNKNOWN, UserError, YES } from '../../../framework/plugin.js';

/** A place in a table file, 1-based. */
export interface Where {
  line: number;
  col: number;
}

/** Everything wrong with a table file, each problem at its line (and column). */
export class TableError extends UserError {
  constructor(
    readonly file: string,
    readonly problems: { where: Where; message: string }[],
  ) {
    super(problems.map((p) => `${file}:${p.where.line}:${p.where.col}: ${p.message}`).join('\n'));
    this.name = 'TableError';
  }
}

/** What a table file says about its domain, before it becomes a Domain. */
export interface TableData {
  name?: string;
  noun?: string;
  plural?: string;
  article?: string;
  attributes: { id: string; question: string; paraphrases: string[]; group?: string; where: Where }[];
  candidates: { id: string; name: string; aliases: string[]; class?: string; where: Where }[];
  /** Row-major [candidate][attribute]: NO, YES, UNKNOWN. */
  truth: Uint8Array;
}

/** How a domain built from a table is named and speaks of its candidates; options override the file. */
export interface TableNames {
  name?: string;
  noun?: string;
  plural?: string;
  article?: string;
}

/** yes / no / unknown, and their first letters and "?", in any case. */
export function cellValue(text: string): number | undefined {
  const t = text.trim().toLowerCase();
  if (t === 'yes' || t === 'y') return YES;
  if (t === 'no' || t === 'n') return NO;
  if (t === 'unknown' || t === 'u' || t === '?') return UNKNOWN;
  return undefined;
}

/** An id from a name or a question: lower-case words joined by underscores ("Is it red?" -> is_it_red). */
export function slug(text: string): string {
  const s = text
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '');
  return s.length > 0 ? s : 'x';
}

/**
 * Problems a table can have whatever its format: two candidates of one name (or alias, as the game
 * reads names: case, articles and plurals aside), two questions of one id, a question with no text.
 */
export function tableProblems(data: TableData): { where: Where; message: string }[] {
  const problems: { where: Where; message: string }[] = [];
  const names = new Map<string, { id: string; where: Where }>();
  const ids = new Map<string, Where>();
  for (const c of data.candidates) {
    const first = ids.get(c.id);
    if (first) problems.push({ where: c.where, message: `duplicate candidate "${c.id}" (first at line ${first.line}): give each row its own name` });
    else ids.set(c.id, c.where);
    for (const name of new Set([c.name, c.id.replace(/_/g, ' '), ...c.aliases].map(nameKey))) {
      const other = names.get(name);
      if (other && other.id !== c.id) problems.push({ where: c.where, message: `the name "${name}" of "${c.id}" is also a name of "${other.id}" (line ${other.where.line}): names and aliases must tell candidates apart` });
      else names.set(name, { id: c.id, where: c.where });
    }
  }
  const questions = new Map<string, Where>();
  for (const a of data.attributes) {
    if (a.question.trim().length === 0) {
      problems.push({ where: a.where, message: 'a question with no text: write the question (e.g. "Is it red?")' });
      continue;
    }
    const first = questions.get(a.id);
    if (first) problems.push({ where: a.where, message: `duplicate question "${a.id}" (first at line ${first.line}:${first.col})` });
    else questions.set(a.id, a.where);
  }
  if (data.candidates.length < 2) problems.push({ where: { line: 1, col: 1 }, message: `a table needs at least 2 candidates, it has ${data.candidates.length}` });
  if (data.attributes.length < 1) problems.push({ where: { line: 1, col: 1 }, message: 'a table needs at least one question' });
  return problems;
}

/** The Domain of a checked table: names from the options, else the file, else the file's name and "thing". */
export function tableDomain(file: string, data: TableData, names: TableNames): Domain {
  const noun = names.noun ?? data.noun;
  const plural = names.plural ?? data.plural;
  const article = names.article ?? data.article;
  return createDomain({
    name: names.name ?? data.name ?? basename(file, extname(file)),
    ...(noun !== undefined ? { noun } : {}),
    ...(plural !== undefined ? { plural } : {}),
    ...(article !== undefined ? { article } : {}),
    candidates: data.candidates.map((c) => ({ id: c.id, name: c.name, aliases: c.aliases })),
    attributes: data.attributes.map((a) => ({ id: a.id, question: a.question.trim(), paraphrases: a.paraphrases, ...(a.group !== undefined ? { group: a.group } : {}) })),
    truth: data.truth,
  });
}
