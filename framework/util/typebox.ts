import { Type, type SchemaOptions, type TSchema, type TUnsafe } from '@sinclair/typebox';

/**
 * A field with a default: optional in the schema (an editor must not ask for it), always there once
 * ajv has filled the default in, which is when code reads it, so its type says it is there.
 */
export function defaulted<T extends TSchema>(schema: T): T {
  return Type.Optional(schema) as unknown as T;
}

/**
 * One of a few strings, as a JSON Schema `enum`: TypeBox would write a union of constants, whose
 * errors say each constant in turn instead of "expected one of ...".
 */
export function choice<const T extends readonly string[]>(values: T, options: SchemaOptions = {}): TUnsafe<T[number]> {
  return Type.Unsafe<T[number]>({ ...options, enum: [...values] });
}

/** The same field with another default (a shared option whose default differs for one plugin). */
export function withDefault<T extends TSchema>(schema: T, value: unknown): T {
  return { ...schema, default: value };
}
