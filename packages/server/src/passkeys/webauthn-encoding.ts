import { randomBytes } from '../shared/random-bytes.ts';

/**
 * The byte encodings WebAuthn JSON uses, and the random values a ceremony is made of. Credential
 * IDs, challenges and user handles travel as base64url; Keyway stores and compares the canonical
 * form (no padding), so `abc=` and `abc` name the same bytes.
 */

/** base64url with optional padding, as `PublicKeyCredential.toJSON()` and older clients send it. */
const BASE64URL = /^[A-Za-z0-9_-]*={0,2}$/;

export function isBase64url(value: unknown): value is string {
  return typeof value === 'string' && BASE64URL.test(value) && value.replace(/=+$/, '').length % 4 !== 1;
}

/** Decodes base64url; undefined when the text is not base64url (Buffer alone would silently skip bad characters). */
export function fromBase64url(value: unknown): Uint8Array<ArrayBuffer> | undefined {
  return isBase64url(value) ? new Uint8Array(Buffer.from(value, 'base64url')) : undefined;
}

export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(b);
}

export function toBase64url(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64url');
}

/** The canonical (unpadded, re-encoded) form of a base64url string, or undefined when it is not one. */
export function canonicalBase64url(value: unknown): string | undefined {
  const bytes = fromBase64url(value);
  return bytes === undefined ? undefined : toBase64url(bytes);
}

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** RFC 4648 base32 without padding. */
function base32(bytes: Uint8Array): string {
  let out = '';
  let buffer = 0;
  let bits = 0;
  for (const byte of bytes) {
    buffer = (buffer << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += BASE32[(buffer >>> (bits - 5)) & 31];
      bits -= 5;
    }
    buffer &= (1 << bits) - 1;
  }
  if (bits > 0) out += BASE32[(buffer << (5 - bits)) & 31];
  return out;
}

/**
 * A ceremony session id: 16 bytes as 26 base32 characters, the shape TrustX uses (`T4NJA4PEEM6Q3GXSON5QQZYMG4`). The
 * first 6 bytes are the creation time in milliseconds and the other 80 bits random (unguessable, like a UUIDv7's 74),
 * so ids made in the same few milliseconds share their first 9 characters: new rows land in a few leaves of the
 * session table's primary-key index, which a group of ceremonies then writes once, instead of a leaf each anywhere in
 * it (2.9 of 22 WAL pages per commit of a sign-up's ephemeral file were that index's, with random ids).
 */
export function newCeremonySessionId(now: Date): string {
  const bytes = randomBytes(16);
  bytes.writeUIntBE(now.getTime(), 0, 6);
  return base32(bytes);
}

/** A WebAuthn challenge: 32 random bytes (WebAuthn §13.4.3 asks for at least 16). */
export function newChallenge(): string {
  return randomBytes(32).toString('base64url');
}

/** A WebAuthn user handle: 32 random bytes, never derived from anything about the user (§14.6.1). */
export function newUserHandle(): string {
  return randomBytes(32).toString('base64url');
}
