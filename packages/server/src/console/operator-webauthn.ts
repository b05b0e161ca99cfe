import type {
  AuthenticationResponseJSON,
  AuthenticatorTransport,
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON,
  RegistrationResponseJSON,
} from '@simplewebauthn/server';
import { KeywayError } from '../errors/keyway-error.ts';
import type { VerifiedAuthentication } from '../passkeys/authentication-verification.ts';
import type { VerifiedRegistration } from '../passkeys/registration-verification.ts';
import { authenticationVerifier, registrationVerifier } from '../passkeys/verifiers.ts';
import { canonicalBase64url, fromBase64url } from '../passkeys/webauthn-encoding.ts';

/**
 * Operators' passkeys are for Keyway itself as relying party: the RP ID is the host of
 * KEYWAY_PUBLIC_URL and the only origin is that URL's. The options are fixed, not a store's
 * policy: a discoverable credential (usernameless sign-in), user verification required (the
 * passkey is the operator's only factor), any authenticator, synced or not, no attestation.
 */

/** EdDSA, ES256, RS256 (COSE, RFC 9053 / RFC 8812). */
const ALGORITHMS = [-8, -7, -257];
const TIMEOUT_MS = 5 * 60 * 1000;

export interface OperatorRelyingParty {
  id: string;
  origin: string;
}

export function operatorRelyingParty(publicUrl: string): OperatorRelyingParty {
  const url = new URL(publicUrl);
  return { id: url.hostname, origin: url.origin };
}

export const CEREMONY_TIMEOUT_MS = TIMEOUT_MS;

export function operatorCreationOptions(
  rp: OperatorRelyingParty,
  input: { challenge: string; userHandle: string; name: string; existing: readonly { id: string; transports: string[] }[] },
): PublicKeyCredentialCreationOptionsJSON {
  return {
    rp: { id: rp.id, name: 'Keyway console' },
    user: { id: input.userHandle, name: input.name, displayName: input.name },
    challenge: input.challenge,
    pubKeyCredParams: ALGORITHMS.map((alg) => ({ type: 'public-key', alg })),
    timeout: TIMEOUT_MS,
    // §5.4: an authenticator that already holds one of the operator's passkeys does not make another.
    excludeCredentials: input.existing.map((c) => ({ type: 'public-key', id: c.id, transports: c.transports as AuthenticatorTransport[] })),
    authenticatorSelection: { residentKey: 'required', requireResidentKey: true, userVerification: 'required' },
    hints: [],
    attestation: 'none',
    extensions: { credProps: true },
  };
}

export function operatorRequestOptions(rp: OperatorRelyingParty, challenge: string): PublicKeyCredentialRequestOptionsJSON {
  // §5.5: an empty allowCredentials asks for a discoverable credential (usernameless sign-in).
  return { challenge, timeout: TIMEOUT_MS, rpId: rp.id, allowCredentials: [], userVerification: 'required', hints: [] };
}

/** The challenge a response answers (clientDataJSON.challenge), to find its ceremony; verified again in full later. */
export function challengeOf(response: unknown): string {
  const body = (response as { response?: { clientDataJSON?: unknown } } | null)?.response;
  const bytes = fromBase64url(body?.clientDataJSON);
  if (bytes !== undefined) {
    try {
      const challenge = (JSON.parse(Buffer.from(bytes).toString('utf8')) as { challenge?: unknown }).challenge;
      if (typeof challenge === 'string' && challenge.length > 0 && challenge.length <= 200) return challenge;
    } catch {
      // falls through to the coded error
    }
  }
  throw new KeywayError('RESPONSE_MALFORMED', 'response.clientDataJSON: is not base64url JSON with a challenge');
}

/** The credential ID a response names (rawId), to find the stored record. */
export function credentialIdOf(response: unknown): string {
  const rawId = canonicalBase64url((response as { rawId?: unknown } | null)?.rawId);
  if (rawId === undefined || rawId === '') throw new KeywayError('RESPONSE_MALFORMED', 'rawId: is not the base64url credential ID');
  return rawId;
}

/** WebAuthn §7.1 with the console's fixed expectations (the verifier loads with the first ceremony, as the stores' do). */
export async function verifyOperatorRegistration(
  rp: OperatorRelyingParty,
  response: RegistrationResponseJSON,
  challenge: string,
  now: Date,
): Promise<VerifiedRegistration> {
  const { verifyRegistration } = await registrationVerifier();
  return verifyRegistration(response, {
    challenge,
    origins: [rp.origin],
    rpId: rp.id,
    requireUserVerification: true,
    algorithms: ALGORITHMS,
    allowSyncedPasskeys: true,
    attestationTrust: { requireTrustedAttestation: false, rootCertificates: [] },
    now,
  });
}

/** WebAuthn §7.2 with the console's fixed expectations, for a discoverable sign-in. */
export async function verifyOperatorAuthentication(
  rp: OperatorRelyingParty,
  response: AuthenticationResponseJSON,
  expected: { challenge: string; userHandle: string; credential: { id: string; publicKey: Uint8Array; counter: number; backupEligible: boolean } },
): Promise<VerifiedAuthentication> {
  const { verifyAuthentication } = await authenticationVerifier();
  return verifyAuthentication(response, {
    challenge: expected.challenge,
    origins: [rp.origin],
    rpId: rp.id,
    requireUserVerification: true,
    allowCredentialIds: [],
    account: { identified: false, userHandle: expected.userHandle },
    credential: expected.credential,
  });
}
