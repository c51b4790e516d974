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

