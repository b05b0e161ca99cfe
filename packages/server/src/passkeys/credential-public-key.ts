import { createPublicKey, generateKeyPairSync, type JsonWebKey, type KeyObject } from 'node:crypto';
import { cose, decodeCredentialPublicKey } from '@simplewebauthn/server/helpers';
import { KeywayError } from '../errors/keyway-error.ts';

/**
 * The credential public key of a registration, checked against its own `alg` and imported with
 * node:crypto, so that only keys that can verify that algorithm's signatures are ever stored.
 *
 * WebAuthn L3 §6.5.1.1 and RFC 9053 §2/§7, RFC 8230 §4: an algorithm fixes the key type and curve.
 * ES256, ES384 and ES512 are ECDSA over P-256, P-384 and P-521 (kty EC2, crv 1/2/3, x and y of the
 * curve's exact field size); EdDSA is Ed25519 (kty OKP, crv 6, x of 32 bytes); RS* and PS* are RSA
 * (kty 3). The key is then imported by node:crypto (OpenSSL), which refuses a point that is not on
 * its curve. RSA keys are held to RFC 8230 §6 (at least 2048 bits) and to a public exponent that is
 * odd and at least 3 (RFC 8017 §3.1); Keyway also refuses moduli above 8192 bits: no authenticator
 * makes them, and each one costs a verifier proportionally more work at every sign-in.
 */

export const MIN_RSA_BITS = 2048;
export const MAX_RSA_BITS = 8192;

type KeyShape =
  | { kty: cose.COSEKTY.EC2; crv: cose.COSECRV; jwkCrv: 'P-256' | 'P-384' | 'P-521'; coordinateBytes: number }
  | { kty: cose.COSEKTY.OKP; crv: cose.COSECRV.ED25519 }
  | { kty: cose.COSEKTY.RSA };

const P256 = { kty: cose.COSEKTY.EC2, crv: cose.COSECRV.P256, jwkCrv: 'P-256', coordinateBytes: 32 } as const;
const P384 = { kty: cose.COSEKTY.EC2, crv: cose.COSECRV.P384, jwkCrv: 'P-384', coordinateBytes: 48 } as const;
const P521 = { kty: cose.COSEKTY.EC2, crv: cose.COSECRV.P521, jwkCrv: 'P-521', coordinateBytes: 66 } as const;
const ED25519 = { kty: cose.COSEKTY.OKP, crv: cose.COSECRV.ED25519 } as const;
const RSA = { kty: cose.COSEKTY.RSA } as const;

/** The key each COSE algorithm Keyway verifies must have. */
const KEY_FOR_ALGORITHM: ReadonlyMap<number, KeyShape> = new Map<number, KeyShape>([
  [cose.COSEALG.ES256, P256],
  [cose.COSEALG.ES384, P384],
  [cose.COSEALG.ES512, P521],
  [cose.COSEALG.EdDSA, ED25519],
  [cose.COSEALG.PS256, RSA],
  [cose.COSEALG.PS384, RSA],
  [cose.COSEALG.PS512, RSA],
  [cose.COSEALG.RS256, RSA],
  [cose.COSEALG.RS384, RSA],
  [cose.COSEALG.RS512, RSA],
  [cose.COSEALG.RS1, RSA],
]);

const KTY_NAME: Record<number, string> = { [cose.COSEKTY.OKP]: 'OKP (1)', [cose.COSEKTY.EC2]: 'EC2 (2)', [cose.COSEKTY.RSA]: 'RSA (3)' };

export interface CredentialPublicKey {
  /** The COSE `alg` the key is labelled with, checked to fit the key */
  algorithm: number;
  /** The key, imported */
  key: KeyObject;
}

function invalid(detail: string): KeywayError {
  return new KeywayError('CREDENTIAL_PUBLIC_KEY_INVALID', `The credential public key ${detail}`);
}

function bytes(value: unknown, name: string): Uint8Array {
  if (!(value instanceof Uint8Array) || value.length === 0) throw invalid(`has no ${name} byte string`);
  return value;
}

