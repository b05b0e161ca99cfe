/**
 * Every error code Keyway answers with, its HTTP status and a fixed title.
 * The record is total over `ErrorCode`, so a new code cannot ship without a status,
 * and `test/errors/catalogue.test.ts` checks that each code is documented in the OpenAPI document.
 */
export const ERROR_CATALOGUE = {
  // Request shape and generic HTTP
  VALIDATION_FAILED: { status: 400, title: 'The request is not valid' },
  MALFORMED_REQUEST: { status: 400, title: 'The request body could not be read' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, title: 'Unsupported content type' },
  PAYLOAD_TOO_LARGE: { status: 413, title: 'The request body is too large' },
  ROUTE_NOT_FOUND: { status: 404, title: 'No such endpoint' },
  METHOD_NOT_ALLOWED: { status: 405, title: 'Method not allowed' },
  RATE_LIMITED: { status: 429, title: 'Too many requests' },
  INTERNAL_ERROR: { status: 500, title: 'Internal server error' },
  SERVICE_UNAVAILABLE: { status: 503, title: 'Service unavailable' },

  // Authentication and authorisation of API callers (DESIGN A2)
  UNAUTHENTICATED: { status: 401, title: 'A valid bearer token is required' },
  INVALID_CLIENT: { status: 401, title: 'Client authentication failed' },
  INVALID_GRANT_TYPE: { status: 400, title: 'Unsupported grant type' },
  INVALID_SCOPE: { status: 400, title: 'The requested scope is not granted to this client' },
  FORBIDDEN: { status: 403, title: 'The token lacks the permission this operation needs' },
  PERMISSION_NOT_GRANTABLE: { status: 403, title: 'A client cannot grant permissions it does not hold' },

  // Tenancy
  TENANT_NOT_FOUND: { status: 404, title: 'No such tenant' },
  API_CLIENT_NOT_FOUND: { status: 404, title: 'No such API client' },

  // Identity store
  STORE_NOT_FOUND: { status: 404, title: 'No such identity store' },
  STORE_ALREADY_EXISTS: { status: 409, title: 'An identity store with this name already exists' },
  STORE_NOT_EMPTY: { status: 409, title: 'The identity store still has users' },
  USER_NOT_FOUND: { status: 404, title: 'No such user' },
  EXT_ID_NOT_UNIQUE: { status: 409, title: 'The external ID is already used in this store' },
  USER_KEY_NOT_UNIQUE: { status: 409, title: 'The user key is already used in this store' },
  INVALID_CURSOR: { status: 400, title: 'The pagination cursor is not valid' },
} as const satisfies Record<string, { status: number; title: string }>;

export type ErrorCode = keyof typeof ERROR_CATALOGUE;

export const ERROR_CODES = Object.keys(ERROR_CATALOGUE) as ErrorCode[];
