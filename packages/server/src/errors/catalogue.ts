/**
 * Every error code Keyway answers with, its HTTP status and a fixed title.
 * The record is total over `ErrorCode`, so a new code cannot ship without a status,
 * and `packages/server/test/foundation/http.test.ts` checks that each code is documented in the OpenAPI document.
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
  SERVER_BUSY: { status: 503, title: 'The server is at capacity; retry after the Retry-After delay' },

  // Authentication and authorisation of API callers
  UNAUTHENTICATED: { status: 401, title: 'A valid bearer token is required' },
  INVALID_CLIENT: { status: 401, title: 'Client authentication failed' },
  INVALID_GRANT_TYPE: { status: 400, title: 'Unsupported grant type' },
  INVALID_SCOPE: { status: 400, title: 'The requested scope is not granted to this client' },
  FORBIDDEN: { status: 403, title: 'The token lacks the permission this operation needs' },
  PERMISSION_NOT_GRANTABLE: { status: 403, title: 'A client cannot grant permissions it does not hold' },

  // Tenancy
  TENANT_NOT_FOUND: { status: 404, title: 'No such tenant' },
  API_CLIENT_NOT_FOUND: { status: 404, title: 'No such API client' },
  API_CLIENT_NOT_COVERED: { status: 403, title: 'The API client holds permissions the calling client does not hold' },
  LAST_FULL_ADMIN_CLIENT: { status: 409, title: 'The tenant’s last enabled full-admin API client cannot be disabled, narrowed or deleted' },

  // Identity store
  STORE_NOT_FOUND: { status: 404, title: 'No such identity store' },
  STORE_ALREADY_EXISTS: { status: 409, title: 'An identity store with this name already exists' },
  STORE_NOT_EMPTY: { status: 409, title: 'The identity store still has users' },
  USER_NOT_FOUND: { status: 404, title: 'No such user' },
  EXT_ID_NOT_UNIQUE: { status: 409, title: 'The external ID is already used in this store' },
  USER_KEY_NOT_UNIQUE: { status: 409, title: 'The user key is already used in this store' },
  INVALID_CURSOR: { status: 400, title: 'The pagination cursor is not valid' },
  USER_DISABLED: { status: 403, title: 'The user is locked or disabled' },

  // Store branding (the hosted pages' logo, colours and languages)
  BRANDING_COLOR_INVALID: { status: 400, title: 'A branding colour is not #rgb or #rrggbb' },
  BRANDING_CONTRAST_TOO_LOW: { status: 400, title: 'Branding colours do not reach the contrast the pages need' },
  BRANDING_LOGO_INVALID: { status: 400, title: 'The logo is not an https URL or a small raster data: image' },
  BRANDING_LANGUAGE_UNSUPPORTED: { status: 400, title: 'A branding language is not one the pages support' },

  // Passkey configuration
  RELYING_PARTY_NOT_FOUND: { status: 404, title: 'No such relying party' },
  RELYING_PARTY_ALREADY_EXISTS: { status: 409, title: 'A relying party with this ID already exists in the store' },
  POLICY_NOT_FOUND: { status: 404, title: 'No such policy' },
  POLICY_ALREADY_EXISTS: { status: 409, title: 'A policy with this name already exists in the store' },
  INVALID_TRUST_ANCHOR: { status: 400, title: 'A trusted root certificate or metadata source is not valid' },
  PASSKEY_NOT_FOUND: { status: 404, title: 'No such passkey' },

  // Device binding (a browser's WebCrypto key bound at passkey registration; Known Device Status)
  DEVICE_NOT_FOUND: { status: 404, title: 'No such bound device of this user' },
  DEVICE_KEY_INVALID: { status: 400, title: 'The device key is not an ECDSA P-256 public JWK, or its signature over the challenge does not verify' },
  DEVICE_CHALLENGE_INVALID: { status: 400, title: 'The device proof is not over the challenge this step issued (replayed, expired or already used)' },

  // Passkey ceremonies (WebAuthn §7.1 registration, §7.2 authentication): each failed check has its code
  SESSION_NOT_FOUND: { status: 404, title: 'No such ceremony session' },
  SESSION_ALREADY_USED: { status: 409, title: 'The ceremony session was already completed' },
  CHALLENGE_EXPIRED: { status: 400, title: 'The ceremony session has expired' },
  RESPONSE_MALFORMED: { status: 400, title: 'The authenticator response is not well-formed' },
  CEREMONY_TYPE_MISMATCH: { status: 400, title: 'clientDataJSON.type is not the expected ceremony' },
  CHALLENGE_MISMATCH: { status: 400, title: 'clientDataJSON.challenge is not the session challenge' },
  ORIGIN_MISMATCH: { status: 400, title: 'clientDataJSON.origin is not an origin of the relying party' },
  CROSS_ORIGIN_NOT_ALLOWED: { status: 400, title: 'The ceremony ran in a cross-origin iframe, which the relying party does not allow' },
  TOKEN_BINDING_NOT_SUPPORTED: { status: 400, title: 'The client reports Token Binding in use, which this connection did not negotiate' },
  RP_ID_MISMATCH: { status: 400, title: 'rpIdHash is not the SHA-256 of the relying party ID' },
  USER_PRESENCE_REQUIRED: { status: 400, title: 'The authenticator did not report user presence' },
  USER_VERIFICATION_REQUIRED: { status: 400, title: 'The policy requires user verification and the authenticator did not verify the user' },
  BACKUP_STATE_INVALID: { status: 400, title: 'The authenticator reported backed up without backup eligibility' },
  SYNCED_PASSKEY_NOT_ALLOWED: { status: 400, title: 'The policy accepts only device-bound passkeys' },
  ALGORITHM_NOT_ALLOWED: { status: 400, title: 'The credential uses an algorithm the policy does not allow' },
  CREDENTIAL_PUBLIC_KEY_INVALID: { status: 400, title: 'The credential public key is not a valid key for its algorithm' },
  ATTESTATION_NOT_TRUSTED: { status: 400, title: 'The attestation does not chain to a trusted root' },
  ATTESTATION_INVALID: { status: 400, title: 'The attestation statement does not verify' },
  CREDENTIAL_ID_TOO_LONG: { status: 400, title: 'The credential ID is longer than 1023 bytes' },
  CREDENTIAL_ALREADY_REGISTERED: { status: 409, title: 'This credential is already registered' },
  CREDENTIAL_NOT_ALLOWED: { status: 400, title: 'The credential is not one this session allows' },
  USER_HANDLE_MISMATCH: { status: 400, title: 'The user handle does not belong to the credential’s user' },
  SIGNATURE_INVALID: { status: 400, title: 'The assertion signature does not verify' },
  COUNTER_REGRESSION: { status: 400, title: 'The signature counter did not increase: possible cloned authenticator' },
  DISCOVERABLE_NOT_ALLOWED: { status: 400, title: 'The authentication policy does not allow usernameless sign-in' },
  USER_HANDLE_CONFLICT: { status: 409, title: 'The user handle differs from the one the user already has, or belongs to another user' },

  // Browser self-service
  SELF_SERVICE_DISABLED: { status: 404, title: 'No self-service for this store' },
  SIGN_UP_DISABLED: { status: 403, title: 'This store does not allow sign-up' },
  SIGN_UP_CHALLENGE_REQUIRED: { status: 400, title: 'This store asks for a solved sign-up challenge' },
  SIGN_UP_CHALLENGE_INVALID: { status: 400, title: 'The sign-up challenge is not solved, expired, already used or not ours' },
  IDENTIFIER_TAKEN: { status: 409, title: 'An account with this identifier already exists' },
  CREDENTIAL_NOT_FOUND: { status: 400, title: 'The passkey is not known to this store' },
  FLOW_NOT_FOUND: { status: 400, title: 'No ceremony started by this browser matches the response; start again' },
  SESSION_REQUIRED: { status: 401, title: 'Sign in first' },
  REAUTHENTICATION_REQUIRED: { status: 403, title: 'Sign in again to do this' },
  LAST_PASSKEY: { status: 409, title: 'The last passkey of an account cannot be deleted' },
  ACCOUNT_DELETION_DISABLED: { status: 403, title: 'This store does not let users delete their own account' },
  CSRF_REJECTED: { status: 403, title: 'The request did not come from an origin of the relying party' },
  BROWSER_SESSION_NOT_FOUND: { status: 404, title: 'No such browser session' },
  RECOVERY_LINK_NOT_FOUND: { status: 404, title: 'No such recovery link' },
  RECOVERY_LINK_USED: { status: 410, title: 'The recovery link was already used or has been revoked' },
  RECOVERY_LINK_EXPIRED: { status: 410, title: 'The recovery link has expired' },

  // E-mail channel
  EMAIL_NOT_CONFIGURED: { status: 503, title: 'This server sends no e-mail (no SMTP server is configured)' },
  EMAIL_ADDRESS_MISSING: { status: 422, title: 'There is no e-mail address to send to' },
  EMAIL_VERIFICATION_NOT_FOUND: { status: 404, title: 'No such e-mail verification link' },
  EMAIL_VERIFICATION_USED: { status: 410, title: 'The e-mail verification link was already used' },
  EMAIL_VERIFICATION_EXPIRED: { status: 410, title: 'The e-mail verification link has expired' },
  EMAIL_ALREADY_VERIFIED: { status: 409, title: 'The e-mail address is already verified: the link can no longer disown it' },

  // Journey custom forms and custom pages
  FORM_NOT_FOUND: { status: 404, title: 'No such custom form' },
  FORM_ALREADY_EXISTS: { status: 409, title: 'A custom form with this name already exists' },
  FORM_VERSION_NOT_FOUND: { status: 404, title: 'No such version of the custom form' },
  PAGE_NOT_FOUND: { status: 404, title: 'No such custom page' },
  PAGE_ALREADY_EXISTS: { status: 409, title: 'A custom page with this name already exists' },
  PAGE_VERSION_NOT_FOUND: { status: 404, title: 'No such version of the custom page' },
  CONTENT_VERSION_PUBLISHED: { status: 409, title: 'A published version is immutable; create a new version instead' },
  CONTENT_VERSION_NOT_PUBLISHED: { status: 409, title: 'Journeys use only published versions of forms and pages' },
  PAGE_GRANT_NOT_FOUND: { status: 404, title: 'No such page for this journey session, or it has expired' },
  // Journey step outcomes answered as a rejection's problem code (Mosaic abort behaviours)
  USER_CANCELLED: { status: 400, title: 'The user cancelled the step' },
  CLIENT_REPORTED_FAILURE: { status: 400, title: 'The client reported that the step failed' },

  // Journeys: definitions, versions and the runtime protocol
  JOURNEY_NOT_FOUND: { status: 404, title: 'No such journey' },
  JOURNEY_ALREADY_EXISTS: { status: 409, title: 'A journey with this id already exists' },
  JOURNEY_VERSION_NOT_FOUND: { status: 404, title: 'No such version of the journey' },
  JOURNEY_NO_DRAFT: { status: 409, title: 'The journey has no draft to publish' },
  JOURNEY_CHANGED_CONCURRENTLY: { status: 409, title: 'The journey changed at the same time; try again' },
  JOURNEY_DEFINITION_INVALID: { status: 400, title: 'The journey definition is not valid' },
  JOURNEY_NOT_PUBLISHED: { status: 409, title: 'The journey has no published version' },
  JOURNEY_NOT_STARTABLE: { status: 403, title: 'This journey cannot be started this way' },
  JOURNEY_PUBLISHER_NOT_PERMITTED: { status: 403, title: 'The journey acts on users in ways its publisher lacks the permissions for' },
  JOURNEY_STARTER_NOT_PERMITTED: { status: 403, title: 'The journey acts on the user its starter names in ways the starter lacks the permissions for' },
  JOURNEY_ORIGIN_NOT_ALLOWED: { status: 403, title: 'The request did not come from an origin of the journey store’s relying parties' },
  JOURNEY_SESSION_NOT_FOUND: { status: 404, title: 'No such journey session' },
  JOURNEY_SESSION_EXPIRED: { status: 410, title: 'The journey session has expired' },
  JOURNEY_STEP_ALREADY_SUBMITTED: { status: 409, title: 'This journey step was already submitted' },
  JOURNEY_OPTION_NOT_OFFERED: { status: 400, title: 'The current journey step does not offer this response option' },

  // OpenID Connect clients
  OIDC_CLIENT_NOT_FOUND: { status: 404, title: 'No such OpenID Connect client' },
  OIDC_REDIRECT_URI_INVALID: { status: 400, title: 'The redirect URI cannot be registered' },
  OIDC_SCOPE_UNSUPPORTED: { status: 400, title: 'The scope is not one this OpenID Provider offers' },
  OIDC_CLIENT_PUBLIC: { status: 409, title: 'A public client has no secret' },
  // Journey rejections the engine ends a journey with (answered as the data of a `rejection`, not as HTTP errors)
  JOURNEY_REJECTED: { status: 403, title: 'An end step rejected the journey' },
  JOURNEY_STEP_LIMIT_EXCEEDED: { status: 500, title: 'More steps ran in one request than allowed (the definition loops without a client-facing step)' },
  JOURNEY_EXPRESSION_BUDGET_EXCEEDED: { status: 500, title: 'The step parameters’ expressions took more time than one request may spend on them' },
  JOURNEY_STEP_TIMEOUT: { status: 408, title: 'The step timed out and its timeout outcome is not wired' },
  JOURNEY_OUTCOME_NOT_WIRED: { status: 500, title: 'A step left by an outcome that leads nowhere' },
  JOURNEY_EXPRESSION_FAILED: { status: 500, title: 'An expression of a step parameter could not be evaluated' },
  JOURNEY_PARAMETERS_INVALID: { status: 500, title: 'A step’s evaluated parameters do not match its parameter schema' },
  JOURNEY_STEP_FAILED: { status: 500, title: 'A step failed' },
  JOURNEY_NO_USER: { status: 500, title: 'The journey reached success without identifying a user' },
  JOURNEY_STATE_TOO_LARGE: { status: 413, title: 'The journey’s variables grew beyond their size limit' },
  JOURNEY_INTERRUPTED: { status: 503, title: 'The server running a step stopped before it finished; the journey must start again' },
  // Journey dry-runs ("Try it")
  JOURNEY_DRY_RUN_UNKNOWN_STEP: { status: 400, title: 'The dry-run script names a step the journey does not have' },
  JOURNEY_DRY_RUN_SCRIPT_INVALID: { status: 400, title: 'The dry-run script gives a step an answer it cannot take' },
  // The console: operators, their sign-in and sessions, and optimistic concurrency of edits
  CONSOLE_SIGN_IN_REQUIRED: { status: 401, title: 'Sign in to the console first' },
  CONSOLE_LINK_INVALID: { status: 400, title: 'The enrolment link is not valid' },
  CONSOLE_LINK_USED: { status: 410, title: 'The enrolment link was already used' },
  CONSOLE_LINK_EXPIRED: { status: 410, title: 'The enrolment link has expired' },
  CONSOLE_LINK_REVOKED: { status: 410, title: 'The enrolment link was revoked, or whoever made it may no longer grant its role' },
  CONSOLE_INVITATION_NOT_FOUND: { status: 404, title: 'No such unused enrolment link' },
  CONSOLE_CEREMONY_NOT_FOUND: { status: 400, title: 'No console passkey ceremony with this challenge is in progress' },
  CONSOLE_CEREMONY_EXPIRED: { status: 400, title: 'The console passkey ceremony has expired; start again' },
  OPERATOR_NOT_FOUND: { status: 404, title: 'No such operator' },
  OPERATOR_PASSKEY_NOT_FOUND: { status: 404, title: 'No such passkey of this operator' },
  LAST_OPERATOR_PASSKEY: { status: 409, title: 'An operator’s last passkey cannot be deleted' },
  LAST_OWNER: { status: 409, title: 'The tenant’s last owner cannot be removed or demoted' },
  OWNER_MANAGEMENT_FORBIDDEN: { status: 403, title: 'Only an owner can make, change or remove owners' },
  OPERATOR_NOT_COVERED: { status: 403, title: 'The operator’s role holds permissions the caller does not hold' },
  EDIT_CONFLICT: { status: 409, title: 'Someone else changed this since you loaded it' },

  // Organizations (B2B) of an identity store, and their sign-in policy
  ORGANIZATION_NOT_FOUND: { status: 404, title: 'No such organization' },
  ORGANIZATION_ALREADY_EXISTS: { status: 409, title: 'An organization with this name already exists in the store' },
  ORGANIZATION_MEMBER_NOT_FOUND: { status: 404, title: 'The user is not a member of this organization' },
  ORGANIZATION_MEMBER_EXISTS: { status: 409, title: 'The user is already a member of this organization' },
  ORGANIZATION_DOMAIN_NOT_FOUND: { status: 404, title: 'The organization has not claimed this domain' },
  ORGANIZATION_DOMAIN_TAKEN: { status: 409, title: 'The domain is already claimed by an organization of this store' },
  ORGANIZATION_MEMBERSHIP_REQUIRED: { status: 403, title: 'The user is not a member of the organization of this sign-in' },
  ORGANIZATION_PASSKEY_REQUIRED: { status: 403, title: 'The organization requires signing in with a passkey' },
  ORGANIZATION_SYNCED_PASSKEY_REFUSED: { status: 403, title: 'The organization accepts only device-bound passkeys' },
  ORGANIZATION_AUTHENTICATOR_NOT_ALLOWED: { status: 403, title: 'The organization does not accept passkeys of this authenticator model' },
} as const satisfies Record<string, { status: number; title: string }>;

export type ErrorCode = keyof typeof ERROR_CATALOGUE;

export const ERROR_CODES = Object.keys(ERROR_CATALOGUE) as ErrorCode[];
