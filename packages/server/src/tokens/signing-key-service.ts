import { createPrivateKey, sign, type JsonWebKey, type KeyObject } from 'node:crypto';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK } from 'jose';
import type { Kysely } from 'kysely';
import { appendAuditEvent, type Actor } from '../audit/audit-log.ts';
import { KeywayError } from '../errors/keyway-error.ts';
import { openSecret, sealSecret } from '../secrets/envelope.ts';
import type { MasterKey } from '../secrets/master-key.ts';
import { SIGNING_KEY_COLUMN, sealedAad } from '../secrets/sealed-columns.ts';
import type { Clock } from '../shared/clock.ts';
import { LruCache } from '../shared/lru-cache.ts';
import type { Schema } from '../storage/schema.ts';
import { uniqueViolation } from '../storage/unique-violation.ts';
import { TENANT_ID_PATTERN } from '../tenancy/permissions.ts';
import { randomBytes } from '../shared/random-bytes.ts';

/**
 * Per-tenant ES256 signing keys and the ID tokens Keyway issues after a passkey sign-in
 * (OpenID Connect Core). The issuer of tenant `acme` is `${publicUrl}/acme`; its keys are published at
 * `${issuer}/.well-known/jwks.json`.
 *
 * Storage: one row per key in `signing_keys`. The private JWK is sealed under the master key
 * (secrets/envelope.ts: its own data key, the row's tenant and kid as authenticated data), so a
 * copy of the database alone cannot mint ID tokens; the public JWK is stored in clear.
 *
 * Lifecycle: a tenant's first key is created lazily on first use. Migration 003 adds a unique
 * partial index on (tenant_id) WHERE retired_at IS NULL, so at most one key per tenant is active
 * even when several nodes race to create it: the loser's INSERT fails with a unique violation and
 * it re-reads the winner's key. `rotate` retires the active key and inserts a new one in one
 * transaction. Retired keys stay in the JWKS for `retiredKeyGraceMs` (default 24 h, far longer than
 * any ID token lives) so tokens signed just before a rotation still verify.
 *
 * Signing: ES256 with node:crypto on the imported private `KeyObject`, synchronously (jose's
 * SignJWT signs through WebCrypto, a thread-pool round trip per token). The JWS is RFC 7515's
 * compact serialisation; the tests verify every token with jose against the published JWKS. The
 * claims are returned with the token (`signIdToken`), so nothing has to decode a token Keyway
 * just signed to learn what it says.
 *
 * In-process caches (each node has its own; the database stays the source of truth):
 * - Unsealed, imported private `KeyObject`s by tenant and kid (a kid's key material never
 *   changes), bounded to `maxCachedKeys` entries (least recently used evicted). No token issuance
 *   unseals or imports a key after the first. A key leaves the cache when it is retired: at once
 *   by a rotation on this node, when this node next reads the tenant's active key otherwise.
 * - The active kid of each tenant, for `activeKeyCacheMs` (default 30 s) measured with the injected
 *   clock. A rotation on this node updates the cache at once; a rotation on another node is picked
 *   up here within `activeKeyCacheMs`. Until then this node keeps signing with the just-retired
 *   key, which is harmless because retired keys stay published for 24 h. The alternative, one
 *   indexed query per token, costs a database round trip on every sign-in for no gain.
 * - The JWKS itself is not cached in process (one indexed query per request); HTTP caching
 *   (`Cache-Control: public, max-age=300`) is what absorbs load from relying parties.
 */

export const ID_TOKEN_ALGORITHM = 'ES256';

export interface SigningKeyServiceDeps {
  db: Kysely<Schema>;
  clock: Clock;
  /** Seals and opens the private keys */
  masterKey: MasterKey;
  /** config.publicUrl: the origin Keyway is reached at, without a trailing slash */
  issuerBaseUrl: string;
  /** Default ID token lifetime; 300 s */
  idTokenTtlSeconds?: number;
  /** How long a retired key stays in the JWKS; 24 h */
  retiredKeyGraceMs?: number;
  /** How long a node trusts its cached idea of a tenant's active key; 30 s */
  activeKeyCacheMs?: number;
  /** Bound on imported keys kept in memory; 10 000 */
  maxCachedKeys?: number;
}

