import { hash } from 'node:crypto';
import { LruCache } from '../shared/lru-cache.ts';
import { importCredentialPublicKey, type CredentialPublicKey } from './credential-public-key.ts';

/**
 * Default bound. An imported key holds 2.5–4 KB of OpenSSL memory (P-256 to RSA), so 10,000 were 25–40 MB at a
 * million users; and a cache only helps a credential that signs in again while it is still held: at a node's peak
 * (some 400 sign-ins/s) 2,000 keys are the last 5 s or more of sign-ins, and the benchmark's 1,000 users all fit.
 * Beyond a working set that fits, no size helps (1 M users signing in at random hit 1 % of 10,000). A miss costs one
 * import (about a third of a P-256 verification), never a wrong answer.
 */
export const DEFAULT_MAX_CACHED_CREDENTIAL_KEYS = 2000;

/** Which credential a key is for: its tenant and its (canonical base64url) credential ID. */
export interface CredentialKeyOwner {
  tenantId: string;
  credentialId: string;
}

/**
 * Imported credential public keys, so that a sign-in verifies on a ready KeyObject instead of
 * decoding and importing the COSE key each time. The cache key is the tenant, the credential ID
 * and SHA-256 of the stored COSE_Key bytes: a key the record no longer holds (the credential was
 * deleted and a new one registered under the same ID, or the row changed) is never found, because
 * the record's current bytes are hashed on every lookup. Bounded; least recently used goes first.
 * Each node has its own; the database stays the source of truth.
 */
export class CredentialKeyCache {
  readonly #keys: LruCache<string, CredentialPublicKey>;

  constructor(maxEntries: number = DEFAULT_MAX_CACHED_CREDENTIAL_KEYS) {
    this.#keys = new LruCache(maxEntries);
  }

  get size(): number {
    return this.#keys.size;
  }

  /**
   * The imported key for the credential's current COSE_Key bytes. Throws CREDENTIAL_PUBLIC_KEY_INVALID
   * (and caches nothing) when the bytes are not a key Keyway can verify with.
   */
  publicKey(owner: CredentialKeyOwner, coseKey: Uint8Array): CredentialPublicKey {
    const fingerprint = hash('sha256', coseKey, 'base64url');
    // The separator cannot occur in a tenant ID or in base64url.
    const cacheKey = `${owner.tenantId}\n${owner.credentialId}\n${fingerprint}`;
    const cached = this.#keys.get(cacheKey);
    if (cached) return cached;
    const imported = importCredentialPublicKey(coseKey);
    this.#keys.set(cacheKey, imported);
    return imported;
  }
}
