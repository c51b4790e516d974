import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { nearest } from '../util/text.js';

/**
 * One ajv instance for the process: schemas compile once and are cached by object identity, so keep
 * a schema object alive (module scope) rather than rebuilding it. `useDefaults` fills in each option's
 * default, which is how a resolved experiment comes to spell out every setting.
 */
const ajv = new Ajv({ allErrors: true, useDefaults: true, strict: false, verbose: true });
const cache = new WeakMap<object, ValidateFunction>();

export function compileSchema<T = unknown>(schema: object): ValidateFunction<T> {
  let validate = cache.get(schema);
  if (!validate) {
    validate = ajv.compile(schema);
    cache.set(schema, validate);
  }
  return validate as ValidateFunction<T>;
}

/** A plain-text list of ajv errors, for data that has no source positions (files read as JSON). */
export function formatAjvErrors(errors: ErrorObject[] | null | undefined): string {
  return (errors ?? []).map((e) => `  ${e.instancePath || '/'}: ${describeError(e)}`).join('\n');
}

function show(value: unknown): string {
  // JSON has no Infinity: 1e400 in YAML is one, and JSON.stringify would show it as null.
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
  return typeof value === 'string' ? JSON.stringify(value) : (JSON.stringify(value) ?? String(value));
}

/** What an ajv error means, said the way a person editing the file would want it. */
export function describeError(e: ErrorObject, data?: unknown): string {
  const p = e.params as Record<string, unknown>;
  const got = data === undefined ? '' : `, got ${show(data)}`;
  switch (e.keyword) {
    case 'required':
      return `missing required field "${String(p.missingProperty)}"`;
    case 'additionalProperties': {
      const key = String(p.additionalProperty);
      const allowed = Object.keys((e.parentSchema?.properties as object | undefined) ?? {});
      const guess = nearest(key, allowed);
      return `unknown field "${key}"${guess ? `; did you mean "${guess}"?` : '.'}${allowed.length > 0 ? ` Expected fields: ${allowed.join(', ')}` : ' It takes no fields.'}`;
    }
    case 'type':
      return `expected ${String(p.type)}${got}`;
    case 'enum':
      return `expected one of ${(p.allowedValues as unknown[]).map(show).join(', ')}${got}`;
    case 'const':
      return `expected ${show(p.allowedValue)}${got}`;
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum':
      return `expected a number ${String(p.comparison)} ${String(p.limit)}${got}`;
    case 'minItems':
      return `expected at least ${String(p.limit)} item${p.limit === 1 ? '' : 's'}`;
    case 'maxItems':
      return `expected at most ${String(p.limit)} items`;
    case 'minProperties':
      return `expected at least ${String(p.limit)} field${p.limit === 1 ? '' : 's'}`;
    case 'maxProperties':
      return `expected exactly one field, got ${String(p.limit === 1 ? 'more' : 'too many')}`;
    case 'pattern': {
      // A pattern says little to a person; the field's description says what it is for.
      const about = (e.parentSchema as { description?: string } | undefined)?.description;
      return `expected text matching ${String(p.pattern)}${got}${about ? ` (${about})` : ''}`;
    }
    case 'minLength':
      return `expected text of at least ${String(p.limit)} character${p.limit === 1 ? '' : 's'}`;
    case 'uniqueItems':
      return `items ${String(p.j)} and ${String(p.i)} are the same`;
    default:
      return e.message ?? e.keyword;
  }
}
