import { Type } from '@sinclair/typebox';
import { DEFINITION_SCHEMA_PATH } from '../journey-schemas.ts';
import { BEHAVIOURS } from './sandbox-client.ts';

const Behaviour = Type.Union(
  BEHAVIOURS.map((behaviour) => Type.Literal(behaviour)),
  {
    description:
      'How the step is answered: passkey steps (and the Login Form’s passkeys) by the software authenticator; succeeds, userCancels and timesOut ' +
      'apply to every client-facing step; wrongCode to an e-mail code',
  },
);
const FormData = Type.Object(
  {},
  {
    additionalProperties: true,
    description:
      'The form data a client-facing step is submitted with; or the runtime’s own submit `{clientResponseOptionId, data}` (e.g. a custom branch); ' +
      'at Known Device Status `{deviceStatus}`',
  },
);
const StartUser = Type.Union(
  [
    Type.Object({ userKey: Type.String({ minLength: 1, maxLength: 256 }) }, { additionalProperties: false }),
    Type.Object({ userId: Type.String({ minLength: 1, maxLength: 64 }) }, { additionalProperties: false }),
    Type.Object({ externalId: Type.String({ minLength: 1, maxLength: 256 }) }, { additionalProperties: false }),
  ],
  {
    description:
      'Run as this existing user of the journey’s store (read only), as an API client starts a journey for a named user; ' +
      'a sign-in that names nobody (the Login Form) is answered with a passkey of this user’s, made in the sandbox',
  },
);
const Answer = Type.Union([Behaviour, FormData]);

export const DryRunBody = Type.Object(
  {
    definition: Type.Optional(
      Type.Object({}, { additionalProperties: true, description: `A definition to try instead of the draft (JSON Schema: ${DEFINITION_SCHEMA_PATH})` }),
    ),
    startUser: Type.Optional(StartUser),
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
