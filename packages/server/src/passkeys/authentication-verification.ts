import { hash } from 'node:crypto';
import type { AuthenticationResponseJSON } from '@simplewebauthn/server';
import { KeywayError } from '../errors/keyway-error.ts';
import { assertionSignatureVerifies } from './assertion-signature.ts';
import { readAuthenticatorData } from './authenticator-data.ts';
import { SAME_ORIGIN_ONLY, checkClientData, type CrossOriginPolicy } from './client-data.ts';
import { importCredentialPublicKey, type CredentialPublicKey } from './credential-public-key.ts';
import { canonicalBase64url, fromBase64url, isBase64url, sameBytes } from './webauthn-encoding.ts';

/** The stored credential record an assertion is verified against (WebAuthn §4 "credential record"). */
export interface CredentialRecordForAssertion {
  /** Canonical base64url credential ID */
  id: string;
  /** COSE_Key bytes */
  publicKey: Uint8Array;
  /** Stored signature counter */
  counter: number;
  /** BE as recorded at registration; undefined when unknown (published test vectors) */
  backupEligible: boolean | undefined;
}

/** Everything an assertion is checked against: from the session, the RP, the policy and the credential record. */
export interface AuthenticationExpectations {
  /** base64url challenge the session issued */
  challenge: string;
  origins: readonly string[];
  /** Default: cross-origin ceremonies refused */
  crossOrigin?: CrossOriginPolicy;
  rpId: string;
  requireUserVerification: boolean;
  /** The allowCredentials the session issued (canonical base64url); empty for a discoverable sign-in */
  allowCredentialIds: readonly string[];
  /** The user account the credential record belongs to */
  account: {
    /** Whether the user was named before the ceremony (a user-bound session) or is found from the credential */
    identified: boolean;
    /** The account's WebAuthn user handle (base64url), null if it has none */
    userHandle: string | null;
  };
  credential: CredentialRecordForAssertion;
}

export interface VerifiedAuthentication {
  credentialId: string;
  /** authenticatorData.signCount */
  newCounter: number;
  userVerified: boolean;
  backupEligible: boolean;
  backedUp: boolean;
  origin: string;
}

/** The imported public key of a credential record; the ceremony passes a cached one (credential-key-cache.ts). */
export type CredentialKeySource = (credential: CredentialRecordForAssertion) => CredentialPublicKey;

const importEachTime: CredentialKeySource = (credential) => importCredentialPublicKey(credential.publicKey);

function sha256(data: string | Uint8Array): Buffer {
  return hash('sha256', data, 'buffer');
}

