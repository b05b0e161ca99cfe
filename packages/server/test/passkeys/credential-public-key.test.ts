// The credential public key rule (RFC 9053 §2, RFC 8230 §4/§6, WebAuthn §6.5.1.1) on its own: every algorithm Keyway
// verifies accepts a genuine key of its type and curve, imports it with node:crypto, and refuses the neighbours.
import assert from 'node:assert/strict';
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { describe, test } from 'node:test';
import { KeywayError } from '../../src/errors/keyway-error.ts';
import { MAX_RSA_BITS, importCredentialPublicKey } from '../../src/passkeys/credential-public-key.ts';
import { encodeCoseKey } from '../support/soft-authenticator.ts';

const bytes = (value: string | undefined) => new Uint8Array(Buffer.from(value!, 'base64url'));

function ec(
  curve: 'P-256' | 'P-384' | 'P-521',
  crv: number,
  alg: number,
  jwk = generateKeyPairSync('ec', { namedCurve: curve }).publicKey.export({ format: 'jwk' }),
) {
  return encodeCoseKey([
    [1, 2],
    [3, alg],
    [-1, crv],
    [-2, bytes(jwk.x)],
    [-3, bytes(jwk.y)],
  ]);
}
function rsa(alg: number, key: KeyObject = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey) {
  const jwk = key.export({ format: 'jwk' });
  return encodeCoseKey([
    [1, 3],
    [3, alg],
    [-1, bytes(jwk.n)],
    [-2, bytes(jwk.e)],
  ]);
}
const ed25519 = (alg = -8, jwk = generateKeyPairSync('ed25519').publicKey.export({ format: 'jwk' })) =>
  encodeCoseKey([
    [1, 1],
    [3, alg],
    [-1, 6],
    [-2, bytes(jwk.x)],
  ]);

function refused(cose: Uint8Array, detail: RegExp) {
  assert.throws(
    () => importCredentialPublicKey(cose),
    (error: unknown) => error instanceof KeywayError && error.code === 'CREDENTIAL_PUBLIC_KEY_INVALID' && detail.test(error.detail),
  );
}

describe('credential public keys against their COSE algorithm', () => {
  test('each algorithm accepts its own key type and curve, imported as that key', () => {
    const rsaKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey;
    const cases: [Uint8Array, number, string, string | undefined][] = [
      [ec('P-256', 1, -7), -7, 'ec', 'prime256v1'],
      [ec('P-384', 2, -35), -35, 'ec', 'secp384r1'],
      [ec('P-521', 3, -36), -36, 'ec', 'secp521r1'],
      [ed25519(), -8, 'ed25519', undefined],
      ...[-257, -258, -259, -37, -38, -39, -65535].map((alg): [Uint8Array, number, string, string | undefined] => [rsa(alg, rsaKey), alg, 'rsa', undefined]),
    ];
    for (const [cose, alg, type, curve] of cases) {
      const imported = importCredentialPublicKey(cose);
      assert.equal(imported.algorithm, alg);
      assert.equal(imported.key.asymmetricKeyType, type, String(alg));
      assert.equal(imported.key.asymmetricKeyDetails?.namedCurve, curve, String(alg));
    }
  });

  test("the imported key is the authenticator's own, and a point off its curve is refused, on every curve", () => {
    // EC and Ed25519 keys are imported from a SubjectPublicKeyInfo built from the COSE_Key (credential-public-key.ts).
    for (const [curve, crv, alg] of [
      ['P-256', 1, -7],
      ['P-384', 2, -35],
      ['P-521', 3, -36],
    ] as const) {
      const original = generateKeyPairSync('ec', { namedCurve: curve }).publicKey.export({ format: 'jwk' });
      const imported = importCredentialPublicKey(ec(curve, crv, alg, original)).key.export({ format: 'jwk' });
      assert.deepEqual([imported.crv, imported.x, imported.y], [curve, original.x, original.y], curve);
      const offCurve = bytes(original.y);
      offCurve.set([offCurve.at(-1)! ^ 1], offCurve.length - 1);
      refused(ec(curve, crv, alg, { ...original, y: Buffer.from(offCurve).toString('base64url') }), new RegExp(`cannot be imported as a ${curve} key`));
    }
    const original = generateKeyPairSync('ed25519').publicKey.export({ format: 'jwk' });
    const imported = importCredentialPublicKey(ed25519(-8, original)).key.export({ format: 'jwk' });
    assert.deepEqual([imported.crv, imported.x], ['Ed25519', original.x]);
  });

  test('a key of another curve or type than its alg names is refused, naming what it needs', () => {
    refused(ec('P-384', 2, -7), /needs crv 1/);
    refused(ec('P-256', 1, -35), /needs crv 2/);
    refused(ec('P-521', 1, -7), /coordinates/);
    refused(ed25519(-7), /needs kty EC2/);
    refused(ec('P-256', 1, -8), /needs kty OKP/);
    refused(ec('P-256', 1, -257), /needs kty RSA/);
    refused(rsa(-7), /needs kty EC2/);
    refused(
      encodeCoseKey([
        [1, 2],
        [3, -47],
        [-1, 8],
      ]),
      /cannot verify/,
    );
  });

  test(`RSA keys: 2048 to ${MAX_RSA_BITS} bits, the bound checked before any import; e odd and at least 3`, () => {
    const n = (bits: number) => new Uint8Array(bits / 8).fill(0xff);
    refused(
      encodeCoseKey([
        [1, 3],
        [3, -257],
        [-1, n(MAX_RSA_BITS + 8)],
        [-2, new Uint8Array([1, 0, 1])],
      ]),
      /at most 8192 bits/,
    );
    refused(rsa(-257, generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey), /1024-bit RSA key/);
    const modulus = bytes(generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ format: 'jwk' }).n);
    for (const e of [[1], [2], [1, 0, 0], [0, 0, 1]])
      refused(
        encodeCoseKey([
          [1, 3],
          [3, -257],
          [-1, modulus],
          [-2, new Uint8Array(e)],
        ]),
        /odd and at least 3/,
      );
    assert.equal(
      importCredentialPublicKey(
        encodeCoseKey([
          [1, 3],
          [3, -257],
          [-1, modulus],
          [-2, new Uint8Array([3])],
        ]),
      ).algorithm,
      -257,
    );
  });

  test('not CBOR, not a map, no alg: refused', () => {
    refused(new Uint8Array([0xff]), /not CBOR/);
    refused(new Uint8Array([0x01]), /not a COSE_Key map/);
    refused(encodeCoseKey([[1, 2]]), /no integer alg/);
  });
});
