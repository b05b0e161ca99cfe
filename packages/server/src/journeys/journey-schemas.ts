import { Type, type Static } from '@sinclair/typebox';
import { JourneyIdParam } from '../http/path-params.ts';
import { JOURNEY_ID_PATTERN } from './definition.ts';

export const DEFINITION_SCHEMA_PATH = '/schemas/journey-definition.json';

/** Definitions travel as JSON objects; their rules are the published JSON Schema plus the semantic checks of /validate. */
export const DefinitionSchema = Type.Unknown({
  description: `A journey definition document (JSON Schema: ${DEFINITION_SCHEMA_PATH})`,
  externalDocs: { description: 'Journey definition JSON Schema', url: DEFINITION_SCHEMA_PATH },
});

export const JourneySchema = Type.Object(
  {
    journeyId: Type.String(),
    name: Type.String(),
    draft: DefinitionSchema,
    draftUpdatedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
    latestVersion: Type.Union([Type.Integer(), Type.Null()], { description: 'The newest published version; null before the first publish' }),
    createdAt: Type.String({ format: 'date-time' }),
    updatedAt: Type.String({ format: 'date-time' }),
  },
  { title: 'Journey' },
);

export const JourneyVersionSummarySchema = Type.Object(
  {
    journeyId: Type.String(),
    version: Type.Integer(),
    publishedBy: Type.String(),
    publishedAt: Type.String({ format: 'date-time' }),
  },
  { title: 'JourneyVersionSummary' },
);

export const JourneyVersionSchema = Type.Object({ ...JourneyVersionSummarySchema.properties, definition: DefinitionSchema }, { title: 'JourneyVersion' });

export const ProblemEntrySchema = Type.Object(
  {
    severity: Type.Union([Type.Literal('error'), Type.Literal('warning')]),
    code: Type.String({
      description:
        'SCHEMA_VIOLATION, DUPLICATE_STEP_ID, UNKNOWN_STEP_TYPE, MISSING_PARAMETER, UNKNOWN_PARAMETER, INVALID_PARAMETER, EXPRESSION_SYNTAX, UNKNOWN_OUTCOME, DANGLING_REFERENCE, UNREACHABLE_STEP, TIMEOUT_NOT_ALLOWED, INVALID_VARIABLE, UNDECLARED_VARIABLE, UNWIRED_OUTCOME, SUBJOURNEY_NOT_CONSTANT, UNKNOWN_SUBJOURNEY, SUBJOURNEY_CYCLE',
    }),
    stepId: Type.Optional(Type.String()),
    pointer: Type.String({ description: 'JSON pointer into the definition' }),
    message: Type.String(),
  },
  { title: 'JourneyProblem' },
);

export const ValidationReportSchema = Type.Object({ valid: Type.Boolean(), problems: Type.Array(ProblemEntrySchema) }, { title: 'JourneyValidationReport' });

export const CreateJourneyBody = Type.Object(
  {
    journeyId: JourneyIdParam,
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    definition: Type.Optional(DefinitionSchema),
  },
  { title: 'CreateJourneyRequest', additionalProperties: false },
);
export type CreateJourneyInput = Static<typeof CreateJourneyBody>;

export const PutDraftBody = Type.Object(
  {
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    definition: Type.Object(
      {},
      { additionalProperties: true, description: `The draft definition (JSON Schema: ${DEFINITION_SCHEMA_PATH}); saved even when not yet valid` },
    ),
  },
  { title: 'UpdateJourneyDraftRequest', additionalProperties: false },
);

export const ValidateBody = Type.Object(
  { definition: Type.Optional(Type.Object({}, { additionalProperties: true, description: 'A definition to check instead of the stored draft' })) },
  { title: 'ValidateJourneyRequest', additionalProperties: false },
);

export const DraftResultSchema = Type.Object({ journey: JourneySchema, validation: ValidationReportSchema }, { title: 'JourneyDraftResult' });

export const StepTypeSchema = Type.Object(
  {
    type: Type.String(),
    title: Type.String(),
    family: Type.String(),
    clientFacing: Type.Boolean(),
    outcomes: Type.Array(Type.String()),
    parameterSchema: Type.Unknown(),
  },
  { title: 'StepType' },
);

