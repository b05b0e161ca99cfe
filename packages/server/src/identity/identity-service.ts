import { claimEdit, type EditPrecondition } from '../storage/edit-version.ts';
import { randomUUIDv7 } from 'node:crypto';
import { sql, type Kysely, type Selectable, type SqlBool } from 'kysely';
import { appendAuditEvent, type Actor } from '../audit/audit-log.ts';
import { KeywayError } from '../errors/keyway-error.ts';
import type { Clock } from '../shared/clock.ts';
import { decodeCursor, pageSize, toPage, type Page } from '../shared/pagination.ts';
import { newTimeOrderedId } from '../shared/time-ordered-id.ts';
import type { Schema, StoresTable, UsersTable } from '../storage/schema.ts';
import { precompiled } from '../storage/precompiled-query.ts';
import { relaxCommit } from '../storage/relaxed-commit.ts';
import { uniqueViolation } from '../storage/unique-violation.ts';
import { recordPendingAccount, replaceAbandonedAccount, type PendingAccountCreator } from './pending-accounts.ts';
import {
  parseSelfServiceConfig,
  type SelfServiceConfig,
  type SelfServiceConfigCheck,
  type SelfServiceConfigInput,
} from '../selfservice/self-service-config.ts';
import { columnsForCreate, columnsForUpdate, isSignInBarred, normaliseEmail, toUser, userKeyMatches, userSearchWords } from './user-record.ts';
import { revokeRecoveryLinks } from './recovery-link-revocation.ts';
import { runDeletionHooks, type DeletedUser, type DeletionHook, type Removed } from './deletion-hooks.ts';
import type { CreateUserInput, ListUsersFilter, UpdateUserInput, User } from './user-schemas.ts';

export interface Store {
  name: string;
  displayName?: string;
  selfService?: SelfServiceConfig;
  createdAt: string;
  updatedAt: string;
}

/** How a request names a user: by Keyway's id or by the caller's external id (`…/ext` paths). */
export type UserRef = { id: string } | { externalId: string };

export interface IdentityServiceDeps {
  db: Kysely<Schema>;
  clock: Clock;
  /** Validates a store's selfService configuration (browser self-service); without it, a store cannot be given one */
  checkSelfService?: SelfServiceConfigCheck | undefined;
  /**
   * What else a user's or a store's deletion ends, in its transaction (deletion-hooks.ts): the OpenID Provider's
   * artifacts, journey instances, ceremony sessions. Without them (a service built for lookups), nothing is deleted.
   */
  deletionHooks?: readonly DeletionHook[] | undefined;
}

export function toStore(row: Omit<Selectable<StoresTable>, 'config_version'>): Store {
  return {
    name: row.name,
    ...(row.display_name === null ? {} : { displayName: row.display_name }),
    ...(row.self_service === null ? {} : { selfService: parseSelfServiceConfig(row.self_service)! }),
    createdAt: new Date(row.created_at).toISOString(),
    updatedAt: new Date(row.updated_at).toISOString(),
  };
}

/** Maps a unique-index violation on users to the precise conflict code. */
function userConflict(error: unknown): KeywayError | undefined {
  const on = uniqueViolation(error);
  if (on === undefined) return undefined;
  if (on.includes('external_id')) return new KeywayError('EXT_ID_NOT_UNIQUE', 'externalId: already used by another user in this store');
  if (on.includes('user_key')) return new KeywayError('USER_KEY_NOT_UNIQUE', 'userKey: already used by another user in this store');
  return undefined;
}

// Every sign-up stores its account: built once (a whole row, every column named).
const insertUserRow = precompiled((db, row: Selectable<UsersTable>) => db.insertInto('users').values(row));

/** Identity stores and their users. Every query is scoped by tenant. */
export class IdentityService {
  readonly #db: Kysely<Schema>;
  readonly #clock: Clock;
  readonly #checkSelfService: SelfServiceConfigCheck | undefined;
  readonly #deletionHooks: readonly DeletionHook[] | undefined;

  constructor(deps: IdentityServiceDeps) {
    this.#db = deps.db;
    this.#clock = deps.clock;
    this.#checkSelfService = deps.checkSelfService;
    this.#deletionHooks = deps.deletionHooks;
  }

