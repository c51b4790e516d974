import type { ErrorObject } from 'ajv';
import { dottedPath, type Problem } from './errors.js';
import { describeError } from './schema.js';
import type { Path, SourceMap } from './source-map.js';

function pathOf(instancePath: string, data: unknown): Path {
  const path: Path = [];
  let node = data;
  for (const raw of instancePath.split('/').slice(1)) {
    const part = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    const key = Array.isArray(node) && /^\d+$/.test(part) ? Number(part) : part;
    path.push(key);
    node = node && typeof node === 'object' ? (node as Record<string, unknown>)[key] : undefined;
  }
  return path;
}

function valueAt(data: unknown, path: Path): unknown {
  return path.reduce<unknown>((node, key) => (node && typeof node === 'object' ? (node as Record<string | number, unknown>)[key] : undefined), data);
}

/**
 * One problem per ajv error, said plainly and placed in the file; duplicates from type unions dropped.
 * `data` is what was validated and `at` where it sits in the document (a plugin's options sit at
 * [..., 'with']); `what` is added to each message.
 */
export function schemaProblems(errors: ErrorObject[], data: unknown, source: SourceMap, at: Path = [], what = ''): Problem[] {
  const problems: Problem[] = [];
  for (const e of errors) {
    const inner = pathOf(e.instancePath, data);
    const path = [...at, ...inner];
    const value = valueAt(data, inner);
    let place = source.place(path);
    let shown = path;
    let message: string;
    if (e.keyword === 'additionalProperties') {
      const key = String(e.params.additionalProperty);
      place = source.keyPlace(path, key);
      shown = [...path, key];
      message = describeError(e);
      if (path.at(-2) === 'stages') message = message.replace('unknown field', 'unknown stage').replace('Expected fields:', 'Expected one of:');
    } else if (e.keyword === 'maxProperties' && path.at(-2) === 'stages') {
      message = 'a stage is a map with exactly one key (its kind); start each stage with its own "- "';
    } else {
      message = describeError(e, e.keyword === 'required' ? undefined : value);
    }
    problems.push({ ...place, path: dottedPath(shown), message: message + what });
  }
  const seen = new Set<string>();
  return problems.filter((p) => {
    const key = `${p.origin ?? ''}${p.line}:${p.col}:${p.message}`;
    return !seen.has(key) && seen.add(key);
  });
}

/** The object holding the value at a path, and the value's key in it; undefined for an array item or the root. */
function holder(data: unknown, path: Path): { parent: Record<string, unknown>; key: string } | undefined {
  const key = path.at(-1);
  const parent = valueAt(data, path.slice(0, -1));
  if (typeof key !== 'string' || !parent || typeof parent !== 'object' || Array.isArray(parent)) return undefined;
  return { parent: parent as Record<string, unknown>, key };
}

/**
 * Takes out of the data what the schema refused, where that leaves the rest where it was: an unknown
 * field, a value of the wrong kind under a key of a map (the default, if any, then fills in); a missing
 * name gets a stand-in. Never an item of a list, whose removal would move the items after it (and the
 * places of their problems). Returns whether anything was taken out.
 */
export function takeOutRefused(data: unknown, errors: readonly ErrorObject[]): boolean {
  let changed = false;
  for (const e of errors) {
    const path = pathOf(e.instancePath, data);
    if (e.keyword === 'additionalProperties') {
      const map = valueAt(data, path) as Record<string, unknown> | undefined;
      const key = String(e.params.additionalProperty);
      if (map && typeof map === 'object' && key in map) changed = Reflect.deleteProperty(map, key);
    } else if (e.keyword === 'required') {
      if (path.length === 0 && e.params.missingProperty === 'name') changed = Boolean(((data as Record<string, unknown>).name = 'unnamed'));
    } else {
      const at = holder(data, path);
      if (at && at.key in at.parent) changed = Reflect.deleteProperty(at.parent, at.key);
    }
  }
  return changed;
}
