import { Ajv, type Options } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { FastifySchemaCompiler } from 'fastify';
import { isCountry, isLanguage, isLocaleVariant, isTimeZone } from '../shared/formats.ts';
import { isIdentifier } from '../shared/identifier.ts';

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
  return ajv;
}

// Bodies are JSON and validated strictly: no type coercion, unknown properties are rejected by
// `additionalProperties: false` rather than silently dropped. Query strings and path parameters
// are text by nature, so they are coerced to the declared types.
const bodyAjv = makeAjv({ coerceTypes: false, removeAdditional: false, useDefaults: true });
const textAjv = makeAjv({ coerceTypes: true, removeAdditional: false, useDefaults: true });

export const validatorCompiler: FastifySchemaCompiler<unknown> = ({ schema, httpPart }) => {
  const ajv = httpPart === 'body' ? bodyAjv : textAjv;
  return ajv.compile(schema as object) as ReturnType<FastifySchemaCompiler<unknown>>;
};
