import { Type, type SchemaOptions, type TUnsafe } from '@sinclair/typebox';

/**
 * Schema pieces step parameters share, as TypeBox types (so each step's parameter type is derived from its schema).
 * They emit plain JSON Schema keywords (`enum`, `type: 'object'`) rather than TypeBox's unions of literals, so a
 * definition's parameter problems are reported once per value, as `enum` and `type` failures.
 */

/** A string that is one of `values` (`{type: 'string', enum}`). */
export function stringEnum<const T extends readonly string[]>(values: T, options: SchemaOptions = {}): TUnsafe<T[number]> {
  return Type.Unsafe<T[number]>({ type: 'string', enum: [...values], ...options });
}

/** Any JSON object (`{type: 'object'}`), its members unchecked. */
export function anyObject(options: SchemaOptions = {}): TUnsafe<Record<string, unknown>> {
  return Type.Unsafe<Record<string, unknown>>({ type: 'object', ...options });
}
