import { isScalar, isSeq, parseDocument, type Document } from 'yaml';
import { ConfigError } from './errors.js';
import type { Path } from './source-map.js';

export function parseSet(assignment: string): { path: Path; value: string } {
  const eq = assignment.indexOf('=');
  if (eq <= 0) throw new ConfigError([{ file: '--set', line: 0, col: 0, origin: `--set ${assignment}`, path: '', message: 'expected path=value, e.g. --set seed=3 or --set stages.0.evaluate.games=50' }]);
  const path = assignment
    .slice(0, eq)
    .trim()
    .split(/[.[\]]+/)
    .filter((p) => p.length > 0)
    .map((p) => (/^\d+$/.test(p) ? Number(p) : p));
  return { path, value: assignment.slice(eq + 1) };
}

/**
 * Applies `--set a.b.0.c=value` to the document; a plugin written as a bare name grows into { use }.
 * An index must name an item that is there (or the one after the last): past it, yaml would leave
 * empty items that the schema then blames on the file.
 */
export function applySet(doc: Document.Parsed, path: Path, value: string, origin: string): void {
  for (let i = 1; i < path.length; i++) {
    const parent = doc.getIn(path.slice(0, i), true);
    const index = path[i];
    if (isSeq(parent) && typeof index === 'number' && index > parent.items.length) {
      const at = path.slice(0, i).join('.');
      const items = parent.items.length;
      const range = items === 0 ? '' : items === 1 ? ` (${at}.0)` : ` (${at}.0 to ${at}.${items - 1})`;
      throw new ConfigError([{ file: '--set', line: 0, col: 0, origin, path: '', message: `${at} has ${items} item${items === 1 ? '' : 's'}${range}; there is no ${at}.${index}` }]);
    }
    if (isScalar(parent) && typeof parent.value === 'string' && ['use', 'with', 'label'].includes(String(path[i]))) {
      doc.setIn(path.slice(0, i), doc.createNode({ use: parent.value }));
    }
  }
  const parsed = parseDocument(value);
  try {
    doc.setIn(path, doc.createNode(parsed.errors.length > 0 ? value : parsed.toJS()));
  } catch {
    // yaml cannot go through a plain value (--set seed.x=1): say which part is not a map or list.
    const stop = path.findIndex((_, i) => i > 0 && isScalar(doc.getIn(path.slice(0, i), true)));
    const at = path.slice(0, stop > 0 ? stop : path.length).join('.');
    throw new ConfigError([{ file: '--set', line: 0, col: 0, origin, path: '', message: `${at} is a single value, not a map or list: there is no ${path.join('.')} to set` }]);
  }
}
