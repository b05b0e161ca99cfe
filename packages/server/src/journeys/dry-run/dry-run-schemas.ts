import { Type } from '@sinclair/typebox';
import { DEFINITION_SCHEMA_PATH } from '../journey-schemas.ts';
import { PASSKEY_BEHAVIOURS } from './journey-dry-run.ts';

const Behaviour = Type.Union(
  PASSKEY_BEHAVIOURS.map((behaviour) => Type.Literal(behaviour)),
  { description: 'How the software authenticator answers a passkey step (userCancels and timesOut also apply to forms)' },
);
const FormData = Type.Object({}, { additionalProperties: true, description: 'The form data a client-facing step is submitted with' });
const Answer = Type.Union([Behaviour, FormData]);

export const DryRunBody = Type.Object(
  {
    definition: Type.Optional(
      Type.Object({}, { additionalProperties: true, description: `A definition to try instead of the draft (JSON Schema: ${DEFINITION_SCHEMA_PATH})` }),
    ),
    script: Type.Record(Type.String({ maxLength: 64 }), Type.Union([Answer, Type.Array(Answer, { minItems: 1, maxItems: 20 })]), {
      maxProperties: 200,
      description:
        'Step id → its answer; a list answers the step’s visits in turn (the last repeats). Unscripted passkey steps succeed; unscripted forms are submitted empty.',
    }),
  },
  { title: 'JourneyDryRunRequest', additionalProperties: false },
);

export const DryRunResponse = Type.Object(
  {
    result: Type.Object(
      {
        status: Type.Union([Type.Literal('success'), Type.Literal('rejection'), Type.Literal('stopped')], {
          description: 'stopped: the dry-run’s bounds or the script ended it before the journey did',
        }),
        code: Type.Optional(Type.String()),
        stepId: Type.Optional(Type.String()),
        detail: Type.Optional(Type.String()),
      },
      { title: 'JourneyDryRunResult' },
    ),
    trace: Type.Array(
      Type.Object(
        {
          stepId: Type.String(),
          type: Type.String(),
          outcome: Type.String({ description: 'The outcome the step left by, its end result, timeout, or failed' }),
          variables: Type.Record(Type.String(), Type.Unknown(), { description: 'All variables after the step' }),
        },
        { title: 'JourneyDryRunTraceEntry' },
      ),
    ),
  },
  { title: 'JourneyDryRunResponse' },
);
