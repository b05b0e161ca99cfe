import type { Kysely, Selectable } from 'kysely';
import { appendAuditEvent, type Actor } from '../audit/audit-log.ts';
import { KeywayError } from '../errors/keyway-error.ts';
import type { IdentityService } from '../identity/identity-service.ts';
import type { Clock } from '../shared/clock.ts';
import { decodeCursor, pageSize, toPage, type Page, type PageRequest } from '../shared/pagination.ts';
import { newTimeOrderedId } from '../shared/time-ordered-id.ts';
import type { DeviceKeysTable, Schema } from '../storage/schema.ts';
import { getUserInStore } from './ceremony-user.ts';
import { parseDevicePublicKey, verifyDeviceProof, type DevicePublicJwk, type DevicePublicKey } from './device-key-proof.ts';

export interface DeviceKeyServiceDeps {
  db: Kysely<Schema>;
  clock: Clock;
  identity: Pick<IdentityService, 'findStore'>;
}

/** A bound device as the APIs answer it. */
export interface BoundDevice {
  /** The binding's id (one per user and device key) */
  id: string;
  /** The device key's RFC 7638 thumbprint: the value in the ID token's `device_keys` */
  keyId: string;
  /** The passkey registered with the binding (base64url), null when none */
  credentialId: string | null;
  publicKey: DevicePublicJwk;
  createdAt: string;
  lastSeenAt: string | null;
  revokedAt: string | null;
}

/** A device binding as a proof presents it: the public key (verified) and the signature over the step's challenge. */
export interface DeviceProof {
  publicKey: unknown;
  signature: unknown;
}

/** Known Device Status: what a proof over a challenge says about the browser, for the journey's user. */
export type DeviceStatus = 'knownForThisUser' | 'knownForAnotherUser' | 'unknown';

/** What binding a device takes: where, whose, with which passkey, and the verified key. */
export interface DeviceBinding {
  storeName: string;
  userId: string;
  credentialId: string | null;
  key: DevicePublicKey;
}

export interface DeviceRef {
  storeName: string;
  userId: string;
  deviceId: string;
}

const toDevice = (row: Selectable<DeviceKeysTable>): BoundDevice => ({
  id: row.id,
  keyId: row.key_id,
  credentialId: row.credential_id,
  publicKey: JSON.parse(row.public_jwk) as DevicePublicJwk,
  createdAt: new Date(Number(row.created_at)).toISOString(),
  lastSeenAt: row.last_seen_at === null ? null : new Date(Number(row.last_seen_at)).toISOString(),
  revokedAt: row.revoked_at === null ? null : new Date(Number(row.revoked_at)).toISOString(),
});

/** The key ids (thumbprints) of a user's bound devices that are not revoked, oldest binding first: the `device_keys` claim. */
export async function activeDeviceKeyIds(db: Kysely<Schema>, tenantId: string, userId: string): Promise<string[]> {
  const rows = await db
    .selectFrom('device_keys')
    .select('key_id')
    .where('tenant_id', '=', tenantId)
    .where('user_id', '=', userId)
    .where('revoked_at', 'is', null)
    .orderBy('id')
    .execute();
  return [...new Set(rows.map((r) => r.key_id))];
}

/**
 * Device binding: the keys browsers prove at passkey registration, bound to the user (and the passkey); the Known
 * Device Status check; the lists and revocation of the admin and self-service APIs. Every query is scoped by tenant
 * and store (and user where one is named), so another store's binding is never seen.
 */
export class DeviceKeyService {
  readonly #db: Kysely<Schema>;
  readonly #clock: Clock;
  readonly #identity: Pick<IdentityService, 'findStore'>;

  constructor(deps: DeviceKeyServiceDeps) {
    this.#db = deps.db;
    this.#clock = deps.clock;
    this.#identity = deps.identity;
  }

  /** Checks a binding proof over `challenge` before anything is stored: the key's shape and its signature (DEVICE_KEY_INVALID). */
  async verifyBindingProof(challenge: string, proof: DeviceProof): Promise<DevicePublicKey> {
    const key = await parseDevicePublicKey(proof.publicKey);
    if (!verifyDeviceProof(key.key, challenge, proof.signature))
      throw new KeywayError('DEVICE_KEY_INVALID', 'the device key’s signature over the registration’s challenge does not verify');
    return key;
  }

  /**
   * Binds a verified device key to a user (and the passkey registered with it), audited in the same transaction. A
   * key already bound to this user and not revoked is bound again to the new passkey, not duplicated.
   */
  bind(actor: Actor, binding: DeviceBinding): Promise<BoundDevice> {
    return this.#db.transaction().execute((trx) => this.bindIn(trx, actor, binding));
  }

