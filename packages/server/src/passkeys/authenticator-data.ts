import { decodeCBOR } from '@levischuck/tiny-cbor';
import { isoCBOR, parseAuthenticatorData } from '@simplewebauthn/server/helpers';
import { KeywayError } from '../errors/keyway-error.ts';
import type { CeremonyKind } from './verification-errors.ts';

/**
 * The CBOR structures of a WebAuthn response, decoded strictly. SimpleWebAuthn's helpers decode the
 * first CBOR item and ignore what follows, and read authenticator extensions of any CBOR type; these
 * wrappers add the rules of WebAuthn L3 §6.1 and §6.5.4 on top, each failure RESPONSE_MALFORMED.
 */

export type AuthenticatorData = ReturnType<typeof parseAuthenticatorData>;

export interface AttestationObject {
  fmt: unknown;
  authData: Uint8Array;
  attStmt: Map<string, unknown>;
}

function malformed(where: string, detail: string): KeywayError {
  return new KeywayError('RESPONSE_MALFORMED', `${where}: ${detail}`);
}

/**
 * §6.5.4: the attestation object is one CBOR map of fmt, authData and attStmt, and nothing after it
 * (tiny-cbor's decodeCBOR refuses bytes left over; it needs a buffer of its own, not a view).
 */
export function readAttestationObject(bytes: Uint8Array): AttestationObject {
  let decoded: unknown;
  try {
    decoded = decodeCBOR(new Uint8Array(bytes));
  } catch (error) {
    throw malformed('response.attestationObject', /whole stream/.test(String(error)) ? 'bytes follow the CBOR map' : 'is not CBOR');
  }
  if (!(decoded instanceof Map)) throw malformed('response.attestationObject', 'is not a CBOR map');
  const authData = decoded.get('authData');
  const attStmt = decoded.get('attStmt');
  if (!(authData instanceof Uint8Array) || !(attStmt instanceof Map)) throw malformed('response.attestationObject', 'authData or attStmt is missing');
  return { fmt: decoded.get('fmt'), authData, attStmt: attStmt as Map<string, unknown> };
}

/**
 * Parses authenticator data (§6.1) for a ceremony: attested credential data (AT) is present exactly
 * when a credential is created (§6.1: it is included for registration only), and with ED=1 the
 * extensions are present and are a CBOR map (§9: "a CBOR map with extension identifiers as keys").
 */
export function readAuthenticatorData(bytes: Uint8Array, ceremony: CeremonyKind, where: string): AuthenticatorData {
  let parsed: AuthenticatorData;
  try {
    parsed = parseAuthenticatorData(new Uint8Array(bytes));
  } catch (error) {
    throw malformed(where, error instanceof Error ? error.message : 'cannot be decoded');
  }
  if (ceremony === 'authentication' && parsed.flags.at) throw malformed(where, 'AT=1: an assertion carries no attested credential data');
  if (ceremony === 'registration' && !parsed.flags.at) throw malformed(where, 'AT=0: a registration must carry attested credential data');
  if (parsed.flags.ed) {
    let extensions: unknown;
    try {
      extensions = parsed.extensionsDataBuffer === undefined ? undefined : isoCBOR.decodeFirst(parsed.extensionsDataBuffer);
    } catch {
      extensions = undefined;
    }
    if (!(extensions instanceof Map)) throw malformed(where, 'ED=1 but the extensions are not a CBOR map');
  }
  return parsed;
}
