// Device binding: one non-extractable ECDSA P-256 WebCrypto key per Keyway store (`scope`, "<tenant>/<store>"),
// kept in this origin's IndexedDB. The private key never leaves the browser (extractable: false, stored as a
// CryptoKey by structured clone); the server gets the public JWK and signatures over its challenges. Key ids are
// RFC 7638 JWK thumbprints (SHA-256 of the required members in lexicographic order, base64url), as the server computes
// them. The server side is packages/server/src/passkeys/device-key-proof.ts.
import { toBase64Url } from './base64url.ts';

/** What is signed: the prefix keeps the signature from meaning anything outside this protocol. */
const PROOF_PREFIX = 'keyway-device-key:v1:';
const DATABASE = 'keyway-device-keys';
const STORE = 'keys';

interface StoredDeviceKey {
  privateKey: CryptoKey;
  publicJwk: { kty: 'EC'; crv: 'P-256'; x: string; y: string };
  keyId: string;
}

/** A binding proof for Register Passkeys (Bind Device): the public key and its signature over the challenge. */
export interface DeviceBindingProof {
  publicKey: StoredDeviceKey['publicJwk'];
  signature: string;
}

/** A Known Device Status proof: the key's id and its signature over the challenge. */
export interface DeviceStatusProof {
  challenge: string;
  device_key_id: string;
  signature: string;
}

function request<T>(r: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
  });
}

async function open(): Promise<IDBDatabase> {
  const opening = indexedDB.open(DATABASE, 1);
  opening.onupgradeneeded = () => opening.result.createObjectStore(STORE);
  return request(opening);
}

async function read(scope: string): Promise<StoredDeviceKey | undefined> {
  const db = await open();
  try {
    return (await request(db.transaction(STORE, 'readonly').objectStore(STORE).get(scope))) as StoredDeviceKey | undefined;
  } finally {
    db.close();
  }
}

async function write(scope: string, key: StoredDeviceKey): Promise<void> {
  const db = await open();
  try {
    await request(db.transaction(STORE, 'readwrite').objectStore(STORE).put(key, scope));
  } finally {
    db.close();
  }
}

async function thumbprint(jwk: StoredDeviceKey['publicJwk']): Promise<string> {
  // RFC 7638 §3.2: the required members only, in lexicographic order, no whitespace.
  const canonical = JSON.stringify({ crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y });
  return toBase64Url(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(canonical)));
}

async function create(scope: string): Promise<StoredDeviceKey> {
  const pair = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign', 'verify']);
  const exported = await crypto.subtle.exportKey('jwk', pair.publicKey);
  const publicJwk = { kty: 'EC' as const, crv: 'P-256' as const, x: String(exported.x), y: String(exported.y) };
  const key = { privateKey: pair.privateKey, publicJwk, keyId: await thumbprint(publicJwk) };
  await write(scope, key);
  return key;
}

async function sign(key: StoredDeviceKey, challenge: string): Promise<string> {
  // WebCrypto's ECDSA signature is r ‖ s (IEEE P1363), what the server verifies.
  const signature = await crypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, key.privateKey, new TextEncoder().encode(PROOF_PREFIX + challenge));
  return toBase64Url(signature);
}

/** Whether this browser can keep a device key (WebCrypto and IndexedDB in a secure context). */
export function isDeviceBindingAvailable(): boolean {
  return typeof indexedDB !== 'undefined' && typeof crypto !== 'undefined' && crypto.subtle !== undefined;
}

/** The binding proof: this browser's key for `scope` (made now, non-extractable, if there is none yet) signs `challenge`. */
export async function proveDeviceBinding(scope: string, challenge: string): Promise<DeviceBindingProof> {
  const key = (await read(scope)) ?? (await create(scope));
  return { publicKey: key.publicJwk, signature: await sign(key, challenge) };
}

/** The Known Device Status proof, or null when this browser keeps no key for `scope` (never makes one). */
export async function proveKnownDevice(scope: string, challenge: string): Promise<DeviceStatusProof | null> {
  const key = isDeviceBindingAvailable() ? await read(scope) : undefined;
  if (!key) return null;
  return { challenge, device_key_id: key.keyId, signature: await sign(key, challenge) };
}

/** The id (RFC 7638 thumbprint) of this browser's key for `scope`, or null when it keeps none. */
export async function deviceKeyId(scope: string): Promise<string | null> {
  return isDeviceBindingAvailable() ? ((await read(scope))?.keyId ?? null) : null;
}