/** What the caller (the ceremony code) knows about the sign-in; Keyway adds iss, iat, exp, jti. */
export interface IdTokenClaims {
  /** The Keyway user id */
  sub: string;
  /** Who the token is for, e.g. the RP ID or the API client id */
  aud: string | string[];
  /** When the user authenticated; defaults to now */
  authTime?: Date;
  /** RFC 8176 values, usually from `amrFor` */
  amr: string[];
  acr?: string;
  /** OpenID Connect nonce, echoed when the relying party sent one */
  nonce?: string;
  /** The identity store name */
  store?: string;
  /** The user's externalId in the store */
  externalId?: string;
  /** base64url credential ID of the passkey used */
  credentialId?: string;
  /** Whether the passkey's attestation chained to a trusted root at registration */
  attested?: boolean;
  /** Whether the passkey is device-bound (not backup eligible) */
  deviceBound?: boolean;
  /** Key ids (RFC 7638 thumbprints) of the user's bound devices that are not revoked: the `device_keys` claim */
  deviceKeys?: string[];
  /** The organization the user signed in to (organizations/), and their roles there */
  orgId?: string;
  orgRoles?: string[];
  /** Overrides the default lifetime for this token */
  ttlSeconds?: number;
}

/** The payload of an ID token exactly as signed (registered claims RFC 7519 §4.1, OpenID Connect Core §2). */
export interface IdTokenPayload {
  iss: string;
  sub: string;
  aud: string | string[];
  iat: number;
  exp: number;
  jti: string;
  auth_time: number;
  amr: string[];
  acr?: string;
  nonce?: string;
  store?: string;
  external_id?: string;
  cred_id?: string;
  keyway_attested?: boolean;
  keyway_device_bound?: boolean;
  /** RFC 7638 thumbprints of the user's bound device keys (not revoked), when the user has any */
  device_keys?: string[];
  org_id?: string;
  org_roles?: string[];
}

/** An ID token and the claims it carries. */
export interface SignedIdToken {
  idToken: string;
  claims: IdTokenPayload;
}

/** A public key as published in the JWKS. */
export interface PublicSigningJwk {
  kty: 'EC';
  crv: 'P-256';
  x: string;
  y: string;
  kid: string;
  alg: 'ES256';
  use: 'sig';
}

export interface SigningKeyInfo {
  kid: string;
  algorithm: string;
  status: 'active' | 'retired';
  createdAt: string;
  retiredAt: string | null;
}

export interface OpenIdConfiguration {
  issuer: string;
  jwks_uri: string;
  id_token_signing_alg_values_supported: string[];
  subject_types_supported: string[];
  claims_supported: string[];
}

/**
 * RFC 8176 `amr` values for a passkey sign-in, from facts Keyway has verified. Rules:
 * - `user`: always. Keyway rejects assertions without user presence (UP=1), which is RFC 8176's
 *   "user presence test".
 * - `mfa`: when the authenticator verified the user (UV=1). UV means a local PIN/passcode or
 *   biometric gated the key, i.e. a knowledge or inherence factor on top of possession. WebAuthn
 *   does not say which, so Keyway never claims `pin`, `fpt` or `face`.
 * - Possession of the key, by how well its storage is known:
 *   - `hwk` (hardware-secured key) only for a device-bound key (BE=0) whose attestation chained to
 *     a trusted root: only attestation proves the key lives in certified hardware; BE=0 alone is the
 *     authenticator's own claim, which a software authenticator can make too.
 *   - `swk` (software-secured key) for a synced passkey (BE=1): its private key leaves the device to
 *     be synchronised, so it is by definition not confined to one piece of hardware.
 *   - `pop` (proof of possession, storage unspecified) for a device-bound key without a verified
 *     attestation.
 * Attestation itself has no RFC 8176 value; the ID token carries it as `keyway_attested`, and the
 * device-bound fact as `keyway_device_bound`, so relying parties can apply stricter rules.
 */