const b64 = (value: Uint8Array) => Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64url');

/** The unsigned big-endian integer without its leading zero bytes. */
function withoutLeadingZeros(value: Uint8Array): Uint8Array {
  let start = 0;
  while (start < value.length - 1 && value[start] === 0) start += 1;
  return value.subarray(start);
}

/** The COSE `alg` of a COSE_Key, or undefined when it has no integer one (so the policy check can answer first). */
export function coseAlgorithm(coseKey: Uint8Array): number | undefined {
  try {
    const alg = decodeCredentialPublicKey(new Uint8Array(coseKey)).get(cose.COSEKEYS.alg);
    return typeof alg === 'number' && Number.isInteger(alg) ? alg : undefined;
  } catch {
    return undefined;
  }
}

/**
 * What node:crypto imports a COSE_Key whose kty/crv was checked against `shape` from: an elliptic-curve or Ed25519 key
 * as a PEM SubjectPublicKeyInfo string, an RSA key as a JWK.
 *
 * Why PEM: node:crypto asks whether any *object* it is given is a KeyObject or a CryptoKey by reading a private slot
 * and catching the TypeError. A JWK in an options object costs four such exceptions, half of a P-256 import
 * (33 µs as a JWK, 14 µs as PEM); a string costs none. The SubjectPublicKeyInfo is the curve's fixed DER header
 * (spkiHeader) followed by the key: for EC the uncompressed point 0x04 ‖ x ‖ y (SEC 1 §2.3.3, RFC 5480 §2.2), for
 * Ed25519 its 32 bytes (RFC 8410 §4). OpenSSL decodes it and checks that the point is on the curve, as for a JWK.
 * RSA stays a JWK: its header depends on the key's lengths, and Keyway writes no ASN.1.
 */
function toKeyInput(key: Map<number, unknown>, shape: KeyShape): string | JsonWebKey {
  switch (shape.kty) {
    case cose.COSEKTY.EC2: {
      const x = bytes(key.get(cose.COSEKEYS.x), 'x coordinate');
      const y = bytes(key.get(cose.COSEKEYS.y), 'y coordinate');
      if (x.length !== shape.coordinateBytes || y.length !== shape.coordinateBytes) {
        throw invalid(`has ${x.length}- and ${y.length}-byte coordinates; ${shape.jwkCrv} coordinates are ${shape.coordinateBytes} bytes`);
      }
      return pem(Buffer.concat([spkiHeader(shape), UNCOMPRESSED_POINT, x, y]));
    }
    case cose.COSEKTY.OKP: {
      const x = bytes(key.get(cose.COSEKEYS.x), 'public key (x)');
      if (x.length !== ED25519_KEY_BYTES) throw invalid(`is ${x.length} bytes; an Ed25519 public key is ${ED25519_KEY_BYTES} bytes`);
      return pem(Buffer.concat([spkiHeader(shape), x]));
    }
    case cose.COSEKTY.RSA: {
      const n = withoutLeadingZeros(bytes(key.get(cose.COSEKEYS.n), 'modulus (n)'));
      const e = withoutLeadingZeros(bytes(key.get(cose.COSEKEYS.e), 'public exponent (e)'));
      // Bounded before the import, so an oversized key costs nothing.
      if (n.length * 8 > MAX_RSA_BITS) throw invalid(`is a ${n.length * 8}-bit RSA key; at most ${MAX_RSA_BITS} bits are accepted`);
      if (e.length > 8) throw invalid('has an RSA public exponent longer than 64 bits');
      return { kty: 'RSA', n: b64(n), e: b64(e) };
    }
  }
}

const UNCOMPRESSED_POINT = Buffer.from([0x04]);
const ED25519_KEY_BYTES = 32;

function pem(spki: Buffer): string {
  return `-----BEGIN PUBLIC KEY-----\n${spki.toString('base64')}\n-----END PUBLIC KEY-----\n`;
}

const spkiHeaders = new Map<KeyShape, Buffer>();

