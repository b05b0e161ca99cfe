import type { Actor } from '../../audit/audit-log.ts';
import { KeywayError } from '../../errors/keyway-error.ts';
import type { IdentityService, UserRef } from '../../identity/identity-service.ts';
import { columnsForCreate, normaliseEmail, toUser, userSearchWords } from '../../identity/user-record.ts';
import { normaliseIdentifier } from '../../shared/identifier.ts';
import type { CreateUserInput, ListUsersFilter, User } from '../../identity/user-schemas.ts';
import type { Clock } from '../../shared/clock.ts';
import type { Page } from '../../shared/pagination.ts';
import { newTimeOrderedId } from '../../shared/time-ordered-id.ts';
import type { Permission } from '../../tenancy/permission-catalogue.ts';
import { isAllowed } from '../../tenancy/permissions.ts';
import { userReadPermission, type Caller } from '../../tenancy/target-rules.ts';
import { randomUUIDv7 } from 'node:crypto';

/** The reads a dry-run may make of the real identity stores. */
export type IdentityReads = Pick<IdentityService, 'findStore' | 'getUser' | 'listUsers' | 'hasPasskeys'>;

/** Whom a dry-run reads for: the caller, whose permissions decide which real users the run may see. */
export type DryRunReader = Pick<Caller, 'tenantId' | 'permissions'>;

/** Exactly the identity service's answer for a user it does not have, so a hidden user and an absent one look alike. */
function userNotFound(storeName: string, ref: UserRef): KeywayError {
  return new KeywayError(
    'USER_NOT_FOUND',
    'id' in ref ? `No user ${ref.id} in store ${storeName}` : `No user with externalId ${ref.externalId} in store ${storeName}`,
  );
}

interface SandboxUser {
  storeId: string;
  storeName: string;
  userKeyNormalized: string;
  /** What a search (`q`) looks in, as the real store keeps it (user-record.ts, userSearchText) */
  searchText: string;
  user: User;
}

/**
 * The identity port of a dry-run: users a step creates live in this object only (made by the same column rules as
 * real ones, `columnsForCreate`), and lookups see them first, then the real stores read-only. It holds no handle
 * that writes, so nothing a dry-run does to users can reach the database.
 *
 * The trace shows every variable, so a real user is seen only as far as the caller may read them through the identity
 * API (`IdentityStore:getUser`, `…:getUserByExtId`, `…:listUsers`; the user the run starts as was checked by the
 * route), and then stays seen for the rest of the run. Any other real user is "not found", with the words an absent
 * one gets: the run neither shows them nor tells that they exist (a taken user key is free in the run).
 */
export class SandboxIdentity {
  readonly #real: IdentityReads;
  readonly #clock: Clock;
  readonly #reader: DryRunReader;
  readonly #users = new Map<string, SandboxUser>();
  /** Real users the caller may see in this run (read with the permission, or the user it runs as). */
  readonly #seen = new Set<string>();

  constructor(real: IdentityReads, clock: Clock, reader: DryRunReader) {
    this.#real = real;
    this.#clock = clock;
    this.#reader = reader;
  }

  #may(permission: Permission): boolean {
    return isAllowed(this.#reader.permissions, this.#reader.tenantId, permission);
  }

  /** A real user the caller was allowed to name (the user the run starts as): seen by the steps from now on. */
  reveal(userId: string): void {
    this.#seen.add(userId);
  }

  #find(storeName: string, match: (entry: SandboxUser) => boolean): SandboxUser | undefined {
    for (const entry of this.#users.values()) if (entry.storeName === storeName && match(entry)) return entry;
    return undefined;
  }