export function amrFor(facts: { userVerified: boolean; backupEligible: boolean; attestationVerified: boolean }): string[] {
  const possession = facts.backupEligible ? 'swk' : facts.attestationVerified ? 'hwk' : 'pop';
  return facts.userVerified ? [possession, 'user', 'mfa'] : [possession, 'user'];
}

interface ActiveKey {
  kid: string;
  key: JwsSigningKey;
}

const tenantPattern = new RegExp(TENANT_ID_PATTERN);

function toPublicJwk(stored: string): PublicSigningJwk {
  const jwk = JSON.parse(stored) as JWK;
  return { kty: 'EC', crv: 'P-256', x: jwk.x!, y: jwk.y!, kid: jwk.kid!, alg: 'ES256', use: 'sig' };
}

export class SigningKeyService {
  readonly #db: Kysely<Schema>;
  readonly #clock: Clock;
  readonly #masterKey: MasterKey;
  readonly #issuerBaseUrl: string;
  readonly #ttlSeconds: number;
  readonly #graceMs: number;
  readonly #activeCacheMs: number;
  /** tenant and kid → unsealed, imported private key */
  readonly #keys: LruCache<string, JwsSigningKey>;
  /** tenant → its active key as of `until` (clock ms) */
  readonly #active = new Map<string, { until: number; value: Promise<ActiveKey> }>();

  constructor(deps: SigningKeyServiceDeps) {
    this.#db = deps.db;
    this.#clock = deps.clock;
    this.#masterKey = deps.masterKey;
    this.#issuerBaseUrl = deps.issuerBaseUrl.replace(/\/+$/, '');
    this.#ttlSeconds = deps.idTokenTtlSeconds ?? 300;
    this.#graceMs = deps.retiredKeyGraceMs ?? 24 * 60 * 60 * 1000;
    this.#activeCacheMs = deps.activeKeyCacheMs ?? 30_000;
    this.#keys = new LruCache(deps.maxCachedKeys ?? 10_000);
  }

  issuer(tenantId: string): string {
    return `${this.#issuerBaseUrl}/${tenantId}`;
  }

  /** A signed ES256 ID token for a user of the tenant, its kid in the header. */
  async issueIdToken(tenantId: string, claims: IdTokenClaims): Promise<string> {
    return (await this.signIdToken(tenantId, claims)).idToken;
  }

