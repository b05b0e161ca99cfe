// What the browser really sent (attestation format, flags, counter), read with SimpleWebAuthn's
// own decoders rather than through the Keyway server under test.
import { decodeAttestationObject, parseAuthenticatorData as parseAuthData } from '@simplewebauthn/server/helpers';

const bytes = (base64url: string) => new Uint8Array(Buffer.from(base64url, 'base64url'));

/** `fmt` of a base64url attestation object (`packed`, `fido-u2f`, `none`, …). */
export function attestationFormat(attestationObject: string): string {
  return decodeAttestationObject(bytes(attestationObject)).get('fmt');
}

/** `authData` of a base64url attestation object, as base64url. */
export function attestationAuthData(attestationObject: string): string {
  return Buffer.from(decodeAttestationObject(bytes(attestationObject)).get('authData')).toString('base64url');
}

export interface AuthenticatorDataFacts {
  rpIdHash: Buffer;
  flags: { up: boolean; uv: boolean; be: boolean; bs: boolean; at: boolean; ed: boolean };
  signCount: number;
}

/** rpIdHash, flags and signCount of base64url authenticator data (WebAuthn §6.1). */
export function parseAuthenticatorData(authenticatorData: string): AuthenticatorDataFacts {
  const parsed = parseAuthData(bytes(authenticatorData));
  const { up, uv, be, bs, at, ed } = parsed.flags;
  return { rpIdHash: Buffer.from(parsed.rpIdHash), flags: { up, uv, be, bs, at, ed }, signCount: parsed.counter };
}
