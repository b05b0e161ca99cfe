import { createHmac, randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import { openSecret, sealSecret } from '../secrets/envelope.ts';
import type { MasterKey } from '../secrets/master-key.ts';
import { DECOY_KEY_COLUMN, sealedAad } from '../secrets/sealed-columns.ts';
import type { Clock } from '../shared/clock.ts';
import type { Schema } from '../storage/schema.ts';
import type { CredentialDescriptor } from '../passkeys/credential-store.ts';

/** Transport lists real passkeys report; a decoy carries one of them, chosen by its HMAC. */
const TRANSPORT_SETS: readonly (readonly string[])[] = [['hybrid', 'internal'], ['internal'], ['hybrid', 'internal'], ['usb'], ['hybrid', 'internal'], ['internal', 'hybrid'], ['usb', 'nfc'], ['internal']];

/** Length of a decoy credential ID: 32 bytes, what most platform authenticators and security keys use. */
export const DECOY_ID_BYTES = 32;

/**
 * The allowCredentials of an unknown identifier (issue 4 §1: no user enumeration): derived by HMAC-SHA256 of the
 * identifier under a per-tenant key kept in the database (sealed under the master key), so every node and every restart answers the same decoy
 * for the same identifier, and nobody without the key can tell it from a real credential ID.
 */
export class DecoyCredentials {
  readonly #db: Kysely<Schema>;
  readonly #clock: Clock;
  readonly #masterKey: MasterKey;
  /** The keys never change once stored, so each node keeps them after the first read. */
  readonly #keys = new Map<string, Buffer>();

  constructor(deps: { db: Kysely<Schema>; clock: Clock; masterKey: MasterKey }) {
    this.#db = deps.db;
    this.#clock = deps.clock;
    this.#masterKey = deps.masterKey;
  }

  async forIdentifier(tenantId: string, scope: { storeId: string; rpId: string }, identifier: string): Promise<CredentialDescriptor[]> {
    const key = await this.#key(tenantId);
    const mac = createHmac('sha256', key).update(`decoy\0${scope.storeId}\0${scope.rpId}\0${identifier}`).digest();
    const transports = createHmac('sha256', key).update(`transports\0${scope.storeId}\0${identifier}`).digest()[0]! % TRANSPORT_SETS.length;
    return [{ id: mac.subarray(0, DECOY_ID_BYTES).toString('base64url'), transports: [...TRANSPORT_SETS[transports]!] }];
  }

  /** The tenant's key: created once (the first node to insert wins; the others read the winner's). */
  async #key(tenantId: string): Promise<Buffer> {
    const cached = this.#keys.get(tenantId);
    if (cached) return cached;
    const aad = sealedAad(DECOY_KEY_COLUMN, { tenant_id: tenantId });
    await this.#db
      .insertInto('selfservice_tenant_keys')
      .values({ tenant_id: tenantId, decoy_key: sealSecret(this.#masterKey, randomBytes(32).toString('base64url'), aad), created_at: this.#clock.now().getTime() })
      .onConflict((oc) => oc.column('tenant_id').doNothing())
      .execute();
    const row = await this.#db.selectFrom('selfservice_tenant_keys').select('decoy_key').where('tenant_id', '=', tenantId).executeTakeFirstOrThrow();
    const key = Buffer.from(openSecret(this.#masterKey, row.decoy_key, aad), 'base64url');
    this.#keys.set(tenantId, key);
    return key;
  }
}