  /** A signed ES256 ID token and the claims it carries (for callers that use them: never decode a token just signed). */
  async signIdToken(tenantId: string, claims: IdTokenClaims): Promise<SignedIdToken> {
    const active = await this.#activeKey(tenantId);
    // Every time comes from the injected clock.
    const now = this.#clock.now();
    const iat = Math.floor(now.getTime() / 1000);
    const payload: IdTokenPayload = {
      iss: this.issuer(tenantId),
      sub: claims.sub,
      aud: claims.aud,
      iat,
      exp: iat + (claims.ttlSeconds ?? this.#ttlSeconds),
      jti: randomBytes(16).toString('base64url'),
      auth_time: Math.floor((claims.authTime ?? now).getTime() / 1000),
      amr: claims.amr,
    };
    if (claims.acr !== undefined) payload.acr = claims.acr;
    if (claims.nonce !== undefined) payload.nonce = claims.nonce;
    if (claims.store !== undefined) payload.store = claims.store;
    if (claims.externalId !== undefined) payload.external_id = claims.externalId;
    if (claims.credentialId !== undefined) payload.cred_id = claims.credentialId;
    if (claims.attested !== undefined) payload.keyway_attested = claims.attested;
    if (claims.deviceBound !== undefined) payload.keyway_device_bound = claims.deviceBound;
    if (claims.deviceKeys !== undefined) payload.device_keys = claims.deviceKeys;
    if (claims.orgId !== undefined) payload.org_id = claims.orgId;
    if (claims.orgRoles !== undefined) payload.org_roles = claims.orgRoles;
    // RFC 7515 §7.1 compact serialisation: BASE64URL(header) . BASE64URL(payload) . BASE64URL(signature),
    // the signature over the first two parts; RFC 7518 §3.4: ES256 is ECDSA P-256 SHA-256 with r ‖ s
    // as two 32-byte big-endian integers (ieee-p1363, which the key carries: importSigningKey), not DER.
    const signingInput = `${base64urlJson({ alg: ID_TOKEN_ALGORITHM, kid: active.kid, typ: 'JWT' })}.${base64urlJson(payload)}`;
    const signature = sign('sha256', Buffer.from(signingInput, 'utf8'), active.key);
    return { idToken: `${signingInput}.${signature.toString('base64url')}`, claims: payload };
  }

  /**
   * The tenant's public keys: the active one and those retired less than the grace period ago,
   * active first, then the most recently retired. Creates the first key if the tenant has none yet, so the JWKS is never empty.
   */
  async getJwks(tenantId: string): Promise<{ keys: PublicSigningJwk[] }> {
    await this.#activeKey(tenantId);
    const since = this.#clock.now().getTime() - this.#graceMs;
    const rows = await this.#db
      .selectFrom('signing_keys')
      .select(['public_jwk', 'retired_at', 'kid'])
      .where('tenant_id', '=', tenantId)
      .where((eb) => eb.or([eb('retired_at', 'is', null), eb('retired_at', '>', since)]))
      .execute();
    rows.sort((a, b) => (b.retired_at ?? Infinity) - (a.retired_at ?? Infinity) || a.kid.localeCompare(b.kid));
    return { keys: rows.map((row) => toPublicJwk(row.public_jwk)) };
  }

  /** OpenID Provider metadata (minimal): enough for a relying party to find and verify ID tokens. */
  async openIdConfiguration(tenantId: string): Promise<OpenIdConfiguration> {
    await this.#assertTenant(this.#db, tenantId);
    const issuer = this.issuer(tenantId);
    return {
      issuer,
      jwks_uri: `${issuer}/.well-known/jwks.json`,
      id_token_signing_alg_values_supported: [ID_TOKEN_ALGORITHM],
      subject_types_supported: ['public'],
      claims_supported: [
        'iss',
        'sub',
        'aud',
        'exp',
        'iat',
        'jti',
        'auth_time',
        'amr',
        'acr',
        'nonce',
        'store',
        'external_id',
        'cred_id',
        'keyway_attested',
        'keyway_device_bound',
        'device_keys',
      ],
    };
  }

  /**
   * The tenant's private signing keys as JWKs (active first, then those still published), for the OpenID Provider,
   * which signs with the first and verifies its own tokens (an `id_token_hint`) with any. The same keys as the JWKS.
   */
  async privateJwks(tenantId: string): Promise<JWK[]> {
    const active = await this.#activeKey(tenantId);
    const since = this.#clock.now().getTime() - this.#graceMs;
    const rows = await this.#db
      .selectFrom('signing_keys')
      .select(['kid', 'private_jwk', 'retired_at'])
      .where('tenant_id', '=', tenantId)
      .where((eb) => eb.or([eb('retired_at', 'is', null), eb('retired_at', '>', since)]))
      .execute();
    rows.sort((a, b) => Number(b.kid === active.kid) - Number(a.kid === active.kid) || (b.retired_at ?? Infinity) - (a.retired_at ?? Infinity));
    return rows.map((row) => {
      const jwk = JSON.parse(openSecret(this.#masterKey, row.private_jwk, sealedAad(SIGNING_KEY_COLUMN, { tenant_id: tenantId, kid: row.kid }))) as JWK;
      return { kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y, d: jwk.d, kid: row.kid, alg: ID_TOKEN_ALGORITHM, use: 'sig' } as JWK;
    });
  }

  /** Retires the active key and makes a new one active at once; returns the new kid. */
  async rotate(tenantId: string, actor: Actor = { tenantId, actor: 'system' }): Promise<string> {
    const fresh = await this.#newKey();
    let retiredKid: string | undefined;
    for (let attempt = 1; ; attempt++) {
      const now = this.#clock.now();
      try {
        await this.#db.transaction().execute(async (trx) => {
          await this.#assertTenant(trx, tenantId);
          const previous = await trx
            .selectFrom('signing_keys')
            .select('kid')
            .where('tenant_id', '=', tenantId)
            .where('retired_at', 'is', null)
            .executeTakeFirst();
          await trx.updateTable('signing_keys').set({ retired_at: now.getTime() }).where('tenant_id', '=', tenantId).where('retired_at', 'is', null).execute();
          await this.#insertKey(trx, tenantId, fresh, now);
          await appendAuditEvent(
            trx,
            actor,
            { action: 'signingKey.rotate', targetType: 'signingKey', targetId: fresh.kid, details: { retiredKid: previous?.kid ?? null } },
            now,
          );
          retiredKid = previous?.kid;
        });
        break;
      } catch (error) {
        // A concurrent rotation (or first creation) on another node inserted its key between our
        // UPDATE and INSERT: retire that one too, so each rotation call still rotates.
        if (uniqueViolation(error) === undefined || attempt >= 5) throw error;
      }
    }
    // The retired key signs nothing more: it leaves the cache now.
    if (retiredKid !== undefined) this.#keys.delete(cacheKey(tenantId, retiredKid));
    this.#keys.set(cacheKey(tenantId, fresh.kid), fresh.key);
    this.#active.set(tenantId, { until: this.#clock.now().getTime() + this.#activeCacheMs, value: Promise.resolve({ kid: fresh.kid, key: fresh.key }) });
    return fresh.kid;
  }

  /** Every key of the tenant, active first, then the most recently retired (for administrators; public parts only). */
  async listKeys(tenantId: string): Promise<SigningKeyInfo[]> {
    await this.#activeKey(tenantId);
    const rows = await this.#db.selectFrom('signing_keys').select(['kid', 'algorithm', 'created_at', 'retired_at']).where('tenant_id', '=', tenantId).execute();
    // The active key first, then the most recently retired (creation times can tie within a millisecond).
    rows.sort((a, b) => (b.retired_at ?? Infinity) - (a.retired_at ?? Infinity) || b.created_at - a.created_at || a.kid.localeCompare(b.kid));
    return rows.map((row) => ({
      kid: row.kid,
      algorithm: row.algorithm,
      status: row.retired_at === null ? 'active' : 'retired',
      createdAt: new Date(row.created_at).toISOString(),
      retiredAt: row.retired_at === null ? null : new Date(row.retired_at).toISOString(),
    }));
  }

  async #assertTenant(db: Kysely<Schema>, tenantId: string): Promise<void> {
    const found = tenantPattern.test(tenantId) && (await db.selectFrom('tenants').select('id').where('id', '=', tenantId).executeTakeFirst());
    if (!found) throw new KeywayError('TENANT_NOT_FOUND', `No tenant ${tenantId}`);
  }

