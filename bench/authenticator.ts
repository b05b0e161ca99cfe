// The bench's own minimal ES256 authenticator ("none" attestation, discoverable), independent of Keyway's code,
// and the deterministic identities of seeded users: the seeder stores their credentials and the load generator
// signs in as them, both deriving everything from the same seed.
import { createECDH, createHash, createHmac, createPrivateKey, generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { encodeCBOR, type CBORType } from '@levischuck/tiny-cbor';

const b64u = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64url');
const sha256 = (bytes: Uint8Array | string) => createHash('sha256').update(bytes).digest();

/** A P-256 key pair and its COSE_Key encoding (RFC 9053 §7.1.1: kty EC2, alg ES256, crv P-256). */
export interface BenchKey {
  privateKey: KeyObject;
  cose: Uint8Array;
}

function keyFromPoint(x: Buffer, y: Buffer, privateKey: KeyObject): BenchKey {
  const cose = encodeCBOR(
    new Map<number, CBORType>([
      [1, 2],
      [3, -7],
      [-1, 1],
      [-2, new Uint8Array(x)],
      [-3, new Uint8Array(y)],
    ]),
  );
  return { privateKey, cose };
}

/** A fresh random key. */
export function randomKey(): BenchKey {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk = publicKey.export({ format: 'jwk' });
  return keyFromPoint(Buffer.from(jwk.x!, 'base64url'), Buffer.from(jwk.y!, 'base64url'), privateKey);
}

/** Distinct keys seeded users share (user i holds key i mod KEY_POOL): real keys, cheap to make. */
export const KEY_POOL = 2048;

/**
 * Key `index` of `seed`: the private scalar is HMAC-SHA256(seed, "key:" index), redrawn in the rare case it is not
 * below the P-256 group order; node:crypto derives the public point.
 */
export function seededKey(seed: string, index: number): BenchKey {
  for (let attempt = 0; ; attempt++) {
    const d = createHmac('sha256', seed).update(`key:${index}:${attempt}`).digest();
    try {
      const ecdh = createECDH('prime256v1');
      ecdh.setPrivateKey(d); // throws unless 0 < d < n
      const point = ecdh.getPublicKey(); // 0x04 ‖ x ‖ y
      const x = point.subarray(1, 33);
      const y = point.subarray(33, 65);
      const privateKey = createPrivateKey({ key: { kty: 'EC', crv: 'P-256', d: b64u(d), x: b64u(x), y: b64u(y) }, format: 'jwk' });
      return keyFromPoint(x, y, privateKey);
    } catch {
      continue;
    }
  }
}

/** Seeded user `i`: what the seeder stores and what the load generator needs to sign in as it. */
export interface SeededUser {
  identifier: string;
  /** WebAuthn user handle, base64url of 32 bytes */
  userHandle: string;
  /** Credential ID, base64url of 16 bytes */
  credentialId: string;
  keyIndex: number;
}

export function seededUser(seed: string, i: number): SeededUser {
  const mac = (label: string) => createHmac('sha256', seed).update(`${label}:${i}`).digest();
  return {
    identifier: `seeded-${i}@bench.test`,
    userHandle: b64u(mac('handle')),
    credentialId: b64u(mac('credential').subarray(0, 16)),
    keyIndex: i % KEY_POOL,
  };
}

/** A credential the authenticator holds. */
export interface HeldCredential {
  id: Buffer;
  key: BenchKey;
  userHandle: string | null;
  counter: number;
  /** Counts up per assertion (fresh credentials); seeded ones stay at 0, as authenticators without a counter do. */
  counts: boolean;
}

interface ClientDataOptions {
  challenge: string;
  origin: string;
  type: 'webauthn.create' | 'webauthn.get';
}

function clientData({ type, challenge, origin }: ClientDataOptions): Buffer {
  return Buffer.from(JSON.stringify({ type, challenge, origin, crossOrigin: false }));
}

/** navigator.credentials.create() with "none" attestation (WebAuthn §8.7) for `credential`. */
export function attestation(credential: HeldCredential, options: { challenge: string; rp: { id?: string }; user: { id: string } }, origin: string) {
  credential.userHandle = options.user.id;
  const rpId = options.rp.id ?? new URL(origin).hostname;
  const length = Buffer.alloc(2);
  length.writeUInt16BE(credential.id.length);
  const counter = Buffer.alloc(4);
  counter.writeUInt32BE(credential.counter);
  // Flags: UP, UV, AT (attested credential data present).
  const authData = Buffer.concat([sha256(rpId), Buffer.from([0x45]), counter, Buffer.alloc(16), length, credential.id, credential.key.cose]);
  const attestationObject = encodeCBOR(
    new Map<string, CBORType>([
      ['fmt', 'none'],
      ['attStmt', new Map()],
      ['authData', new Uint8Array(authData)],
    ]),
  );
  return {
    id: b64u(credential.id),
    rawId: b64u(credential.id),
    type: 'public-key',
    authenticatorAttachment: 'platform',
    clientExtensionResults: {},
    response: {
      clientDataJSON: b64u(clientData({ type: 'webauthn.create', challenge: options.challenge, origin })),
      attestationObject: b64u(attestationObject),
      transports: ['internal'],
    },
  };
}

/** navigator.credentials.get(): an ES256 assertion (WebAuthn §6.3.3) over authenticatorData ‖ SHA-256(clientDataJSON). */
export function assertion(credential: HeldCredential, options: { challenge: string; rpId?: string }, origin: string) {
  if (credential.counts) credential.counter++;
  const counter = Buffer.alloc(4);
  counter.writeUInt32BE(credential.counter);
  const authData = Buffer.concat([sha256(options.rpId ?? new URL(origin).hostname), Buffer.from([0x05]), counter]);
  const json = clientData({ type: 'webauthn.get', challenge: options.challenge, origin });
  const signature = sign('sha256', Buffer.concat([authData, sha256(json)]), credential.key.privateKey);
  return {
    id: b64u(credential.id),
    rawId: b64u(credential.id),
    type: 'public-key',
    authenticatorAttachment: 'platform',
    clientExtensionResults: {},
    response: { clientDataJSON: b64u(json), authenticatorData: b64u(authData), signature: b64u(signature), userHandle: credential.userHandle },
  };
}

/** A new credential on a given key (fresh random ID). */
export function newCredential(key: BenchKey): HeldCredential {
  return { id: randomBytes(32), key, userHandle: null, counter: 0, counts: true };
}
