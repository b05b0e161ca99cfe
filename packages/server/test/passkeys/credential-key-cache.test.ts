// The cache of imported credential public keys the sign-in fast path verifies with: a key is imported once per
// tenant, credential ID and key bytes; different bytes under the same credential ID are a different entry (a changed
// key is never answered from the cache); the cache is bounded, least recently used first; a key that cannot be
// imported is refused and not cached.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, test } from 'node:test';
import { KeywayError } from '../../src/errors/keyway-error.ts';
import { assertionSignatureVerifies } from '../../src/passkeys/assertion-signature.ts';
import { CredentialKeyCache } from '../../src/passkeys/credential-key-cache.ts';
import { encodeCoseKey, encodeCosePublicKey, generateKeys, signWith } from '../support/soft-authenticator.ts';

function credentialKey() {
  const pair = generateKeys(-7);
  return { ...pair, cose: encodeCosePublicKey(pair.publicKey, -7) };
}

describe('CredentialKeyCache', () => {
  test('imports a credential’s key once and answers the same KeyObject after', () => {
    const cache = new CredentialKeyCache(8);
    const { cose } = credentialKey();
    const first = cache.publicKey({ tenantId: 'acme', credentialId: 'c1' }, cose);
    assert.equal(cache.publicKey({ tenantId: 'acme', credentialId: 'c1' }, new Uint8Array(cose)), first);
    assert.equal(first.algorithm, -7);
    assert.equal(cache.size, 1);
  });

  test('a changed key under the same credential ID is never answered from the cache', () => {
    const cache = new CredentialKeyCache(8);
    const owner = { tenantId: 'acme', credentialId: 'c1' };
    const old = credentialKey();
    const replacement = credentialKey();
    const data = createHash('sha256').update('signed').digest();
    cache.publicKey(owner, old.cose);
    const current = cache.publicKey(owner, replacement.cose);
    assert.equal(assertionSignatureVerifies(current, data, signWith(-7, replacement.privateKey, data)), true);
    assert.equal(
      assertionSignatureVerifies(current, data, signWith(-7, old.privateKey, data)),
      false,
      'the old key’s signature does not verify with the new key',
    );
  });

  test('tenants do not share entries', () => {
    const cache = new CredentialKeyCache(8);
    const { cose } = credentialKey();
    const acme = cache.publicKey({ tenantId: 'acme', credentialId: 'c1' }, cose);
    const globex = cache.publicKey({ tenantId: 'globex', credentialId: 'c1' }, cose);
    assert.notEqual(acme, globex);
    assert.equal(cache.size, 2);
  });

  test('is bounded: the least recently used key goes first', () => {
    const cache = new CredentialKeyCache(2);
    const [a, b, c] = [credentialKey(), credentialKey(), credentialKey()];
    const keyA = cache.publicKey({ tenantId: 't', credentialId: 'a' }, a.cose);
    const keyB = cache.publicKey({ tenantId: 't', credentialId: 'b' }, b.cose);
    assert.equal(cache.publicKey({ tenantId: 't', credentialId: 'a' }, a.cose), keyA); // a is now the most recent
    cache.publicKey({ tenantId: 't', credentialId: 'c' }, c.cose); // evicts b
    assert.equal(cache.size, 2);
    assert.equal(cache.publicKey({ tenantId: 't', credentialId: 'a' }, a.cose), keyA);
    assert.notEqual(cache.publicKey({ tenantId: 't', credentialId: 'b' }, b.cose), keyB, 'b was imported again');
  });

  test('a key that does not fit its algorithm is refused and not cached', () => {
    const cache = new CredentialKeyCache(8);
    const { publicKey } = credentialKey();
    const jwk = publicKey.export({ format: 'jwk' });
    // An ES256 label on a key of the wrong curve (crv 2, P-384).
    const wrongCurve = encodeCoseKey([
      [1, 2],
      [3, -7],
      [-1, 2],
      [-2, new Uint8Array(Buffer.from(jwk.x!, 'base64url'))],
      [-3, new Uint8Array(Buffer.from(jwk.y!, 'base64url'))],
    ]);
    assert.throws(
      () => cache.publicKey({ tenantId: 't', credentialId: 'x' }, wrongCurve),
      (error: unknown) => error instanceof KeywayError && error.code === 'CREDENTIAL_PUBLIC_KEY_INVALID',
    );
    assert.equal(cache.size, 0);
  });
});