  /**
   * `bind` inside the caller's transaction: Register Passkeys binds the device in the commit that stores the passkey
   * (the registration ceremony's completion hook), so there is never a passkey whose binding was lost, or the reverse.
   */
  async bindIn(trx: Kysely<Schema>, actor: Actor, binding: DeviceBinding): Promise<BoundDevice> {
    const now = this.#clock.now();
    const store = await this.#identity.findStore(actor.tenantId, binding.storeName, trx);
    const user = await getUserInStore(trx, store.id, binding.storeName, { id: binding.userId });
    const existing = await trx
      .selectFrom('device_keys')
      .selectAll()
      .where('store_id', '=', store.id)
      .where('user_id', '=', user.id)
      .where('key_id', '=', binding.key.keyId)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    let row: Selectable<DeviceKeysTable>;
    if (existing) {
      row = { ...existing, credential_id: binding.credentialId, last_seen_at: now.getTime() };
      await trx.updateTable('device_keys').set({ credential_id: row.credential_id, last_seen_at: row.last_seen_at }).where('id', '=', row.id).execute();
    } else {
      row = {
        id: newTimeOrderedId(now),
        tenant_id: actor.tenantId,
        store_id: store.id,
        user_id: user.id,
        key_id: binding.key.keyId,
        public_jwk: JSON.stringify(binding.key.jwk),
        credential_id: binding.credentialId,
        created_at: now.getTime(),
        last_seen_at: now.getTime(),
        revoked_at: null,
      };
      await trx.insertInto('device_keys').values(row).execute();
    }
    await appendAuditEvent(
      trx,
      actor,
      {
        action: 'device.bind',
        targetType: 'device',
        targetId: row.id,
        details: { store: binding.storeName, userId: user.id, keyId: row.key_id, credentialId: binding.credentialId },
      },
      now,
    );
    return toDevice(row);
  }

  /**
   * Known Device Status: the bindings of `keyId` in the store that are not revoked; the proof must be the bound key's
   * signature over `challenge`. No binding, or a signature that does not verify, is `unknown` (fail closed: an
   * unproven device is never known). A verified device's bindings are marked seen.
   */
  async status(tenantId: string, storeName: string, userId: string | undefined, keyId: unknown, challenge: string, signature: unknown): Promise<DeviceStatus> {
    if (typeof keyId !== 'string' || keyId.length === 0 || keyId.length > 64) return 'unknown';
    const store = await this.#identity.findStore(tenantId, storeName);
    const rows = await this.#db
      .selectFrom('device_keys')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('store_id', '=', store.id)
      .where('key_id', '=', keyId)
      .where('revoked_at', 'is', null)
      .execute();
    if (rows.length === 0) return 'unknown';
    const key = await parseDevicePublicKey(JSON.parse(rows[0]!.public_jwk));
    if (key.keyId !== keyId || !verifyDeviceProof(key.key, challenge, signature)) return 'unknown';
    await this.#db
      .updateTable('device_keys')
      .set({ last_seen_at: this.#clock.now().getTime() })
      .where(
        'id',
        'in',
        rows.map((r) => r.id),
      )
      .execute();
    return rows.some((r) => r.user_id === userId) ? 'knownForThisUser' : 'knownForAnotherUser';
  }

  /** A user's bound devices, revoked ones included (with revokedAt), oldest first. */
  async list(tenantId: string, storeName: string, userId: string, request: PageRequest = {}): Promise<Page<BoundDevice>> {
    const store = await this.#identity.findStore(tenantId, storeName);
    const user = await getUserInStore(this.#db, store.id, storeName, { id: userId });
    const limit = pageSize(request);
    const after = decodeCursor(request.cursor);
    let query = this.#db.selectFrom('device_keys').selectAll().where('tenant_id', '=', tenantId).where('user_id', '=', user.id);
    if (after) query = query.where('id', '>', after);
    return toPage(
      await query
        .orderBy('id')
        .limit(limit + 1)
        .execute(),
      limit,
      toDevice,
    );
  }

  /** The key ids of a user's devices that are not revoked: the ID token's `device_keys` claim. */
  activeKeyIds(tenantId: string, userId: string): Promise<string[]> {
    return activeDeviceKeyIds(this.#db, tenantId, userId);
  }

  /**
   * Revokes one of a user's bound devices (it no longer counts as known, and leaves the `device_keys` claim), audited
   * in the same transaction. Revoking a revoked device changes nothing and answers it as it is.
   */
  async revoke(actor: Actor, ref: DeviceRef): Promise<BoundDevice> {
    const now = this.#clock.now();
    return this.#db.transaction().execute(async (trx) => {
      const store = await this.#identity.findStore(actor.tenantId, ref.storeName, trx);
      const user = await getUserInStore(trx, store.id, ref.storeName, { id: ref.userId });
      const row = await trx
        .selectFrom('device_keys')
        .selectAll()
        .where('tenant_id', '=', actor.tenantId)
        .where('user_id', '=', user.id)
        .where('id', '=', ref.deviceId)
        .executeTakeFirst();
      if (!row) throw new KeywayError('DEVICE_NOT_FOUND', `User ${ref.userId} has no bound device ${ref.deviceId}`);
      if (row.revoked_at !== null) return toDevice(row);
      await trx.updateTable('device_keys').set({ revoked_at: now.getTime() }).where('id', '=', row.id).where('revoked_at', 'is', null).execute();
      await appendAuditEvent(
        trx,
        actor,
        { action: 'device.revoke', targetType: 'device', targetId: row.id, details: { store: ref.storeName, userId: user.id, keyId: row.key_id } },
        now,
      );
      return toDevice({ ...row, revoked_at: now.getTime() });
    });
  }
}
