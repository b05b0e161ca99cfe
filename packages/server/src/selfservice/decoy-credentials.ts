import { createHmac, createSecretKey, randomBytes, type KeyObject } from 'node:crypto';
import type { Kysely } from 'kysely';
import { openSecret, sealSecret } from '../secrets/envelope.ts';
import type { MasterKey } from '../secrets/master-key.ts';
import { DECOY_KEY_COLUMN, sealedAad } from '../secrets/sealed-columns.ts';
import type { Clock } from '../shared/clock.ts';
import { LruCache } from '../shared/lru-cache.ts';
import { normaliseIdentifier } from '../shared/identifier.ts';
import type { Schema } from '../storage/schema.ts';
import type { CredentialDescriptor } from '../passkeys/credential-store.ts';

/** Transport lists real passkeys report; a decoy carries one of them, chosen by its HMAC. */
const TRANSPORT_SETS: readonly (readonly string[])[] = [
  ['hybrid', 'internal'],
  ['internal'],
  ['hybrid', 'internal'],
  ['usb'],
  ['hybrid', 'internal'],
  ['internal', 'hybrid'],
  ['usb', 'nfc'],
  ['internal'],
];

/** Length of a decoy credential ID: 32 bytes, what most platform authenticators and security keys use. */
export const DECOY_ID_BYTES = 32;

/**
 * How many descriptors an identifier's sign-in answers at least, as cumulative thresholds of one HMAC byte (0–255):
 * 1 for half of all identifiers, 2 for a quarter, and so on to 8 — the shape of how many passkeys accounts hold
 * (most one, fewer each further one).
 */
const MINIMUM_COUNT_THRESHOLDS: readonly number[] = [128, 192, 224, 240, 248, 252, 254, 256];
export const MAX_DECOY_COUNT = MINIMUM_COUNT_THRESHOLDS.length;

/**
 * The allowCredentials padding of identifier-first sign-in, so that it does not tell which identifiers have accounts
 * (neither by the IDs nor by how many there are). Every identifier, known or not, has a stable minimum count drawn
 * from the distribution above by HMAC-SHA256 of the identifier under a per-tenant key kept in the database, sealed under
 * the master key (so every node and every restart answers the same): an unknown identifier answers that many decoys, a known one its passkeys
 * padded with decoys up to that many. So the count an identifier answers stays what it was before the account
 * existed, and as passkeys are added, until the account holds more passkeys than its minimum (only beyond 8 is
 * that impossible for an unknown identifier). Decoy IDs are HMACs too: nobody without the key tells them from real
 * credential IDs, and no credential has one, so a session naming them cannot complete.
 *
 * The alternative, an empty allowCredentials for every identifier-first sign-in, would hide the count entirely but
 * break non-discoverable credentials (security keys that need the credential ID), which identifier-first sign-in
 * exists for.
 */
export class DecoyCredentials {
  readonly #db: Kysely<Schema>;
  readonly #clock: Clock;
  readonly #masterKey: MasterKey;
  /**
   * The keys never change once stored, so each node keeps them after the first read — as KeyObjects (an HMAC under a
   * KeyObject costs a quarter of one under raw key bytes, which Node imports again on every call), bounded so that a
   * node serving many tenants stays small (10,000 keys are a few MB); a tenant whose key was dropped has it read and
   * unsealed again.
   */
  readonly #keys = new LruCache<string, KeyObject>(10_000);

  constructor(deps: { db: Kysely<Schema>; clock: Clock; masterKey: MasterKey }) {
    this.#db = deps.db;
    this.#clock = deps.clock;
    this.#masterKey = deps.masterKey;
  }

  /** The decoys that pad `realCount` real passkeys up to the identifier's minimum count (all of them for an unknown identifier). */
  async paddingFor(tenantId: string, scope: { storeId: string; rpId: string }, identifier: string, realCount: number): Promise<CredentialDescriptor[]> {
    const key = await this.#key(tenantId);
    // Every spelling of one identifier (BOB, ｂｏｂ, bob) finds the same account, so it must draw the same decoys too.
    identifier = normaliseIdentifier(identifier) ?? identifier;
    const draw = createHmac('sha256', key).update(`count\0${scope.storeId}\0${scope.rpId}\0${identifier}`).digest()[0]!;
    const minimum = MINIMUM_COUNT_THRESHOLDS.findIndex((threshold) => draw < threshold) + 1;
    const padding: CredentialDescriptor[] = [];
    for (let i = realCount; i < minimum; i++) padding.push(decoy(key, scope, identifier, i));
    return padding;
  }

  /** The key of the tenant's sign-up challenges (sign-up-challenge.ts): derived from the same secret, for its own use. */
  async challengeKey(tenantId: string): Promise<Buffer> {
    return createHmac('sha256', await this.#key(tenantId))
      .update('sign-up challenge')
      .digest();
  }

  /** The tenant's key: created once (the first node to insert wins; the others read the winner's). */
  async #key(tenantId: string): Promise<KeyObject> {
    const cached = this.#keys.get(tenantId);
    if (cached) return cached;
    const aad = sealedAad(DECOY_KEY_COLUMN, { tenant_id: tenantId });
    await this.#db
      .insertInto('selfservice_tenant_keys')
      .values({
        tenant_id: tenantId,
        decoy_key: sealSecret(this.#masterKey, randomBytes(32).toString('base64url'), aad),
        created_at: this.#clock.now().getTime(),
      })
      .onConflict((oc) => oc.column('tenant_id').doNothing())
      .execute();
    const row = await this.#db.selectFrom('selfservice_tenant_keys').select('decoy_key').where('tenant_id', '=', tenantId).executeTakeFirstOrThrow();
    const key = createSecretKey(Buffer.from(openSecret(this.#masterKey, row.decoy_key, aad), 'base64url'));
    this.#keys.set(tenantId, key);
    return key;
  }
}

/** The identifier's decoy number `index` (number 0 is the one decoy earlier versions answered, so it stays stable). */
function decoy(key: KeyObject, scope: { storeId: string; rpId: string }, identifier: string, index: number): CredentialDescriptor {
  const suffix = index === 0 ? '' : `\0${index}`;
  const mac = createHmac('sha256', key).update(`decoy\0${scope.storeId}\0${scope.rpId}\0${identifier}${suffix}`).digest();
  const transports = createHmac('sha256', key).update(`transports\0${scope.storeId}\0${identifier}${suffix}`).digest()[0]! % TRANSPORT_SETS.length;
  return { id: mac.subarray(0, DECOY_ID_BYTES).toString('base64url'), transports: [...TRANSPORT_SETS[transports]!] };
}
