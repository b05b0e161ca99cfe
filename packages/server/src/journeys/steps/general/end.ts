import { Type } from '@sinclair/typebox';
import { defineStepType } from '../../step-type.ts';

/**
 * Ends the journey. On success the engine answers with the journey's user and an ID token; a
 * success without an identified user is a rejection (JOURNEY_NO_USER), never a token for nobody.
 */
export const endStep = defineStepType({
  type: 'general.end',
  title: 'End',
  family: 'general',
  parameterSchema: Type.Object(
    {
      result: Type.Unsafe<'success' | 'rejection'>({ enum: ['success', 'rejection'] }),
      /** Problem code of a rejection, e.g. JOURNEY_REJECTED or a business code such as USER_BLOCKED. */
      code: Type.Optional(Type.String({ pattern: '^[A-Z][A-Z0-9_]{2,63}$' })),
    },
    { additionalProperties: false },
  ),
  outcomes: [],
  clientFacing: false,
  run(_ctx, params) {
    return Promise.resolve(
      params.result === 'success' ? { kind: 'end', result: 'success' } : { kind: 'end', result: 'rejection', code: params.code ?? 'JOURNEY_REJECTED' },
    );
  },
});