export const InstallTemplatesBody = Type.Object(
  {
    store: Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$', description: 'The identity store the installed journeys use' }),
    templates: Type.Optional(
      Type.Array(Type.String({ pattern: JOURNEY_ID_PATTERN }), { minItems: 1, maxItems: 20, uniqueItems: true, description: 'Template ids; all when absent' }),
    ),
    relyingPartyId: Type.Optional(
      Type.String({ minLength: 1, maxLength: 253, description: 'The relying party the journeys use; default the store’s only one' }),
    ),
    registrationPolicy: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'Registration policy; default the store’s only one' })),
    authenticationPolicy: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'Authentication policy; default the store’s only one' })),
  },
  { title: 'InstallJourneyTemplatesRequest', additionalProperties: false },
);

export const InstalledTemplateSchema = Type.Object(
  {
    journeyId: Type.String(),
    version: Type.Integer(),
    status: Type.Union([Type.Literal('created'), Type.Literal('updated'), Type.Literal('unchanged')]),
  },
  { title: 'InstalledJourneyTemplate' },
);

// ── runtime protocol ──

export const StartJourneyBody = Type.Object(
  {
    user: Type.Optional(
      Type.Union(
        [
          Type.Object({ userId: Type.String({ minLength: 1, maxLength: 64 }) }, { additionalProperties: false }),
          Type.Object({ externalId: Type.String({ minLength: 1, maxLength: 256 }) }, { additionalProperties: false }),
        ],
        {
          description:
            'API clients only: the user the journey runs for (read permission needed; for a journey that registers a passkey for its user or starts their sign-in, the ceremony API’s permissions for the act too)',
        },
      ),
    ),
    variables: Type.Optional(
      Type.Record(Type.String({ pattern: '^[A-Za-z_][A-Za-z0-9_]{0,63}$' }), Type.Unknown(), { description: 'Values of the definition’s input variables' }),
    ),
    organization: Type.Optional(
      Type.String({
        pattern: '^[A-Za-z0-9_-]{1,64}$',
        description:
          'The id of an organization of the journey’s store: the sign-in is for it (`organization` in expressions; the user must be a member and the passkey must satisfy its policy; `org_id` and `org_roles` in the ID token)',
      }),
    ),
  },
  { title: 'StartJourneyRequest', additionalProperties: false },
);

export const SubmitBody = Type.Object(
  {
    clientResponseOptionId: Type.String({
      minLength: 1,
      maxLength: 100,
      description: "'client_input', 'cancel', 'fail' or a custom branch id the step offers",
    }),
    data: Type.Optional(Type.Unknown()),
    journeyStepId: Type.Optional(
      Type.String({ maxLength: 100, description: 'The step being answered; a different current step means this submit is stale (409)' }),
    ),
  },
  { title: 'SubmitJourneyStepRequest', additionalProperties: false },
);

export const StepResponseSchema = Type.Object(
  {
    journeyStepId: Type.String({ description: "The current step's id, or 'success' / 'rejection' at the end" }),
    data: Type.Unknown({
      description:
        "The step's data; at 'success' {user, idToken, tokenType, issuer} when the journey authenticated its user, {user} when it identified the user without authenticating them (e.g. Add User alone), {} when the user was only named by the starter; at 'rejection' {code, stepId?, detail?}",
    }),
    sessionId: Type.String({ description: 'Send the next submit to this session; each answer carries a new one' }),
    stepType: Type.Optional(Type.String()),
    clientResponseOptions: Type.Optional(Type.Array(Type.String())),
    expiresAt: Type.String({ format: 'date-time' }),
    stepExpiresAt: Type.Optional(
      Type.String({ format: 'date-time', description: 'When the current step times out (a later submit takes its timeout outcome)' }),
    ),
  },
  { title: 'JourneyStep' },
);

export const InstanceSummarySchema = Type.Object(
  {
    instanceId: Type.String(),
    journeyId: Type.String(),
    version: Type.Integer(),
    status: Type.Union([Type.Literal('waiting'), Type.Literal('running'), Type.Literal('succeeded'), Type.Literal('rejected')]),
    currentStep: Type.Union([Type.String(), Type.Null()]),
    resultCode: Type.Union([Type.String(), Type.Null()]),
    userId: Type.Union([Type.String(), Type.Null()]),
    startedBy: Type.String({ description: "The API client's id, or 'public'" }),
    createdAt: Type.String({ format: 'date-time' }),
    updatedAt: Type.String({ format: 'date-time' }),
    expiresAt: Type.String({ format: 'date-time' }),
  },
  { title: 'JourneyInstanceSummary' },
);

export const InstanceQuery = Type.Object(
  {
    cursor: Type.Optional(Type.String({ maxLength: 200 })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
    status: Type.Optional(Type.Union([Type.Literal('waiting'), Type.Literal('running'), Type.Literal('succeeded'), Type.Literal('rejected')])),
  },
  { additionalProperties: false },
);
