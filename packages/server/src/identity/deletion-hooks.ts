// What else goes when a user or a store is deleted. The foreign keys take what references users and stores (passkeys,
// browser sessions, recovery links, queued e-mails, …); this is for the rest, owned by modules above identity, which
// identity may not import: the OpenID Provider's artifacts (no foreign key, its own table), journey instances (no
// foreign key on their user) and, on SQLite, ceremony sessions (in the ephemeral file, out of the foreign keys' reach).
import type { Kysely } from 'kysely';
import type { Actor } from '../audit/audit-log.ts';
import type { Schema } from '../storage/schema.ts';

/** A user being deleted, as the hooks see it: the row still exists (it is deleted after them, in the same transaction). */
export interface DeletedUser {
  id: string;
  tenantId: string;
  storeId: string;
  storeName: string;
  /** Why, where a hook's own audit events say it (the OpenID Provider's revocations); default `userDeleted` */
  reason?: string;
}

/** A store being deleted: it and its users still exist (deleted after the hooks, in the same transaction). */
export interface DeletedStore {
  id: string;
  tenantId: string;
  name: string;
}

/** What a hook removed, by name (e.g. `{ journeyInstances: 2 }`): recorded in the deletion's audit event. */
export type Removed = Record<string, number>;

/**
 * What a module must end when a user, or a whole store, is deleted. IdentityService runs every hook in the deleting
 * transaction, once the row is found and its edit claimed and before it is deleted, so the deletion, what goes with it
 * and every audit event commit or roll back together (a hook that throws undoes the deletion). A hook may append
 * audit events of its own (the OpenID Provider's revocations). `ofStore` must end what `ofUser` would for each of the
 * store's users (and whatever else of the module belongs to the store), in a few statements rather than one per user.
 * The hooks are handed to IdentityService by the composition (services.ts).
 */
export interface DeletionHook {
  ofUser(trx: Kysely<Schema>, actor: Actor, user: DeletedUser, now: Date): Promise<Removed>;
  ofStore(trx: Kysely<Schema>, actor: Actor, store: DeletedStore, now: Date): Promise<Removed>;
}

/** Runs `each` for every hook in order, adding up what they removed. */
export async function runDeletionHooks(hooks: readonly DeletionHook[], each: (hook: DeletionHook) => Promise<Removed>): Promise<Removed> {
  const removed: Removed = {};
  for (const hook of hooks) {
    for (const [name, count] of Object.entries(await each(hook))) removed[name] = (removed[name] ?? 0) + count;
  }
  return removed;
}

/** Short-lived tables that hold a user's data beside their `user_id` and `store_id`, out of a foreign key's reach on SQLite. */
type EphemeralTable = 'ceremony_sessions' | 'selfservice_flows';

/**
 * The hook of such a table: a deleted user's rows (`user_id`), or a deleted store's (`store_id`), counted as `name`.
 * No index on either column: every ceremony writes these tables and deletions are rare, so a deletion reads the table
 * whole (as PostgreSQL's cascade always did).
 */
export function rowsOfDeleted(table: EphemeralTable, name: string): DeletionHook {
  return {
    async ofUser(trx, _actor, user) {
      const result = await trx.deleteFrom(table).where('tenant_id', '=', user.tenantId).where('user_id', '=', user.id).executeTakeFirst();
      return { [name]: Number(result.numDeletedRows) };
    },
    async ofStore(trx, _actor, store) {
      const result = await trx.deleteFrom(table).where('tenant_id', '=', store.tenantId).where('store_id', '=', store.id).executeTakeFirst();
      return { [name]: Number(result.numDeletedRows) };
    },
  };
}
