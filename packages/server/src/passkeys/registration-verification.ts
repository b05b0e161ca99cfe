import { createHash } from 'node:crypto';
import { verifyRegistrationResponse, type RegistrationResponseJSON } from '@simplewebauthn/server';
import { convertAAGUIDToString } from '@simplewebauthn/server/helpers';
import { KeywayError } from '../errors/keyway-error.ts';
import { instantInsideValidity, isCertificateValidityRefusal, verifyRegistrationAt } from './attestation-statement-clock.ts';
import { checkAttestationStatement } from './attestation-statement.ts';
import { assessAttestation, disableLibraryTrustAnchors } from './attestation-trust.ts';
import { readAttestationObject, readAuthenticatorData } from './authenticator-data.ts';
import { SAME_ORIGIN_ONLY, checkClientData, type CrossOriginPolicy } from './client-data.ts';
import type { AttestationTrust } from './passkey-config.ts';
import { coseAlgorithm, importCredentialPublicKey } from './credential-public-key.ts';
import type { MetadataProvider } from './mds-blob.ts';
import { fromLibraryError } from './verification-errors.ts';
import { fromBase64url, isBase64url, sameBytes, toBase64url } from './webauthn-encoding.ts';

/** WebAuthn §6.5.1: a credential ID is at most 1023 bytes. */
export const MAX_CREDENTIAL_ID_BYTES = 1023;

/** Everything a registration is checked against: taken from the session, the RP and the policy, never from the client. */
export interface RegistrationExpectations {
  /** base64url challenge the session issued */
  challenge: string;
  /** The relying party's exact origins */
  origins: readonly string[];
  /** Default: cross-origin ceremonies refused */
  crossOrigin?: CrossOriginPolicy;
  rpId: string;
  requireUserVerification: boolean;
  /** COSE algorithms the policy allows (and the options offered) */
  algorithms: readonly number[];
  /** false: device-bound passkeys only (BE=1 refused) */
  allowSyncedPasskeys: boolean;
  attestationTrust: AttestationTrust;
  /** Loads the FIDO metadata BLOB a policy's attestationTrust.metadata names */
  metadata?: MetadataProvider | undefined;
  /** The time trust chains are judged at */
  now: Date;
}

/** The facts of a verified registration: what becomes the credential record. */
export interface VerifiedRegistration {
  /** Canonical base64url of the credential ID from authenticatorData */
  credentialId: string;
  /** COSE_Key bytes */
  publicKey: Uint8Array;
  algorithm: number;
  counter: number;
  aaguid: string;
  transports: string[];
  userVerified: boolean;
  backupEligible: boolean;
  backedUp: boolean;
  attestationFormat: string;
  /** The attestation chained to a root the policy trusts */
  attestationVerified: boolean;
  /** Why not, when it did not (for the audit trail) */
  attestationReason?: string;
  origin: string;
  /** The credProps client extension output: whether the credential is discoverable, when the client said */
  residentKey?: boolean;
}

const TRANSPORT = /^[a-z][a-z0-9-]{0,31}$/;
const MAX_TRANSPORTS = 8;

function sha256(data: string): Buffer {
  return createHash('sha256').update(data, 'utf8').digest();
}

