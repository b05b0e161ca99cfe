import { Ajv, type Options } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { FastifySchemaCompiler } from 'fastify';
import { isCountry, isLanguage, isLocaleVariant, isTimeZone } from '../shared/formats.ts';
import { isIdentifier } from '../shared/identifier.ts';
import { BIDI_EMBEDDING_OVERRIDE_ISOLATE, LINE_BREAK_OR_TAB } from '../shared/one-line-text.ts';

// ajv-formats is CommonJS with a default export; under NodeNext it arrives as the module object.
const addFormats = addFormatsModule as unknown as typeof addFormatsModule.default;

function makeAjv(options: Options): Ajv {
  const ajv = new Ajv({ allErrors: false, strict: false, ...options });
  addFormats(ajv, { mode: 'full' });
  ajv.addFormat('timezone', isTimeZone);
  ajv.addFormat('language', isLanguage);
  ajv.addFormat('country', isCountry);
  ajv.addFormat('locale-variant', isLocaleVariant);
  ajv.addFormat('identifier', isIdentifier);
  ajv.addKeyword({
    keyword: SINGLE_LINE,
    type: 'string',
    schemaType: 'boolean',
    validate: (on: boolean, data: string) => !on || !LINE_BREAK_OR_TAB.test(data),
    errors: false,
  });
  ajv.addKeyword({
    keyword: NO_BIDI_CONTROLS,
    type: 'string',
    schemaType: 'boolean',
    validate: (on: boolean, data: string) => !on || !BIDI_EMBEDDING_OVERRIDE_ISOLATE.test(data),
    errors: false,
  });
  return ajv;
}

/**
 * Typed strings are single-line: no TAB, LF or CR (the text rule of text-rule.ts already refuses every other
 * control). A field whose text may span lines says so with `x-multiline: true` in its schema, which the OpenAPI
 * document shows (PEM certificates, page HTML, descriptions). Free-form parts of a body (a journey definition, form
 * content, step data) have no typed strings and keep TAB and line breaks.
 */
const MULTILINE = 'x-multiline';
const SINGLE_LINE = 'singleLine';

/**
 * Typed single-line strings (names, labels, display names) also refuse the explicit bidirectional formatting
 * characters, which reorder the text around them wherever it is shown (shared/one-line-text.ts says which and why).
 * Identifiers refuse every bidi control by their own rule (shared/identifier.ts).
 */
const NO_BIDI_CONTROLS = 'noBidiControls';

/** A copy of `schema` in which every string schema not marked multi-line carries the single-line and no-bidi-control keywords. */
function withSingleLineStrings(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(withSingleLineStrings);
  if (typeof schema !== 'object' || schema === null) return schema;
  const copy: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(schema))
    copy[key] = key === 'default' || key === 'examples' || key === 'const' || key === 'enum' ? value : withSingleLineStrings(value);
  const type = copy.type;
  const isString = type === 'string' || (Array.isArray(type) && type.includes('string'));
  if (isString && copy[MULTILINE] !== true) {
    copy[SINGLE_LINE] = true;
    copy[NO_BIDI_CONTROLS] = true;
  }
  return copy;
}

// Bodies are JSON and validated strictly: no type coercion, unknown properties are rejected by
// `additionalProperties: false` rather than silently dropped. Query strings and path parameters
// are text by nature, so they are coerced to the declared types.
const bodyAjv = makeAjv({ coerceTypes: false, removeAdditional: false, useDefaults: true });
const textAjv = makeAjv({ coerceTypes: true, removeAdditional: false, useDefaults: true });

export const validatorCompiler: FastifySchemaCompiler<unknown> = ({ schema, httpPart }) => {
  const ajv = httpPart === 'body' ? bodyAjv : textAjv;
  return ajv.compile(withSingleLineStrings(schema) as object) as ReturnType<FastifySchemaCompiler<unknown>>;
};
