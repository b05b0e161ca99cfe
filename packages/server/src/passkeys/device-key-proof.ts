import { createPublicKey, verify, type KeyObject } from 'node:crypto';
import { calculateJwkThumbprint } from 'jose';
import { KeywayError } from '../errors/keyway-error.ts';
import { randomBytes } from '../shared/random-bytes.ts';

/**
 * A device proof: the browser signs `keyway-device-key:v1:<challenge>` (UTF-8) with its non-extractable ECDSA P-256
 * WebCrypto key (SHA-256). WebCrypto answers ECDSA signatures as r ‖ s, two 32-byte big-endian integers (IEEE P1363),
 * not DER, so they are verified with `dsaEncoding: 'ieee-p1363'`. The prefix keeps the signature from meaning
 * anything outside this protocol. `packages/web/src/device-key.ts` is the browser side.
 */
export const DEVICE_PROOF_PREFIX = 'keyway-device-key:v1:';

/** A device's public key as Keyway stores it: the four JWK members of an EC P-256 public key, nothing else. */
export interface DevicePublicJwk {
  kty: 'EC';
  crv: 'P-256';
  x: string;
  y: string;
}

export interface DevicePublicKey {
  jwk: DevicePublicJwk;
  /** RFC 7638 JWK thumbprint (SHA-256, base64url): the key's id in Keyway, the ID token's `device_keys` and the APIs. */
  keyId: string;
  key: KeyObject;
}

/** A fresh challenge for a device proof: 32 random bytes, base64url. */
export function newDeviceChallenge(): string {
  return randomBytes(32).toString('base64url');
}

const B64URL_COORDINATE = /^[A-Za-z0-9_-]{43}$/;

/**
 * Reads a device's public JWK: EC, P-256, 32-byte x and y, and no private member (`d`) — a client that sends its
 * private key has not kept it on the device, so it is refused. node:crypto checks that the point is on the curve.
 */
export async function parseDevicePublicKey(value: unknown): Promise<DevicePublicKey> {
  const jwk = (value && typeof value === 'object' && !Array.isArray(value) ? value : {}) as Record<string, unknown>;
  if (jwk.kty !== 'EC' || jwk.crv !== 'P-256') throw new KeywayError('DEVICE_KEY_INVALID', 'the device key must be a JWK with kty EC and crv P-256');
  if ('d' in jwk) throw new KeywayError('DEVICE_KEY_INVALID', 'the device key must be the public key only (a JWK without d)');
  if (typeof jwk.x !== 'string' || typeof jwk.y !== 'string' || !B64URL_COORDINATE.test(jwk.x) || !B64URL_COORDINATE.test(jwk.y))
    throw new KeywayError('DEVICE_KEY_INVALID', 'the device key’s x and y must be 32-byte base64url coordinates');
  const publicJwk: DevicePublicJwk = { kty: 'EC', crv: 'P-256', x: jwk.x, y: jwk.y };
  let key: KeyObject;
  try {
    key = createPublicKey({ key: { ...publicJwk }, format: 'jwk' });
  } catch {
    throw new KeywayError('DEVICE_KEY_INVALID', 'the device key is not a point on P-256');
  }
  return { jwk: publicJwk, keyId: await calculateJwkThumbprint(publicJwk, 'sha256'), key };
}

const SIGNATURE = /^[A-Za-z0-9_-]{86}$/;

/** Whether `signature` (base64url, r ‖ s) is the device key's signature over the proof message for `challenge`. */
export function verifyDeviceProof(key: KeyObject, challenge: string, signature: unknown): boolean {
  if (typeof signature !== 'string' || !SIGNATURE.test(signature)) return false;
  return verify('sha256', Buffer.from(DEVICE_PROOF_PREFIX + challenge, 'utf8'), { key, dsaEncoding: 'ieee-p1363' }, Buffer.from(signature, 'base64url'));
}
