import { defineStepType } from '../../step-type.ts';

interface EndParameters {
  result: 'success' | 'rejection';
  /** Problem code of a rejection, e.g. JOURNEY_REJECTED or a business code such as USER_BLOCKED. */
  code?: string;
}

/**
 * Ends the journey. On success the engine answers with the journey's user and an ID token; a
 * success without an identified user is a rejection (JOURNEY_NO_USER), never a token for nobody.
 */
export const endStep = defineStepType<EndParameters>({
  type: 'general.end',
  title: 'End',
  family: 'general',
  parameterSchema: {
    type: 'object',
    required: ['result'],
    additionalProperties: false,
    properties: {
      result: { enum: ['success', 'rejection'] },
      code: { type: 'string', pattern: '^[A-Z][A-Z0-9_]{2,63}$' },
    },
  },
  outcomes: [],
  clientFacing: false,
  run(_ctx, params) {
    return Promise.resolve(
      params.result === 'success' ? { kind: 'end', result: 'success' } : { kind: 'end', result: 'rejection', code: params.code ?? 'JOURNEY_REJECTED' },
    );
  },
});