/**
 * The DER of a SubjectPublicKeyInfo for `shape` up to the key bytes: the same for every key of a curve (the algorithm
 * and curve identifiers, and lengths fixed by the curve). Taken once from OpenSSL's own encoding of a key it generated,
 * so that no ASN.1 is written by hand.
 */
function spkiHeader(shape: Extract<KeyShape, { kty: cose.COSEKTY.EC2 | cose.COSEKTY.OKP }>): Buffer {
  let header = spkiHeaders.get(shape);
  if (header === undefined) {
    const { publicKey } = shape.kty === cose.COSEKTY.EC2 ? generateKeyPairSync('ec', { namedCurve: shape.jwkCrv }) : generateKeyPairSync('ed25519');
    const der = publicKey.export({ format: 'der', type: 'spki' });
    const keyBytes = shape.kty === cose.COSEKTY.EC2 ? 1 + 2 * shape.coordinateBytes : ED25519_KEY_BYTES;
    header = Buffer.from(der.subarray(0, der.length - keyBytes));
    if (shape.kty === cose.COSEKTY.EC2 && der[header.length] !== UNCOMPRESSED_POINT[0])
      throw new Error(`OpenSSL did not encode a ${shape.jwkCrv} key uncompressed`);
    spkiHeaders.set(shape, header);
  }
  return header;
}

/**
 * Checks the COSE_Key from attested credential data against its `alg` and imports it. Throws
 * CREDENTIAL_PUBLIC_KEY_INVALID, naming what is wrong, for a key that does not fit its algorithm.
 */
export function importCredentialPublicKey(coseKey: Uint8Array): CredentialPublicKey {
  let key: Map<number, unknown>;
  try {
    key = decodeCredentialPublicKey(new Uint8Array(coseKey)) as unknown as Map<number, unknown>;
  } catch {
    throw invalid('is not CBOR');
  }
  if (!(key instanceof Map)) throw invalid('is not a COSE_Key map');
  const algorithm = key.get(cose.COSEKEYS.alg);
  if (typeof algorithm !== 'number' || !Number.isInteger(algorithm)) throw invalid('has no integer alg');
  const shape = KEY_FOR_ALGORITHM.get(algorithm);
  if (!shape) throw invalid(`has COSE algorithm ${algorithm}, which Keyway cannot verify`);
  const kty = key.get(cose.COSEKEYS.kty);
  if (kty !== shape.kty) throw invalid(`is labelled alg ${algorithm}, which needs kty ${KTY_NAME[shape.kty]}; the key has kty ${JSON.stringify(kty ?? null)}`);
  if ('crv' in shape && key.get(cose.COSEKEYS.crv) !== shape.crv) {
    throw invalid(`is labelled alg ${algorithm}, which needs crv ${shape.crv}; the key has crv ${JSON.stringify(key.get(cose.COSEKEYS.crv) ?? null)}`);
  }

  const input = toKeyInput(key, shape);
  let imported: KeyObject;
  try {
    imported = typeof input === 'string' ? createPublicKey(input) : createPublicKey({ key: input, format: 'jwk' });
  } catch {
    throw invalid(
      `cannot be imported as a ${shape.kty === cose.COSEKTY.RSA ? 'RSA' : 'jwkCrv' in shape ? shape.jwkCrv : 'Ed25519'} key (for an elliptic curve: the point is not on the curve)`,
    );
  }
  if (shape.kty === cose.COSEKTY.RSA) {
    const { modulusLength, publicExponent } = imported.asymmetricKeyDetails ?? {};
    if (modulusLength === undefined || modulusLength < MIN_RSA_BITS || modulusLength > MAX_RSA_BITS) {
      throw invalid(`is a ${modulusLength ?? 0}-bit RSA key; ${MIN_RSA_BITS} to ${MAX_RSA_BITS} bits are accepted`);
    }
    if (publicExponent === undefined || publicExponent < 3n || publicExponent % 2n === 0n) {
      throw invalid(`has RSA public exponent ${publicExponent ?? 0n}; it must be odd and at least 3 (typically 65537)`);
    }
  }
  return { algorithm, key: imported };
}
