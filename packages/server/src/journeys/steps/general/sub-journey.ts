import { Type } from '@sinclair/typebox';
import { defineStepType } from '../../step-type.ts';
import { JOURNEY_ID_PATTERN, RESERVED_VARIABLES } from '../../definition.ts';
import { anyObject } from '../parameter-schemas.ts';

const SubJourneyParameters = Type.Object(
  {
    journeyId: Type.String({
      pattern: JOURNEY_ID_PATTERN,
      description: 'The published journey to run (a constant: checked for cycles when this journey is published)',
    }),
    input: Type.Optional(anyObject({ description: 'Its input variable → value (usually an expression over this journey’s variables)' })),
    output: Type.Optional(
      Type.Unsafe<Record<string, string>>({
        type: 'object',
        // Not the engine-owned roots: who the user is comes back on its own, never through a mapping.
        propertyNames: { pattern: '^[A-Za-z_][A-Za-z0-9_]{0,63}$', not: { enum: [...RESERVED_VARIABLES] } },
        additionalProperties: { type: 'string', pattern: '^[A-Za-z_][A-Za-z0-9_]*(\\.[A-Za-z_][A-Za-z0-9_]*)*$' },
        description: 'This journey’s variable → the sub-journey’s variable (a dotted path) whose value it receives on success',
      }),
    ),
  },
  { additionalProperties: false },
);

/**
 * Runs another published journey of the same store as part of this one: its `input` variables are set from
 * this journey's, its steps (client-facing ones included) run in this instance, and when it ends in success the
 * `output` variables are copied back and this step leaves by `success`; a rejection leaves by `rejection` (or, not
 * wired, rejects this journey with the sub-journey's code). The user it identifies or authenticates is this
 * journey's user. The engine runs it (the step only asks for it); a journey calling itself, directly or through
 * others, is refused when published.
 */
export const subJourneyStep = defineStepType({
  type: 'general.subJourney',
  title: 'Sub-journey',
  family: 'general',
  parameterSchema: SubJourneyParameters,
  outcomes: ['success', 'rejection'],
  clientFacing: false,
  run(_ctx, params) {
    return Promise.resolve({ kind: 'subJourney', journeyId: params.journeyId, input: params.input ?? {}, output: params.output ?? {} });
  },
});
