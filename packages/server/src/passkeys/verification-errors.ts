import type { ErrorCode } from '../errors/catalogue.ts';
import { KeywayError } from '../errors/keyway-error.ts';

export type CeremonyKind = 'registration' | 'authentication';

/**
 * Maps what @simplewebauthn/server 14 throws to Keyway's codes. Keyway checks every step it can
 * itself before calling the library (so these rules are a second line), but a library failure must
 * still come out as the precise code, never as a 500. The messages are matched as the library
 * writes them (esm/registration/verifyRegistrationResponse.js, authentication/…, helpers/…);
 * attestation-format verifiers end their messages with the format in parentheses.
 */
const LIBRARY_MESSAGES: readonly (readonly [RegExp, ErrorCode])[] = [
  [
    /^Missing credential ID$|^Credential ID was not base64url-encoded$|^Unexpected credential type|^Credential missing response$|was not a (base64url )?string$/,
    'RESPONSE_MALFORMED',
  ],
  [/^Unexpected (registration|authentication) response type/, 'CEREMONY_TYPE_MISMATCH'],
  [/response challenge|^Custom challenge verifier/, 'CHALLENGE_MISMATCH'],
  [/^Unexpected (registration|authentication) response origin/, 'ORIGIN_MISMATCH'],
  [/cross-origin|top origin/i, 'CROSS_ORIGIN_NOT_ALLOWED'],
  [/^Unexpected RP ID hash$/, 'RP_ID_MISMATCH'],
  [/^User presence was required|^User not present/, 'USER_PRESENCE_REQUIRED'],
  [/^User verification (was )?required/, 'USER_VERIFICATION_REQUIRED'],
  [/^Single-device credential indicated that it was backed up/, 'BACKUP_STATE_INVALID'],
  [/^Unexpected public key alg|does not support use of/, 'ALGORITHM_NOT_ALLOWED'],
  [/^Response counter value/, 'COUNTER_REGRESSION'],
  [
    /^No credential ID was provided|^No public key was provided|^No AAGUID was present|^Credential public key was missing numeric alg|^Authenticator data was \d+ bytes|^Leftover bytes/,
    'RESPONSE_MALFORMED',
  ],
];

/**
 * The Keyway error for a failure of the library's registration verification (sign-in assertions are
 * verified by Keyway itself: assertion-signature.ts). Anything the rules do not recognise happened in
 * the step the library is called for, verifying the attestation statement (WebAuthn §8), since every
 * other step was checked before the call.
 */
export function fromLibraryError(error: unknown): KeywayError {
  if (error instanceof KeywayError) return error;
  const message = error instanceof Error ? error.message : String(error);
  const name = error instanceof Error ? error.name : '';
  if (name === 'InvalidBackupFlags') return new KeywayError('BACKUP_STATE_INVALID', message);
  for (const [pattern, code] of LIBRARY_MESSAGES) {
    if (pattern.test(message)) return new KeywayError(code, message, { cause: error });
  }
  return new KeywayError('ATTESTATION_INVALID', `The attestation statement does not verify: ${message}`, { cause: error });
}