function asObject(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

/**
 * Whether a signature counter passes WebAuthn L3 §7.2 step 23: when either the stored or the new
 * counter is non-zero, the new one must be greater. (Both zero: an authenticator without a counter,
 * typically a synced passkey.)
 */
export function counterAdvances(stored: number, received: number): boolean {
  return (stored === 0 && received === 0) || received > stored;
}

/**
 * Verifies an authentication response (`PublicKeyCredential.toJSON()` of `navigator.credentials.get()`)
 * by WebAuthn L3 §7.2, in the spec's order, every check with its own error code. The caller has
 * looked up the credential record (step 6, "the account contains a credential record whose id is
 * rawId") and does the compare-and-set of the counter in its transaction; everything else is here.
 * The signature is checked with node:crypto on the imported key (assertion-signature.ts); a
 * differential test holds this to SimpleWebAuthn's verifyAuthenticationResponse decision for
 * decision (test/passkeys/assertion-differential.test.ts).
 */
export async function verifyAuthentication(
  response: AuthenticationResponseJSON,
  expected: AuthenticationExpectations,
  credentialKey: CredentialKeySource = importEachTime,
): Promise<VerifiedAuthentication> {
  const credential = asObject(response);
  const body = asObject(credential?.response);
  // §7.2 step 3: the response must be a public-key credential's assertion response.
  if (!credential || credential.type !== 'public-key' || !body) {
    throw new KeywayError('RESPONSE_MALFORMED', 'The body is not a PublicKeyCredential (type "public-key") with an assertion response');
  }
  const rawId = canonicalBase64url(credential.rawId);
  if (!isBase64url(credential.id) || rawId === undefined || rawId === '')
    throw new KeywayError('RESPONSE_MALFORMED', 'id and rawId must be the base64url credential ID');
  // §5.1: id is the base64url encoding of rawId, so the JSON carries the same text twice.
  if (credential.id !== credential.rawId) throw new KeywayError('RESPONSE_MALFORMED', 'id and rawId must be the same base64url text');
  for (const member of ['authenticatorData', 'signature'] as const) {
    if (!isBase64url(body[member])) throw new KeywayError('RESPONSE_MALFORMED', `response.${member}: is not base64url`);
  }
  if (body.userHandle !== undefined && body.userHandle !== null && !isBase64url(body.userHandle)) {
    throw new KeywayError('RESPONSE_MALFORMED', 'response.userHandle: is not base64url');
  }
  if (rawId !== expected.credential.id) throw new TypeError('verifyAuthentication() was given the record of another credential');

  // §7.2 step 5: with a non-empty allowCredentials, the credential is one of those listed.
  if (expected.allowCredentialIds.length > 0 && !expected.allowCredentialIds.includes(rawId)) {
    throw new KeywayError('CREDENTIAL_NOT_ALLOWED', 'The credential is not one this session allows');
  }
  // §7.2 step 6: the user handle, when present, is the account's; without a named user it is required.
  const userHandle = body.userHandle === undefined || body.userHandle === null || body.userHandle === '' ? undefined : canonicalBase64url(body.userHandle);
  if (userHandle === undefined && !expected.account.identified) {
    throw new KeywayError('USER_HANDLE_MISMATCH', 'response.userHandle is required to sign in without naming the user');
  }
  if (userHandle !== undefined && userHandle !== expected.account.userHandle) {
    throw new KeywayError('USER_HANDLE_MISMATCH', 'response.userHandle is not the user handle of the account the credential belongs to');
  }

  // §7.2 steps 7–14: clientDataJSON (type, challenge, origin, crossOrigin, topOrigin).
  const crossOrigin = expected.crossOrigin ?? SAME_ORIGIN_ONLY;
  const clientData = checkClientData(body.clientDataJSON, { type: 'webauthn.get', challenge: expected.challenge, origins: expected.origins, crossOrigin });

  // §6.1: no attested credential data in an assertion; extensions, when flagged, a CBOR map.
  const authenticatorData = fromBase64url(body.authenticatorData)!;
  const parsed = readAuthenticatorData(authenticatorData, 'authentication', 'response.authenticatorData');
  const { flags, counter } = parsed;
  // §7.2 step 15: rpIdHash is SHA-256 of the RP ID this session is for.
  if (!sameBytes(sha256(expected.rpId), parsed.rpIdHash)) {
    throw new KeywayError('RP_ID_MISMATCH', `authenticatorData.rpIdHash is not SHA-256 of ${expected.rpId}`);
  }
  // §7.2 step 16: user presence.
  if (!flags.up) throw new KeywayError('USER_PRESENCE_REQUIRED', 'authenticatorData flags: UP=0');
  // §7.2 step 17: user verification when the policy requires it.
  if (expected.requireUserVerification && !flags.uv) {
    throw new KeywayError('USER_VERIFICATION_REQUIRED', 'The authentication policy requires user verification and authenticatorData flags have UV=0');
  }
  // §7.2 step 18: a credential cannot be backed up unless it is backup eligible.
  if (flags.bs && !flags.be) throw new KeywayError('BACKUP_STATE_INVALID', 'authenticatorData flags: BS=1 with BE=0');
  // §7.2 step 19 (and §6.1.3: backup eligibility never changes for a credential): BE as registered.
  if (expected.credential.backupEligible !== undefined && flags.be !== expected.credential.backupEligible) {
    throw new KeywayError(
      'BACKUP_STATE_INVALID',
      `authenticatorData flags: BE=${flags.be ? 1 : 0}, but the credential registered with BE=${expected.credential.backupEligible ? 1 : 0}`,
    );
  }
  // §7.2 step 20: extension outputs: Keyway requests none at sign-in and ignores unsolicited ones.

  // §7.2 step 21: hash is SHA-256 of the raw clientDataJSON bytes, exactly as sent.
  const clientDataHash = sha256(fromBase64url(body.clientDataJSON)!);
  // §7.2 step 22: sig is a valid signature over authData ‖ hash with the credential record's public key.
  let publicKey: CredentialPublicKey;
  try {
    publicKey = credentialKey(expected.credential);
  } catch (error) {
    // A stored key Keyway cannot verify with (registered before today's key rules) verifies nothing.
    if (error instanceof KeywayError) throw new KeywayError('SIGNATURE_INVALID', `The assertion signature cannot be verified: ${error.detail}`);
    throw error;
  }
  const signedData = Buffer.concat([authenticatorData, clientDataHash]);
  if (!assertionSignatureVerifies(publicKey, signedData, fromBase64url(body.signature)!)) {
    throw new KeywayError('SIGNATURE_INVALID', 'The assertion signature does not verify with the credential public key');
  }

  // §7.2 step 23: a non-zero counter must increase; otherwise the key may have been cloned.
  if (!counterAdvances(expected.credential.counter, counter)) {
    throw new KeywayError(
      'COUNTER_REGRESSION',
      `The signature counter is ${counter}, not above the stored ${expected.credential.counter}: the authenticator may have been cloned`,
    );
  }

  return {
    credentialId: rawId,
    newCounter: counter,
    userVerified: flags.uv,
    backupEligible: flags.be,
    backedUp: flags.bs,
    origin: clientData.origin,
  };
}