  #hooks(): readonly DeletionHook[] {
    if (!this.#deletionHooks) throw new TypeError('IdentityService was built without deletionHooks');
    return this.#deletionHooks;
  }

  /**
   * Ends, in `trx`, what the deletion hooks end for a user (deletion-hooks.ts), each revocation audited; answers what
   * they removed. For every path that deletes a user row: call it in the deleting transaction, before the delete.
   */
  async endWhatUserDeletionEnds(trx: Kysely<Schema>, actor: Actor, user: DeletedUser, now: Date): Promise<Removed> {
    return runDeletionHooks(this.#hooks(), (hook) => hook.ofUser(trx, actor, user, now));
  }

  async #selfServiceColumn(executor: Kysely<Schema>, storeId: string, input: SelfServiceConfigInput): Promise<string> {
    if (!this.#checkSelfService) throw new TypeError('IdentityService was built without checkSelfService');
    return this.#checkSelfService(executor, storeId, input);
  }

  // ── stores ──────────────────────────────────────────────────────────────

  /** The store's row; another tenant's store is indistinguishable from a missing one. */
  async findStore(tenantId: string, storeName: string, executor: Kysely<Schema> = this.#db): Promise<Selectable<StoresTable>> {
    const row = await executor.selectFrom('stores').selectAll().where('tenant_id', '=', tenantId).where('name', '=', storeName).executeTakeFirst();
    if (!row) throw new KeywayError('STORE_NOT_FOUND', `No identity store ${storeName}`);
    return row;
  }

  async createStore(actor: Actor, input: { name: string; displayName?: string; selfService?: SelfServiceConfigInput }): Promise<Store> {
    const now = this.#clock.now();
    const row = {
      id: newTimeOrderedId(now),
      tenant_id: actor.tenantId,
      name: input.name,
      display_name: input.displayName ?? null,
      self_service: null as string | null,
      created_at: now.getTime(),
      updated_at: now.getTime(),
      edit_version: 0,
    };
    try {
      await this.#db.transaction().execute(async (trx) => {
        // The tenant row exists for tokens issued by `keyway init`; stores hang off it.
        await trx.insertInto('stores').values(row).execute();
        if (input.selfService !== undefined) {
          row.self_service = await this.#selfServiceColumn(trx, row.id, input.selfService);
          await trx.updateTable('stores').set({ self_service: row.self_service }).where('id', '=', row.id).execute();
        }
        await appendAuditEvent(
          trx,
          actor,
          {
            action: 'store.create',
            targetType: 'store',
            targetId: input.name,
            details: { displayName: input.displayName, ...(input.selfService ? { selfService: input.selfService } : {}) },
          },
          now,
        );
      });
    } catch (error) {
      if (uniqueViolation(error) !== undefined) throw new KeywayError('STORE_ALREADY_EXISTS', `name: a store named ${input.name} already exists`);
      throw error;
    }
    return toStore(row);
  }

  async listStores(tenantId: string, page: { cursor?: string; limit?: number }): Promise<Page<Store>> {
    const limit = pageSize(page);
    const after = decodeCursor(page.cursor);
    let query = this.#db.selectFrom('stores').selectAll().where('tenant_id', '=', tenantId);
    if (after) query = query.where('id', '>', after);
    return toPage(
      await query
        .orderBy('id')
        .limit(limit + 1)
        .execute(),
      limit,
      toStore,
    );
  }

  async getStore(tenantId: string, storeName: string): Promise<Store> {
    return toStore(await this.findStore(tenantId, storeName));
  }

  async updateStore(
    actor: Actor,
    storeName: string,
    patch: { displayName?: string | null; selfService?: SelfServiceConfigInput | null },
    edit?: EditPrecondition,
  ): Promise<Store> {
    const now = this.#clock.now();
    return this.#db.transaction().execute(async (trx) => {
      const store = await this.findStore(actor.tenantId, storeName, trx);
      await claimEdit(trx, edit, 'stores', { column: 'id', value: store.id });
      const selfService =
        patch.selfService === undefined
          ? {}
          : { self_service: patch.selfService === null ? null : await this.#selfServiceColumn(trx, store.id, patch.selfService) };
      const changes = { ...(patch.displayName === undefined ? {} : { display_name: patch.displayName }), ...selfService, updated_at: now.getTime() };
      await trx.updateTable('stores').set(changes).where('id', '=', store.id).execute();
      await appendAuditEvent(trx, actor, { action: 'store.update', targetType: 'store', targetId: storeName, details: patch }, now);
      return toStore({ ...store, ...changes });
    });
  }

  /**
   * Deleting a store deletes its users; without `force` a store that still has users is kept. What the foreign keys
   * do not reach goes in the same transaction (the deletion hooks: its clients' and users' OpenID Provider artifacts,
   * each revocation audited per client, its users' journey instances, its ceremony sessions); one `store.delete` event
   * counts the users and what the hooks removed.
   */
  async deleteStore(actor: Actor, storeName: string, force: boolean, edit?: EditPrecondition): Promise<void> {
    const now = this.#clock.now();
    const hooks = this.#hooks();
    await this.#db.transaction().execute(async (trx) => {
      const store = await this.findStore(actor.tenantId, storeName, trx);
      await claimEdit(trx, edit, 'stores', { column: 'id', value: store.id });
      if (!force) {
        const user = await trx.selectFrom('users').select('id').where('store_id', '=', store.id).limit(1).executeTakeFirst();
        if (user) throw new KeywayError('STORE_NOT_EMPTY', `Store ${storeName} still has users; delete them first or pass force=true`);
      }
      const users = force ? await this.#countUsers(trx, store.id) : 0;
      const deleted = { id: store.id, tenantId: actor.tenantId, name: store.name };
      const removed = await runDeletionHooks(hooks, (hook) => hook.ofStore(trx, actor, deleted, now));
      await trx.deleteFrom('stores').where('id', '=', store.id).execute();
      await appendAuditEvent(trx, actor, { action: 'store.delete', targetType: 'store', targetId: storeName, details: { force, users, removed } }, now);
    });
  }

  async #countUsers(trx: Kysely<Schema>, storeId: string): Promise<number> {
    const row = await trx
      .selectFrom('users')
      .select((eb) => eb.fn.countAll().as('n'))
      .where('store_id', '=', storeId)
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  // ── users ───────────────────────────────────────────────────────────────

  async createUser(actor: Actor, storeName: string, input: CreateUserInput): Promise<User> {
    return toUser(await this.#insertUser(actor, storeName, input));
  }

  /**
   * A user who has not proved themselves yet (pending-accounts.ts): created `pending` and listed as `createdBy`'s
   * pending account in the same transaction. An abandoned pending account holding the user key is replaced.
   */
  async createPendingUser(actor: Actor, storeName: string, input: CreateUserInput, createdBy: PendingAccountCreator): Promise<User> {
    const now = this.#clock.now();
    const create = () =>
      this.#insertUser(actor, storeName, { ...input, status: 'pending' }, async (trx, user, storeId) => {
        await relaxCommit(trx);
        await recordPendingAccount(trx, { userId: user.id, tenantId: actor.tenantId, storeId, createdBy, now });
      });
    try {
      return toUser(await create());
    } catch (error) {
      if (!(error instanceof KeywayError && error.code === 'USER_KEY_NOT_UNIQUE')) throw error;
      const store = await this.findStore(actor.tenantId, storeName);
      if (!(await replaceAbandonedAccount(this.#db, { storeId: store.id, userKey: input.userKey, now }))) throw error;
      return toUser(await create());
    }
  }

  /**
   * A pending account (as createPendingUser makes) built now and stored by `write` inside the caller's transaction:
   * self-service sign-up stores the account, its ceremony session and its flow binding in one commit, and starts the
   * ceremony from `row` instead of reading it back. `store` is the caller's row of its own tenant's store. `write`
   * stores the row, its audit event and its pending listing; a user key or external id already taken is thrown as
   * USER_KEY_NOT_UNIQUE / EXT_ID_NOT_UNIQUE (on PostgreSQL the transaction is then aborted: the caller ends it).
   * `userHandle`: the WebAuthn user handle, settled at creation (a sign-up registers a passkey at once).
   */
  preparePendingUser(
    actor: Actor,
    store: Selectable<StoresTable>,
    input: CreateUserInput,
    createdBy: PendingAccountCreator,
    options: { userHandle: string },
  ): { row: Selectable<UsersTable>; write(trx: Kysely<Schema>): Promise<void> } {
    const now = this.#clock.now();
    const row = this.#newUserRow(actor, store.id, { ...input, status: 'pending' }, now, options.userHandle);
    return {
      row,
      write: async (trx) => {
        try {
          await this.#writeUser(trx, actor, store.name, row, now);
        } catch (error) {
          throw userConflict(error) ?? error;
        }
        await recordPendingAccount(trx, { userId: row.id, tenantId: actor.tenantId, storeId: store.id, createdBy, now });
      },
    };
  }

  async #insertUser(
    actor: Actor,
    storeName: string,
    input: CreateUserInput,
    inTransaction?: (trx: Kysely<Schema>, user: Selectable<UsersTable>, storeId: string) => Promise<void>,
  ): Promise<Selectable<UsersTable>> {
    const now = this.#clock.now();
    try {
      return await this.#db.transaction().execute(async (trx) => {
        const store = await this.findStore(actor.tenantId, storeName, trx);
        const row = this.#newUserRow(actor, store.id, input, now, null);
        await this.#writeUser(trx, actor, storeName, row, now);
        await inTransaction?.(trx, row, store.id);
        return row;
      });
    } catch (error) {
      throw userConflict(error) ?? error;
    }
  }

  #newUserRow(actor: Actor, storeId: string, input: CreateUserInput, now: Date, userHandle: string | null): Selectable<UsersTable> {
    return {
      id: newTimeOrderedId(now),
      tenant_id: actor.tenantId,
      store_id: storeId,
      // A generated externalId is a UUIDv7 (RFC 9562: time first, then 74 random bits), so new users append to the
      // unique (store_id, external_id) index instead of writing a random leaf of it each (one WAL page per sign-up).
      ...columnsForCreate(input, input.externalId ?? randomUUIDv7()),
      user_handle: userHandle,
      created_at: now.getTime(),
      updated_at: now.getTime(),
      edit_version: 0,
    };
  }

  async #writeUser(trx: Kysely<Schema>, actor: Actor, storeName: string, row: Selectable<UsersTable>, now: Date): Promise<void> {
    await insertUserRow.execute(trx, row);
    await appendAuditEvent(
      trx,
      actor,
      { action: 'user.create', targetType: 'user', targetId: row.id, details: { store: storeName, externalId: row.external_id } },
      now,
    );
  }

  async #findUserRow(executor: Kysely<Schema>, tenantId: string, storeName: string, ref: UserRef) {
    const store = await this.findStore(tenantId, storeName, executor);
    let query = executor.selectFrom('users').selectAll().where('store_id', '=', store.id);
    query = 'id' in ref ? query.where('id', '=', ref.id) : query.where('external_id', '=', ref.externalId);
    const row = await query.executeTakeFirst();
    if (!row)
      throw new KeywayError(
        'USER_NOT_FOUND',
        'id' in ref ? `No user ${ref.id} in store ${storeName}` : `No user with externalId ${ref.externalId} in store ${storeName}`,
      );
    return row;
  }

  async getUser(tenantId: string, storeName: string, ref: UserRef): Promise<User> {
    return toUser(await this.#findUserRow(this.#db, tenantId, storeName, ref));
  }

  /** Whether the user holds at least one passkey (a right e-mail code to an unverified address must not open such an account). */
  async hasPasskeys(tenantId: string, userId: string): Promise<boolean> {
    const row = await this.#db
      .selectFrom('credentials')
      .select('id')
      .where('user_id', '=', userId)
      .where('tenant_id', '=', tenantId)
      .limit(1)
      .executeTakeFirst();
    return row !== undefined;
  }

  async listUsers(tenantId: string, storeName: string, filter: ListUsersFilter): Promise<Page<User>> {
    const store = await this.findStore(tenantId, storeName);
    const limit = pageSize(filter);
    const after = decodeCursor(filter.cursor);
    let query = this.#db.selectFrom('users').selectAll().where('store_id', '=', store.id);
    if (filter.userKey !== undefined) query = query.where(userKeyMatches(filter.userKey));
    if (filter.email !== undefined) query = query.where('email', '=', normaliseEmail(filter.email));
    if (filter.externalId !== undefined) query = query.where('external_id', '=', filter.externalId);
    if (filter.status !== undefined) query = query.where('status', '=', filter.status);
    // Each word, folded as search_text is (shared/search-fold.ts: case, width, accents, ß/ss in any script; never SQL
    // lower(), which is ASCII-only on SQLite and C-locale PostgreSQL), must appear in it; `\` escapes typed wildcards.
    for (const word of userSearchWords(filter.q)) {
      const pattern = `%${word.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
      query = query.where(sql<SqlBool>`search_text like ${pattern} escape '\\'`);
    }
    if (after) query = query.where('id', '>', after);
    return toPage(
      await query
        .orderBy('id')
        .limit(limit + 1)
        .execute(),
      limit,
      toUser,
    );
  }

  async updateUser(actor: Actor, storeName: string, ref: UserRef, patch: UpdateUserInput, edit?: EditPrecondition): Promise<User> {
    const now = this.#clock.now();
    try {
      return await this.#db.transaction().execute(async (trx) => {
        const found = await this.#findUserRow(trx, actor.tenantId, storeName, ref);
        await claimEdit(trx, edit, 'users', { column: 'id', value: found.id });
        // Read again now that claimEdit holds the row's lock: the changes (search text, whether the address changed)
        // are computed from the row as it is, not as it was before a concurrent PATCH committed (PostgreSQL's READ
        // COMMITTED lets the first read see the older version; two PATCHes of different names each lost the other's).
        const row = await trx.selectFrom('users').selectAll().where('id', '=', found.id).executeTakeFirstOrThrow();
        const changes = { ...columnsForUpdate(patch, row), updated_at: now.getTime() };
        await trx.updateTable('users').set(changes).where('id', '=', row.id).execute();
        await appendAuditEvent(
          trx,
          actor,
          { action: 'user.update', targetType: 'user', targetId: row.id, details: { store: storeName, fields: Object.keys(patch) } },
          now,
        );
        await this.#revokeRecoveryLinksVoidedBy(trx, actor, storeName, row, changes, now);
        return toUser({ ...row, ...changes });
      });
    } catch (error) {
      throw userConflict(error) ?? error;
    }
  }

  /**
   * A user's outstanding recovery links stop working when their address changes (an e-mailed link went to the old
   * one, which may no longer be theirs) or when they are locked or disabled (the administrators decide how they come
   * back, and a link issued before must not bring them back by itself). Audited when there were any.
   */
  async #revokeRecoveryLinksVoidedBy(
    trx: Kysely<Schema>,
    actor: Actor,
    storeName: string,
    row: Selectable<UsersTable>,
    changes: { email?: string | null; status?: string },
    now: Date,
  ): Promise<void> {
    const reason =
      changes.status !== undefined && isSignInBarred(changes.status)
        ? changes.status
        : changes.email !== undefined && changes.email !== row.email
          ? 'emailChanged'
          : undefined;
    if (reason === undefined) return;
    const count = await revokeRecoveryLinks(trx, row.id, now);
    if (count > 0)
      await appendAuditEvent(
        trx,
        actor,
        { action: 'selfservice.recoveryLink.revoke', targetType: 'user', targetId: row.id, details: { store: storeName, reason, count } },
        now,
      );
  }

  /**
   * Deletes the user; the foreign keys take their passkeys, sessions, links and queued e-mails, the deletion hooks the
   * rest (endWhatUserDeletionEnds), all in one transaction with the `user.delete` event, which counts what the hooks
   * removed.
   */
  async deleteUser(actor: Actor, storeName: string, ref: UserRef, edit?: EditPrecondition): Promise<void> {
    const now = this.#clock.now();
    await this.#db.transaction().execute(async (trx) => {
      const row = await this.#findUserRow(trx, actor.tenantId, storeName, ref);
      await claimEdit(trx, edit, 'users', { column: 'id', value: row.id });
      const removed = await this.endWhatUserDeletionEnds(trx, actor, { id: row.id, tenantId: actor.tenantId, storeId: row.store_id, storeName }, now);
      await trx.deleteFrom('users').where('id', '=', row.id).execute();
      await appendAuditEvent(
        trx,
        actor,
        { action: 'user.delete', targetType: 'user', targetId: row.id, details: { store: storeName, externalId: row.external_id, removed } },
        now,
      );
    });
  }
}
