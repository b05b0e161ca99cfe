import { ERROR_CATALOGUE, type ErrorCode } from '../../errors/catalogue.ts';

/**
 * Codes the engine itself ends a journey with in a `rejection` (answered as data, not as an HTTP error: the protocol
 * request itself succeeded). Their titles are in the error catalogue; steps may end with other catalogued codes too.
 */
export const JOURNEY_REJECTION_CODES = [
  'JOURNEY_REJECTED',
  'JOURNEY_STEP_LIMIT_EXCEEDED',
  'JOURNEY_EXPRESSION_BUDGET_EXCEEDED',
  'JOURNEY_STEP_TIMEOUT',
  'JOURNEY_OUTCOME_NOT_WIRED',
  'JOURNEY_EXPRESSION_FAILED',
  'JOURNEY_PARAMETERS_INVALID',
  'JOURNEY_STEP_FAILED',
  'JOURNEY_NO_USER',
  'JOURNEY_STATE_TOO_LARGE',
  'JOURNEY_INTERRUPTED',
  // The organization context of a sign-in (journey-completion.ts): membership, then the organization's policy.
  'ORGANIZATION_MEMBERSHIP_REQUIRED',
  'ORGANIZATION_PASSKEY_REQUIRED',
  'ORGANIZATION_SYNCED_PASSKEY_REFUSED',
  'ORGANIZATION_AUTHENTICATOR_NOT_ALLOWED',
] as const satisfies readonly ErrorCode[];

export type JourneyRejectionCode = (typeof JOURNEY_REJECTION_CODES)[number];

/** The list for the runtime's OpenAPI description: `- CODE: title` per line. */
export function describeRejectionCodes(): string {
  return JOURNEY_REJECTION_CODES.map((code) => `- \`${code}\`: ${ERROR_CATALOGUE[code].title}`).join('\n');
}
