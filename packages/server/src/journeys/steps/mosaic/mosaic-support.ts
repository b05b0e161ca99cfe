import { Type, type Static, type StringOptions } from '@sinclair/typebox';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { validationError } from '../../../errors/keyway-error.ts';
import { RESERVED_VARIABLES } from '../../definition.ts';
import type { ContextUpdate, StepContext, StepResult } from '../../step-type.ts';
import { anyObject, stringEnum } from '../parameter-schemas.ts';
import { readPath } from '../trustx/trustx-support.ts';

/**
 * What the Mosaic step types share: the Failure Behavior / Cancel Behavior
 * settings, the Error Output Variable, custom branches with schemas for the data a client returns,
 * and where the ceremonies they start are kept (`_mosaic…`).
 */

/**
 * The name of a variable a step writes to; not an engine-owned root. Some of these receive the client's data (a
 * branch's), which under `_identityStore` could pose as a passkey ceremony the journey started (the Custom Page
 * step offers those to its page's WebAuthn requests).
 */
export const variableName = (options: StringOptions = {}) =>
  Type.String({ pattern: '^[A-Za-z_][A-Za-z0-9_]{0,63}$', not: { enum: [...RESERVED_VARIABLES] }, ...options });
export const BRANCH_ID_PATTERN = '^[A-Za-z][A-Za-z0-9_-]{0,63}$';
/** Response options of the IDO protocol; a custom branch cannot take one of these ids. */
export const RESERVED_OPTION_IDS = ['client_input', 'cancel', 'fail'];

export const failureBehavior = (fallback: 'abort' | 'failureBranch') =>
  stringEnum(['abort', 'failureBranch'], {
    default: fallback,
    description: `abort: end the journey with a rejection; failureBranch: leave by the \`failure\` outcome (default ${fallback})`,
  });

/** A custom branch: an option the client may choose by id, with a JSON Schema for the data it returns. */
export const customBranch = (description?: string) =>
  Type.Object(
    {
      id: Type.String({
        pattern: BRANCH_ID_PATTERN,
        not: { enum: RESERVED_OPTION_IDS },
        description: 'The branch id the client returns as clientResponseOptionId; also the outcome',
      }),
      displayName: Type.Optional(Type.String({ maxLength: 128 })),
      schema: Type.Optional(anyObject({ description: 'JSON Schema of the data the client returns with this branch; checked on submit' })),
    },
    { additionalProperties: false, ...(description === undefined ? {} : { description }) },
  );

export type CustomBranch = Static<ReturnType<typeof customBranch>>;

export const customBranches = () =>
  Type.Array(customBranch(), { maxItems: 20, description: 'Additional branches the client may select by id, each with a schema for its data' });

export interface StepError {
  code: string;
  detail: string;
}

/** A failure under Failure Behavior: kept in Error Output Variable, then the `failure` outcome or a rejection. */
export function failWith(
  behavior: 'abort' | 'failureBranch',
  errorOutputVariable: string | undefined,
  error: StepError,
  more: ContextUpdate[] = [],
): StepResult {
  const updates = [...more, ...(errorOutputVariable ? [{ path: [errorOutputVariable], value: error }] : [])];
  return behavior === 'abort' ? { kind: 'end', result: 'rejection', code: error.code, updates } : { kind: 'outcome', outcome: 'failure', updates };
}

// ajv-formats is CommonJS with a default export; under NodeNext it arrives as the module object.
const addFormats = addFormatsModule as unknown as typeof addFormatsModule.default;
const ajv = new Ajv({ allErrors: false, strict: false, logger: false });
addFormats(ajv, { mode: 'full' });
const compiled = new Map<string, ValidateFunction>();

/** Checks a branch's data against its schema (compiled once per distinct schema); a mismatch is the client's 400. */
export function checkBranchData(branch: CustomBranch, data: unknown): void {
  if (!branch.schema) return;
  const key = JSON.stringify(branch.schema);
  let validate = compiled.get(key);
  if (!validate) {
    try {
      validate = ajv.compile(branch.schema);
    } catch {
      throw validationError('data', `branch ${branch.id} has a schema that is not valid JSON Schema; fix the journey definition`);
    }
    if (compiled.size > 500) compiled.clear();
    compiled.set(key, validate);
  }
  if (!validate(data)) {
    const first = validate.errors?.[0];
    throw validationError(
      `data${(first?.instancePath ?? '').replaceAll('/', '.')}`,
      `${first?.message ?? 'does not match the branch schema'} (branch ${branch.id})`,
    );
  }
}

/** The store a Mosaic step works in: its parameter, else the journey's store. */
export function storeOf(ctx: StepContext, storeName: string | undefined): string {
  if (storeName) return storeName;
  const journey = readPath(ctx.vars, ['_journey', 'store']);
  if (typeof journey !== 'string') throw validationError('storeName', 'is required: the journey names no store');
  return journey;
}
