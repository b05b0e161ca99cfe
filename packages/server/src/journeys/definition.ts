/**
 * The journey definition document: a versioned JSON graph of steps. Its
 * shape is this JSON Schema, published at GET /schemas/journey-definition.json; the meaning
 * (references, outcomes, parameters, expressions) is checked by `validateDefinition`.
 */

export const DEFINITION_SCHEMA_VERSION = 1;
export const STEP_ID_PATTERN = '^[A-Za-z][A-Za-z0-9_.-]{0,63}$';
export const VARIABLE_NAME_PATTERN = '^[A-Za-z_][A-Za-z0-9_]{0,63}$';
export const JOURNEY_ID_PATTERN = '^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$';
/** Names the engine owns in the expression context; a definition cannot declare them. */
export const RESERVED_VARIABLES = ['user', '_journey', '_authentication', '_identityStore', 'organization'] as const;
/** journeyStepId values of the end of a journey; no step may be called so. */
export const END_STEP_IDS = ['success', 'rejection'] as const;
export const MAX_STEPS = 200;
export const DEFAULT_EXPIRES_IN_SECONDS = 1800;

export type VariableType = 'string' | 'number' | 'integer' | 'boolean' | 'object' | 'array' | 'any';

export interface VariableDeclaration {
  type?: VariableType;
  default?: unknown;
  /** Whether the starter of the journey may set it (in the start request's `variables`). */
  input?: boolean;
  description?: string;
}

export interface StepDefinition {
  id: string;
  type: string;
  title?: string;
  parameters?: Record<string, unknown>;
  /** outcome name → id of the next step */
  outcomes?: Record<string, string>;
  /** Client-facing steps only: a submit after this many seconds takes the `timeout` outcome. */
  timeoutSeconds?: number;
}

export interface JourneyDefinition {
  $schema?: string;
  schemaVersion: 1;
  name?: string;
  description?: string;
  /** The identity store the journey's users live in. */
  store: string;
  access?: {
    /** Browsers may start it without a token, from an origin of one of the store's relying parties. */
    public?: boolean;
    /** API clients with Journeys:start may start it, optionally for a named user (default true). */
    apiClients?: boolean;
  };
  /** How long an instance may run, from its start (default 1800, at most one day). */
  expiresInSeconds?: number;
  start: string;
  variables?: Record<string, VariableDeclaration>;
  steps: StepDefinition[];
  /** The designer's own metadata: the engine ignores it (node positions the operator dragged; none: laid out automatically). */
  ui?: { positions?: Record<string, { x: number; y: number }> };
}

/** Bound of a stored node position (the canvas's coordinates), so that UI metadata stays small and sane. */
export const MAX_UI_COORDINATE = 1_000_000;

const variableType = { enum: ['string', 'number', 'integer', 'boolean', 'object', 'array', 'any'] };

/** JSON Schema (draft-07) of a journey definition. */
export const JOURNEY_DEFINITION_SCHEMA = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  title: 'Keyway journey definition',
  description: 'A graph of steps: each step has a type, parameters (values may be ${…} CEL expressions) and outcomes that name the next step.',
  type: 'object',
  required: ['schemaVersion', 'store', 'start', 'steps'],
  additionalProperties: false,
  properties: {
    $schema: { type: 'string', maxLength: 500 },
    schemaVersion: { const: DEFINITION_SCHEMA_VERSION },
    name: { type: 'string', minLength: 1, maxLength: 200 },
    description: { type: 'string', maxLength: 2000 },
    store: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$', description: 'The identity store of the journey’s users' },
    access: {
      type: 'object',
      additionalProperties: false,
      properties: {
        public: { type: 'boolean', default: false, description: 'Browsers may start it without a token, from an origin of one of the store’s relying parties' },
        apiClients: { type: 'boolean', default: true, description: 'API clients holding Journeys:start may start it, optionally for a named user' },
      },
    },
    expiresInSeconds: { type: 'integer', minimum: 60, maximum: 86400, default: DEFAULT_EXPIRES_IN_SECONDS },
    start: { type: 'string', pattern: STEP_ID_PATTERN, description: 'Id of the first step' },
    variables: {
      type: 'object',
      maxProperties: 100,
      propertyNames: { pattern: VARIABLE_NAME_PATTERN, not: { enum: [...RESERVED_VARIABLES] } },
      additionalProperties: {
        type: 'object',
        additionalProperties: false,
        properties: {
          type: variableType,
          default: {},
          input: { type: 'boolean', default: false },
          description: { type: 'string', maxLength: 500 },
        },
      },
    },
    ui: {
      type: 'object',
      additionalProperties: false,
      description: 'The designer’s metadata, ignored by the engine',
      properties: {
        positions: {
          type: 'object',
          maxProperties: MAX_STEPS,
          propertyNames: { pattern: STEP_ID_PATTERN },
          description: 'Step id → where the operator placed its node; steps without one are laid out automatically',
          additionalProperties: {
            type: 'object',
            required: ['x', 'y'],
            additionalProperties: false,
            properties: {
              x: { type: 'number', minimum: -MAX_UI_COORDINATE, maximum: MAX_UI_COORDINATE },
              y: { type: 'number', minimum: -MAX_UI_COORDINATE, maximum: MAX_UI_COORDINATE },
            },
          },
        },
      },
    },
    steps: {
      type: 'array',
      minItems: 1,
      maxItems: MAX_STEPS,
      items: {
        type: 'object',
        required: ['id', 'type'],
        additionalProperties: false,
        properties: {
          id: { type: 'string', pattern: STEP_ID_PATTERN, not: { enum: [...END_STEP_IDS] } },
          type: { type: 'string', minLength: 1, maxLength: 100, description: 'A step type from GET /api/journeys/step-types' },
          title: { type: 'string', maxLength: 200 },
          parameters: { type: 'object' },
          outcomes: {
            type: 'object',
            propertyNames: { minLength: 1, maxLength: 100 },
            additionalProperties: { type: 'string', pattern: STEP_ID_PATTERN },
          },
          timeoutSeconds: { type: 'integer', minimum: 1, maximum: 86400 },
        },
      },
    },
  },
} as const;