function asObject(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

/** The transports a client reported, as hints for later allowCredentials: well-formed, deduplicated, bounded. */
function cleanTransports(value: unknown): string[] {
  if (!Array.isArray(value)) return [];
  return [...new Set(value.filter((t): t is string => typeof t === 'string' && TRANSPORT.test(t)))].slice(0, MAX_TRANSPORTS);
}

/**
 * Verifies a registration response (`PublicKeyCredential.toJSON()` of `navigator.credentials.create()`)
 * by WebAuthn L3 §7.1, in the spec's order, every check with its own error code. Keyway checks each
 * step itself from the decoded data and then has @simplewebauthn/server verify the attestation
 * statement (and repeat the common checks). Steps 26 and 27's "not yet registered" needs the
 * database, so the caller does it; everything else is here. Pure apart from the clock-free library
 * call and attestation trust assessment, so tests can feed it published vectors.
 */
export async function verifyRegistration(response: RegistrationResponseJSON, expected: RegistrationExpectations): Promise<VerifiedRegistration> {
  // Keyway judges attestation chains per policy (assessAttestation); the library's own global
  // root lists must be empty, or it would refuse chains to roots the policy trusts.
  disableLibraryTrustAnchors();
  const credential = asObject(response);
  const body = asObject(credential?.response);
  // §7.1 step 3: the response must be a public-key credential's attestation response.
  if (!credential || credential.type !== 'public-key' || !body) {
    throw new KeywayError('RESPONSE_MALFORMED', 'The body is not a PublicKeyCredential (type "public-key") with an attestation response');
  }
  const rawId = fromBase64url(credential.rawId);
  if (!isBase64url(credential.id) || rawId === undefined || rawId.length === 0) {
    throw new KeywayError('RESPONSE_MALFORMED', 'id and rawId must be the base64url credential ID');
  }
  if (!sameBytes(rawId, fromBase64url(credential.id)!)) throw new KeywayError('RESPONSE_MALFORMED', 'id and rawId name different credentials');
  if (!isBase64url(body.attestationObject)) throw new KeywayError('RESPONSE_MALFORMED', 'response.attestationObject: is not base64url');

  // §7.1 steps 5–11: clientDataJSON (type, challenge, origin, crossOrigin, topOrigin).
  const clientData = checkClientData(body.clientDataJSON, {
    type: 'webauthn.create',
    challenge: expected.challenge,
    origins: expected.origins,
    crossOrigin: expected.crossOrigin ?? SAME_ORIGIN_ONLY,
  });

  // §7.1 step 13: CBOR-decode the attestation object into fmt, authData and attStmt (§6.5.4: one
  // map, nothing after it), and authData (§6.1: attested credential data present; extensions a map).
  const attestationBytes = fromBase64url(body.attestationObject)!;
  const attestation = readAttestationObject(attestationBytes);
  const { fmt, attStmt } = attestation;
  if (typeof fmt !== 'string') throw new KeywayError('RESPONSE_MALFORMED', 'response.attestationObject: fmt is not a string');
  const parsed = readAuthenticatorData(attestation.authData, 'registration', 'response.attestationObject authData');
  const { flags, credentialID, credentialPublicKey, aaguid, counter } = parsed;
  if (!credentialID || !credentialPublicKey || !aaguid) {
    throw new KeywayError('RESPONSE_MALFORMED', 'authenticatorData carries no attested credential data (AT flag, credential ID, public key)');
  }
  // §7.1 step 13 with §6.5.1: the credential the client names is the one the authenticator created.
  // (SimpleWebAuthn only compares id with rawId, so a response could name another credential.)
  if (!sameBytes(rawId, credentialID)) {
    throw new KeywayError('RESPONSE_MALFORMED', 'id/rawId is not the credential ID in authenticatorData');
  }

  // §7.1 step 14: rpIdHash is SHA-256 of the RP ID this session is for.
  if (!sameBytes(sha256(expected.rpId), parsed.rpIdHash)) {
    throw new KeywayError('RP_ID_MISMATCH', `authenticatorData.rpIdHash is not SHA-256 of ${expected.rpId}`);
  }
  // §7.1 step 15: user presence (Keyway never asks for conditional create, so UP is always required).
  if (!flags.up) throw new KeywayError('USER_PRESENCE_REQUIRED', 'authenticatorData flags: UP=0');
  // §7.1 step 16: user verification when the policy requires it.
  if (expected.requireUserVerification && !flags.uv) {
    throw new KeywayError('USER_VERIFICATION_REQUIRED', 'The registration policy requires user verification and authenticatorData flags have UV=0');
  }
  // §7.1 step 17: a credential cannot be backed up unless it is backup eligible.
  if (flags.bs && !flags.be) throw new KeywayError('BACKUP_STATE_INVALID', 'authenticatorData flags: BS=1 with BE=0');
  // §7.1 step 18: the policy's use of backup eligibility: device-bound only refuses synced passkeys.
  if (flags.be && !expected.allowSyncedPasskeys) {
    throw new KeywayError(
      'SYNCED_PASSKEY_NOT_ALLOWED',
      'The registration policy accepts only device-bound passkeys and this credential is backup eligible (BE=1)',
    );
  }
  // §7.1 step 19: the backup state is recorded (and updated at each sign-in), not a policy input.

  // §7.1 step 20: the credential's algorithm is one the options offered and the policy allows.
  const algorithm = coseAlgorithm(credentialPublicKey);
  if (algorithm === undefined) throw new KeywayError('RESPONSE_MALFORMED', 'The credential public key has no numeric alg');
  if (!expected.algorithms.includes(algorithm)) {
    throw new KeywayError('ALGORITHM_NOT_ALLOWED', `The credential uses COSE algorithm ${algorithm}; the policy allows ${expected.algorithms.join(', ')}`);
  }
  // §6.5.1.1 with RFC 9053/8230: the key is of the type and curve its alg needs, and a valid key.
  importCredentialPublicKey(credentialPublicKey);
  // §7.1 step 21: extension outputs. Keyway asks only for credProps, which is informational.
  const credProps = asObject(asObject(credential.clientExtensionResults)?.credProps);

  // §7.1 steps 22–23: the attestation statement format is one Keyway knows and its statement
  // verifies: the format rules the library leaves out first, then SimpleWebAuthn (which repeats the
  // checks above too; it is given the same expectations).
  checkAttestationStatement(fmt, attStmt, algorithm);
  // For "none" (§8.7: an empty statement, checked above, and no signature) the checks above are the whole
  // verification. The library would only repeat them (with two WebCrypto digests on the thread pool: a tenth of a
  // sign-up's time).
  if (fmt !== 'none' && !(await libraryVerifiesStatement(response, attStmt, expected))) {
    throw new KeywayError('ATTESTATION_INVALID', `The ${fmt} attestation signature does not verify`);
  }

  // §7.1 steps 24–25: trust anchors from the policy, and whether the attestation chains to one.
  // With fmt "none" there is nothing to assess: the credential is simply not attested.
  const aaguidText = convertAAGUIDToString(aaguid);
  const trust =
    fmt === 'none'
      ? { verified: false, reason: 'no attestation (fmt "none")' }
      : await assessAttestation({
          attestationObject: attestationBytes,
          fmt,
          aaguid: aaguidText,
          trust: expected.attestationTrust,
          now: expected.now,
          ...(expected.metadata === undefined ? {} : { metadata: expected.metadata }),
        });
  // §7.1 step 29 (SHOULD fail when not trustworthy): Keyway fails when the policy requires trust.
  if (expected.attestationTrust.requireTrustedAttestation && !trust.verified) {
    throw new KeywayError('ATTESTATION_NOT_TRUSTED', `The policy requires an attestation chaining to a trusted root: ${trust.reason ?? 'it does not'}`);
  }

  // §7.1 step 26: credential IDs longer than 1023 bytes are refused.
  if (credentialID.length > MAX_CREDENTIAL_ID_BYTES) {
    throw new KeywayError('CREDENTIAL_ID_TOO_LONG', `The credential ID is ${credentialID.length} bytes; at most ${MAX_CREDENTIAL_ID_BYTES} are allowed`);
  }

  return {
    credentialId: toBase64url(credentialID),
    publicKey: credentialPublicKey,
    algorithm,
    counter,
    aaguid: aaguidText,
    transports: cleanTransports(body.transports),
    userVerified: flags.uv,
    backupEligible: flags.be,
    backedUp: flags.bs,
    attestationFormat: fmt,
    attestationVerified: trust.verified,
    ...(trust.verified || trust.reason === undefined ? {} : { attestationReason: trust.reason }),
    origin: clientData.origin,
    ...(typeof credProps?.rk === 'boolean' ? { residentKey: credProps.rk } : {}),
  };
}

/** SimpleWebAuthn's verification of an attestation statement (it repeats the common checks, given the same expectations). */
async function libraryVerifiesStatement(
  response: RegistrationResponseJSON,
  attStmt: Map<string, unknown>,
  expected: RegistrationExpectations,
): Promise<boolean> {
  const libraryOptions = {
    response,
    expectedChallenge: expected.challenge,
    expectedOrigin: [...expected.origins],
    expectedRPID: expected.rpId,
    requireUserPresence: true,
    requireUserVerification: expected.requireUserVerification,
    supportedAlgorithmIDs: [...expected.algorithms],
  };
  try {
    const verified = await verifyRegistrationResponse(libraryOptions);
    return verified.verified && verified.registrationInfo !== undefined;
  } catch (error) {
    // The library judged a certificate's validity by the process clock. Validity is a trust
    // decision at the ceremony's clock (steps 24–25), so the statement is verified again
    // at an instant inside the certificates' validity (attestation-statement-clock.ts).
    const instant = isCertificateValidityRefusal(error) ? instantInsideValidity(attStmt.get('x5c')) : undefined;
    if (instant === undefined) throw fromLibraryError(error);
    try {
      return await verifyRegistrationAt(libraryOptions, instant);
    } catch (again) {
      throw fromLibraryError(again);
    }
  }
}
