import { KeywayError } from '../errors/keyway-error.ts';
import { fromBase64url } from './webauthn-encoding.ts';

/** Whether a relying party accepts ceremonies run in a cross-origin iframe: under which top-level origins. */
export interface CrossOriginPolicy {
  /** The top-level origins that may embed the ceremony (the relying party's `topOrigins`); none: no embedding. */
  topOrigins: readonly string[];
}

/** Keyway's default: a ceremony in a cross-origin iframe is refused (clickjacking, WebAuthn §13.4.2). */
export const SAME_ORIGIN_ONLY: CrossOriginPolicy = { topOrigins: [] };

/**
 * Token Binding states a client may report (WebAuthn L2 §5.8.1 TokenBindingStatus; L3 keeps the
 * member reserved). Keyway's TLS connections never negotiate Token Binding (browsers removed it), so
 * only "supported" — the client could, but it was not used — matches the connection; "present"
 * claims a binding Keyway cannot verify.
 */
const TOKEN_BINDING_STATUSES = new Set(['present', 'supported']);

export interface ClientDataExpectations {
  type: 'webauthn.create' | 'webauthn.get';
  /** base64url of the challenge the session issued */
  challenge: string;
  /** The relying party's exact origins */
  origins: readonly string[];
  crossOrigin: CrossOriginPolicy;
}

export interface CollectedClientData {
  type: string;
  challenge: string;
  origin: string;
  crossOrigin?: boolean;
  topOrigin?: string;
}

/**
 * §7.1 step 10 / §7.2 step 14 of WebAuthn L2 (the tokenBinding member): when present, an object
 * whose status is a TokenBindingStatus that matches the connection. One rule for both ceremonies.
 */
function checkTokenBinding(tokenBinding: unknown): void {
  if (tokenBinding === undefined) return;
  if (typeof tokenBinding !== 'object' || tokenBinding === null || Array.isArray(tokenBinding)) {
    throw new KeywayError('RESPONSE_MALFORMED', 'response.clientDataJSON: tokenBinding is not an object');
  }
  const status = (tokenBinding as Record<string, unknown>).status;
  if (typeof status !== 'string' || !TOKEN_BINDING_STATUSES.has(status)) {
    throw new KeywayError(
      'RESPONSE_MALFORMED',
      `response.clientDataJSON: tokenBinding.status ${JSON.stringify(status ?? null)} is not "present" or "supported"`,
    );
  }
  if (status === 'present') {
    throw new KeywayError(
      'TOKEN_BINDING_NOT_SUPPORTED',
      'clientDataJSON.tokenBinding.status is "present", but this connection did not negotiate Token Binding',
    );
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

/**
 * Parses clientDataJSON and checks it against the session, in the order of WebAuthn L3 §7.1
 * steps 5–11 (registration) and §7.2 steps 8–14 (authentication). Keyway does this itself rather
 * than relying on the library so that each failure has its own code and cross-origin use is
 * refused for registration too (the library checks `topOrigin` only when authenticating).
 */
export function checkClientData(clientDataJSON: unknown, expected: ClientDataExpectations): CollectedClientData {
  const registration = expected.type === 'webauthn.create';
  const bytes = fromBase64url(clientDataJSON);
  if (bytes === undefined) throw new KeywayError('RESPONSE_MALFORMED', 'response.clientDataJSON: is not base64url');

  // §7.1 step 5 / §7.2 step 8: UTF-8 decode, a leading byte order mark stripped.
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    throw new KeywayError('RESPONSE_MALFORMED', 'response.clientDataJSON: is not UTF-8');
  }
  // §7.1 step 6 / §7.2 step 9: parse the JSON.
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new KeywayError('RESPONSE_MALFORMED', 'response.clientDataJSON: is not JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new KeywayError('RESPONSE_MALFORMED', 'response.clientDataJSON: is not a JSON object');
  }
  const c = parsed as Record<string, unknown>;
  for (const member of ['type', 'challenge', 'origin'] as const) {
    if (typeof c[member] !== 'string') throw new KeywayError('RESPONSE_MALFORMED', `response.clientDataJSON: ${member} is missing or not a string`);
  }
  if (c.crossOrigin !== undefined && typeof c.crossOrigin !== 'boolean')
    throw new KeywayError('RESPONSE_MALFORMED', 'response.clientDataJSON: crossOrigin is not a boolean');
  if (c.topOrigin !== undefined && typeof c.topOrigin !== 'string')
    throw new KeywayError('RESPONSE_MALFORMED', 'response.clientDataJSON: topOrigin is not a string');
  const data: CollectedClientData = {
    type: c.type as string,
    challenge: c.challenge as string,
    origin: c.origin as string,
    ...(c.crossOrigin === undefined ? {} : { crossOrigin: c.crossOrigin }),
    ...(c.topOrigin === undefined ? {} : { topOrigin: c.topOrigin }),
  };

  // §7.1 step 7 / §7.2 step 10: the ceremony type.
  if (data.type !== expected.type) {
    throw new KeywayError(
      'CEREMONY_TYPE_MISMATCH',
      `clientDataJSON.type is ${JSON.stringify(data.type)}; this ${registration ? 'registration' : 'authentication'} session expects ${expected.type}`,
    );
  }
  // §7.1 step 8 / §7.2 step 11: the challenge this session issued, compared as the base64url text.
  if (data.challenge !== expected.challenge) {
    throw new KeywayError('CHALLENGE_MISMATCH', 'clientDataJSON.challenge is not the challenge this session issued');
  }
  // §7.1 step 9 / §7.2 step 12: an origin the relying party lists, compared exactly.
  if (!expected.origins.includes(data.origin)) {
    throw new KeywayError(
      'ORIGIN_MISMATCH',
      `clientDataJSON.origin ${JSON.stringify(data.origin)} is not an origin of the relying party (${expected.origins.join(', ')})`,
    );
  }
  // §7.1 step 10 / §7.2 step 13: a ceremony inside a cross-origin iframe only when the RP expects
  // one, and then (§7.1 step 11 / §7.2 step 14) under a top-level origin it lists. Keyway requires
  // topOrigin with crossOrigin, and no topOrigin without it, so "where was this embedded" always has
  // an answer the RP agreed to.
  const embedders = expected.crossOrigin.topOrigins;
  if (data.crossOrigin === true) {
    if (embedders.length === 0) {
      throw new KeywayError(
        'CROSS_ORIGIN_NOT_ALLOWED',
        'clientDataJSON.crossOrigin is true: the ceremony ran in a cross-origin iframe, which the relying party does not allow',
      );
    }
    if (data.topOrigin === undefined) {
      throw new KeywayError('CROSS_ORIGIN_NOT_ALLOWED', 'clientDataJSON.crossOrigin is true without a topOrigin: the page embedding the ceremony is unknown');
    }
    if (!embedders.includes(data.topOrigin)) {
      throw new KeywayError(
        'CROSS_ORIGIN_NOT_ALLOWED',
        `clientDataJSON.topOrigin ${JSON.stringify(data.topOrigin)} is not a top-level origin the relying party allows`,
      );
    }
  } else if (data.topOrigin !== undefined) {
    throw new KeywayError('CROSS_ORIGIN_NOT_ALLOWED', `clientDataJSON.topOrigin is ${JSON.stringify(data.topOrigin)} without crossOrigin true`);
  }
  checkTokenBinding(c.tokenBinding);
  return data;
}