  #activeKey(tenantId: string): Promise<ActiveKey> {
    const nowMs = this.#clock.now().getTime();
    const cached = this.#active.get(tenantId);
    if (cached && cached.until > nowMs) return cached.value;
    const value = this.#loadActiveKey(tenantId, cached?.value);
    this.#active.set(tenantId, { until: nowMs + this.#activeCacheMs, value });
    // Failures (unknown tenant, database down) are not cached.
    value.catch(() => {
      if (this.#active.get(tenantId)?.value === value) this.#active.delete(tenantId);
    });
    return value;
  }

  /** The tenant's active key from the database; `previous` is what this node used until now (dropped from the cache if another node retired it). */
  async #loadActiveKey(tenantId: string, previous: Promise<ActiveKey> | undefined): Promise<ActiveKey> {
    const previousKid = await previous?.then(
      (key) => key.kid,
      () => undefined,
    );
    for (let attempt = 1; ; attempt++) {
      const row = await this.#db
        .selectFrom('signing_keys')
        .select(['kid', 'private_jwk'])
        .where('tenant_id', '=', tenantId)
        .where('retired_at', 'is', null)
        .executeTakeFirst();
      if (row) {
        if (previousKid !== undefined && previousKid !== row.kid) this.#keys.delete(cacheKey(tenantId, previousKid));
        return { kid: row.kid, key: this.#importPrivate(tenantId, row.kid, row.private_jwk) };
      }
      // Unknown tenants are turned away before any key is generated (the JWKS route is public).
      await this.#assertTenant(this.#db, tenantId);
      const fresh = await this.#newKey();
      try {
        await this.#db.transaction().execute(async (trx) => {
          const now = this.#clock.now();
          await this.#insertKey(trx, tenantId, fresh, now);
          await appendAuditEvent(trx, { tenantId, actor: 'system' }, { action: 'signingKey.create', targetType: 'signingKey', targetId: fresh.kid }, now);
        });
        this.#keys.set(cacheKey(tenantId, fresh.kid), fresh.key);
        return { kid: fresh.kid, key: fresh.key };
      } catch (error) {
        // Another node created the tenant's first key at the same moment: use that one.
        if (uniqueViolation(error) === undefined || attempt >= 5) throw error;
      }
    }
  }

  async #newKey(): Promise<{ kid: string; key: JwsSigningKey; privateJwk: JWK; publicJwk: JWK }> {
    const pair = await generateKeyPair(ID_TOKEN_ALGORITHM, { extractable: true });
    const privateJwk = await exportJWK(pair.privateKey);
    const publicJwk = await exportJWK(pair.publicKey);
    // RFC 7638 thumbprint: unique per key and stable, so the kid can be recomputed from the key.
    const kid = await calculateJwkThumbprint(publicJwk, 'sha256');
    privateJwk.kid = kid;
    publicJwk.kid = kid;
    return { kid, key: importSigningKey(privateJwk), privateJwk, publicJwk };
  }

  async #insertKey(trx: Kysely<Schema>, tenantId: string, fresh: { kid: string; privateJwk: JWK; publicJwk: JWK }, now: Date): Promise<void> {
    await trx
      .insertInto('signing_keys')
      .values({
        kid: fresh.kid,
        tenant_id: tenantId,
        algorithm: ID_TOKEN_ALGORITHM,
        private_jwk: sealSecret(this.#masterKey, JSON.stringify(fresh.privateJwk), sealedAad(SIGNING_KEY_COLUMN, { tenant_id: tenantId, kid: fresh.kid })),
        public_jwk: JSON.stringify({ ...fresh.publicJwk, alg: ID_TOKEN_ALGORITHM, use: 'sig' }),
        created_at: now.getTime(),
        retired_at: null,
      })
      .execute();
  }

  /** The tenant's private key `kid`, unsealed and imported on first use only. */
  #importPrivate(tenantId: string, kid: string, sealed: string): JwsSigningKey {
    const cached = this.#keys.get(cacheKey(tenantId, kid));
    if (cached) return cached;
    const jwk = JSON.parse(openSecret(this.#masterKey, sealed, sealedAad(SIGNING_KEY_COLUMN, { tenant_id: tenantId, kid }))) as JWK;
    const key = importSigningKey(jwk);
    this.#keys.set(cacheKey(tenantId, kid), key);
    return key;
  }
}

/** The signing-key cache key: tenant and kid (a newline occurs in neither). */
function cacheKey(tenantId: string, kid: string): string {
  return `${tenantId}\n${kid}`;
}

/**
 * A private key that signs JWS: `sign()` reads `dsaEncoding` from its key argument when that is an object (Node's
 * crypto.sign), and a KeyObject is one, so the key carries the encoding. Passed as `{ key, dsaEncoding }` instead, a
 * new options object goes through node:crypto's KeyObject and CryptoKey probes, which throw and catch an exception
 * each, on every ID token: 47 µs per signature against 34 µs.
 */
type JwsSigningKey = KeyObject & { readonly dsaEncoding: 'ieee-p1363' };

function importSigningKey(privateJwk: JWK): JwsSigningKey {
  const key = createPrivateKey({
    key: { kty: privateJwk.kty, crv: privateJwk.crv, x: privateJwk.x, y: privateJwk.y, d: privateJwk.d } as JsonWebKey,
    format: 'jwk',
  });
  return Object.defineProperty(key, 'dsaEncoding', { value: 'ieee-p1363' }) as JwsSigningKey;
}

function base64urlJson(value: unknown): string {
  return Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
}
