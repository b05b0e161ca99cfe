import type { Kysely } from 'kysely';
import { appendAuditEvent, type Actor } from '../audit/audit-log.ts';
import { KeywayError, validationError } from '../errors/keyway-error.ts';
import type { IdentityService } from '../identity/identity-service.ts';
import type { Clock } from '../shared/clock.ts';
import { decodeCursor, pageSize, toPage, type Page, type PageRequest } from '../shared/pagination.ts';
import type { Schema } from '../storage/schema.ts';
import { getUserInStore } from './ceremony-user.ts';
import { findUserCredential, type CredentialRow } from './credential-store.ts';
import { describeAuthenticator } from './authenticator-catalog.ts';
import type { AuthenticatorDirectory, DescribeAuthenticator } from './authenticator-directory.ts';
import { toPasskey, type Passkey } from './passkey-record.ts';
import { canonicalBase64url } from './webauthn-encoding.ts';

export interface CredentialServiceDeps {
  db: Kysely<Schema>;
  clock: Clock;
  identity: Pick<IdentityService, 'findStore'>;
  /** Names and icons of the passkeys' providers; the bundled catalogue (names only) when not given */
  authenticators?: AuthenticatorDirectory;
}

export interface ListPasskeysFilter extends PageRequest {
  /** Only the passkeys for this RP ID */
  rpId?: string | undefined;
}

/** Where a passkey is: the store and user that own it, and its WebAuthn credential ID. */
export interface PasskeyRef {
  storeName: string;
  userId: string;
  credentialId: string;
}

export const MAX_PASSKEY_NAME_LENGTH = 64;

/**
 * A user's passkeys: list, rename, delete. Every lookup is scoped by
 * tenant, store and user, so another user's or tenant's passkey is PASSKEY_NOT_FOUND.
 */
export class CredentialService {
  readonly #db: Kysely<Schema>;
  readonly #clock: Clock;
  readonly #identity: Pick<IdentityService, 'findStore'>;
  readonly #authenticators: AuthenticatorDirectory | undefined;

  constructor(deps: CredentialServiceDeps) {
    this.#db = deps.db;
    this.#clock = deps.clock;
    this.#identity = deps.identity;
    this.#authenticators = deps.authenticators;
  }

  #describe(tenantId: string, storeId: string): Promise<DescribeAuthenticator> {
    return this.#authenticators?.forStore(tenantId, storeId) ?? Promise.resolve(describeAuthenticator);
  }

  async list(tenantId: string, storeName: string, userId: string, filter: ListPasskeysFilter = {}): Promise<Page<Passkey>> {
    const store = await this.#identity.findStore(tenantId, storeName);
    const user = await getUserInStore(this.#db, store.id, storeName, { id: userId });
    const limit = pageSize(filter);
    const after = decodeCursor(filter.cursor);
    let query = this.#db.selectFrom('credentials').selectAll().where('user_id', '=', user.id);
    if (filter.rpId !== undefined) query = query.where('rp_id', '=', filter.rpId);
    if (after) query = query.where('id', '>', after);
    const rows = await query
      .orderBy('id')
      .limit(limit + 1)
      .execute();
    const describe = await this.#describe(tenantId, store.id);
    return toPage(rows, limit, (row) => toPasskey(row, describe));
  }

  async get(tenantId: string, ref: PasskeyRef): Promise<Passkey> {
    const row = await this.#find(this.#db, tenantId, ref);
    return toPasskey(row, await this.#describe(tenantId, row.store_id));
  }

  async rename(actor: Actor, ref: PasskeyRef, name: string): Promise<Passkey> {
    const trimmed = name.trim();
    if (trimmed.length === 0 || trimmed.length > MAX_PASSKEY_NAME_LENGTH)
      throw validationError('name', `must be 1 to ${MAX_PASSKEY_NAME_LENGTH} characters, not only spaces`);
    const now = this.#clock.now();
    const renamed = await this.#db.transaction().execute(async (trx) => {
      const row = await this.#find(trx, actor.tenantId, ref);
      await trx.updateTable('credentials').set({ name: trimmed, updated_at: now.getTime() }).where('id', '=', row.id).execute();
      await appendAuditEvent(
        trx,
        actor,
        { action: 'passkey.update', targetType: 'passkey', targetId: row.credential_id, details: { store: ref.storeName, userId: row.user_id, name: trimmed } },
        now,
      );
      return { ...row, name: trimmed, updated_at: now.getTime() };
    });
    return toPasskey(renamed, await this.#describe(actor.tenantId, renamed.store_id));
  }

  async delete(actor: Actor, ref: PasskeyRef): Promise<void> {
    const now = this.#clock.now();
    await this.#db.transaction().execute(async (trx) => {
      const row = await this.#find(trx, actor.tenantId, ref);
      await trx.deleteFrom('credentials').where('id', '=', row.id).execute();
      await appendAuditEvent(
        trx,
        actor,
        {
          action: 'passkey.delete',
          targetType: 'passkey',
          targetId: row.credential_id,
          details: { store: ref.storeName, userId: row.user_id, rpId: row.rp_id, aaguid: row.aaguid },
        },
        now,
      );
    });
  }

  async #find(db: Kysely<Schema>, tenantId: string, ref: PasskeyRef): Promise<CredentialRow> {
    const store = await this.#identity.findStore(tenantId, ref.storeName, db);
    const user = await getUserInStore(db, store.id, ref.storeName, { id: ref.userId });
    const credentialId = canonicalBase64url(ref.credentialId);
    const row = credentialId === undefined ? undefined : await findUserCredential(db, user.id, credentialId);
    if (!row) throw new KeywayError('PASSKEY_NOT_FOUND', `User ${ref.userId} has no passkey ${ref.credentialId}`);
    return row;
  }
}