  async getUser(tenantId: string, storeName: string, ref: UserRef): Promise<User> {
    const own = this.#find(storeName, (entry) => ('id' in ref ? entry.user.id === ref.id : entry.user.externalId === ref.externalId));
    if (own) return structuredClone(own.user);
    // Read either way (an unknown store or user fails as it would), then shown only to a caller who may read it.
    const user = await this.#real.getUser(tenantId, storeName, ref);
    if (!this.#seen.has(user.id) && !this.#may(userReadPermission('id' in ref ? { userId: ref.id } : ref))) throw userNotFound(storeName, ref);
    this.#seen.add(user.id);
    return user;
  }

  /** A user the run created holds no real passkey (its sandbox passkeys are the run's, not the account's). */
  async hasPasskeys(tenantId: string, userId: string): Promise<boolean> {
    if ([...this.#users.values()].some((entry) => entry.user.id === userId)) return false;
    // Only a user the run may see is ever handed to a step; any other id is answered as a user without passkeys.
    return this.#seen.has(userId) && this.#real.hasPasskeys(tenantId, userId);
  }

  async listUsers(tenantId: string, storeName: string, filter: ListUsersFilter): Promise<Page<User>> {
    const key = filter.userKey === undefined ? undefined : (normaliseIdentifier(filter.userKey) ?? filter.userKey);
    const words = userSearchWords(filter.q);
    const email = filter.email === undefined ? undefined : normaliseEmail(filter.email);
    // Every filter the real store applies (identity-service.ts listUsers), so a step asking for a user by e-mail
    // (e-mail OTP) or status is never handed one of the run's users that does not match.
    const own = [...this.#users.values()]
      .filter((entry) => entry.storeName === storeName)
      .filter((entry) => key === undefined || entry.userKeyNormalized === key)
      .filter((entry) => email === undefined || entry.user.email === email)
      .filter((entry) => filter.status === undefined || entry.user.status === filter.status)
      .filter((entry) => filter.externalId === undefined || entry.user.externalId === filter.externalId)
      .filter((entry) => words.every((word) => entry.searchText.includes(word)))
      .map((entry) => structuredClone(entry.user));
    const real = await this.#real.listUsers(tenantId, storeName, filter);
    // Without the permission to list users, only real users the run already sees (the page's cursor would tell more).
    const listable = this.#may('IdentityStore:listUsers');
    const visible = listable ? real.items : real.items.filter((user) => this.#seen.has(user.id));
    for (const user of visible) this.#seen.add(user.id);
    // The run's own users first (they are the newest), then the real ones, within the page size asked for.
    return { items: [...own, ...visible].slice(0, filter.limit ?? 50), nextCursor: listable ? real.nextCursor : null };
  }

  createUser(actor: Actor, storeName: string, input: CreateUserInput): Promise<User> {
    return this.#create(actor, storeName, input);
  }

  createPendingUser(actor: Actor, storeName: string, input: CreateUserInput): Promise<User> {
    return this.#create(actor, storeName, { ...input, status: 'pending' });
  }

  async #create(actor: Actor, storeName: string, input: CreateUserInput): Promise<User> {
    const store = await this.#real.findStore(actor.tenantId, storeName);
    const now = this.#clock.now();
    const columns = columnsForCreate(input, input.externalId ?? randomUUIDv7());
    // The same uniqueness the database enforces, over the run's own users and the real ones the caller may see (a
    // taken identifier the caller may not read is free in the run, so trying it tells nothing).
    const keyTaken =
      this.#find(storeName, (entry) => entry.userKeyNormalized === columns.user_key_normalized) !== undefined ||
      (await this.listUsers(actor.tenantId, storeName, { userKey: input.userKey, limit: 1 })).items.length > 0;
    if (keyTaken) throw new KeywayError('USER_KEY_NOT_UNIQUE', `userKey: ${input.userKey} is already used in this store`);
    const externalTaken =
      this.#find(storeName, (entry) => entry.user.externalId === columns.external_id) !== undefined ||
      (await this.getUser(actor.tenantId, storeName, { externalId: columns.external_id }).then(
        () => true,
        () => false,
      ));
    if (externalTaken) throw new KeywayError('EXT_ID_NOT_UNIQUE', `externalId: ${columns.external_id} is already used in this store`);
    const row = {
      id: newTimeOrderedId(now),
      tenant_id: actor.tenantId,
      store_id: store.id,
      ...columns,
      user_handle: null,
      edit_version: 1,
      created_at: now.getTime(),
      updated_at: now.getTime(),
    };
    const user = toUser(row);
    this.#users.set(user.id, {
      storeId: store.id,
      storeName,
      userKeyNormalized: columns.user_key_normalized ?? columns.user_key,
      searchText: columns.search_text,
      user,
    });
    return structuredClone(user);
  }

  /** A pending user of the run registered a passkey: active now, as activateOnFirstPasskey makes a real one. */
  activate(userId: string): void {
    const entry = this.#users.get(userId);
    if (entry?.user.status === 'pending') entry.user = { ...entry.user, status: 'active' };
  }
}
