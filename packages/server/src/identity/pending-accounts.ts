import { createHash } from 'node:crypto';
import type { Insertable, Kysely, Selectable } from 'kysely';
import { appendAuditEvent } from '../audit/audit-log.ts';
import { KeywayError } from '../errors/keyway-error.ts';
import { normaliseIdentifier } from '../shared/identifier.ts';
import { nextEditVersion } from '../storage/edit-version.ts';
import { precompiled } from '../storage/precompiled-query.ts';
import type { Schema, SelfServicePendingSignupsTable, UsersTable } from '../storage/schema.ts';
import { userKeyMatches } from './user-record.ts';

/**
 * Accounts created for someone who has not proved themselves yet: a self-service sign-up, or a journey's Add User,
 * before the first passkey is registered. Such an account is `pending`, is listed here with who created it, becomes
 * `active` in the transaction that stores its first passkey (claim), and is deleted when abandoned, so an identifier
 * is never held by someone who walked away before registering a passkey.
 */

/** A pending account not claimed within this long is abandoned: deleted by the retention sweep, or replaced by a new sign-up. */
export const ABANDONED_AFTER_MS = 24 * 60 * 60 * 1000;

export type PendingAccountCreator = 'self-service' | `journey:${string}`;

/**
 * Lists a just-created pending account (in the transaction that created it). That transaction need not wait for the
 * disk: the account serves only the registration in flight, whose outcome commit makes it durable — its caller
 * relaxes the commit (relaxed-commit.ts; a ceremony's start that stores the account already does).
 */
export async function recordPendingAccount(
  trx: Kysely<Schema>,
  account: { userId: string; tenantId: string; storeId: string; createdBy: PendingAccountCreator; now: Date },
): Promise<void> {
  await insertPendingRow.execute(trx, {
    user_id: account.userId,
    tenant_id: account.tenantId,
    store_id: account.storeId,
    created_by: account.createdBy,
    created_at: account.now.getTime(),
  });
}

// Every sign-up lists, claims and activates its account: built once.
const insertPendingRow = precompiled((db, row: Insertable<SelfServicePendingSignupsTable>) => db.insertInto('selfservice_pending_signups').values(row));
const deletePendingRow = precompiled((db, v: { userId: string }) => db.deleteFrom('selfservice_pending_signups').where('user_id', '=', v.userId));
const activatePendingRow = precompiled((db, v: { userId: string; updatedAt: number }) =>
  db
    .updateTable('users')
    .set({ status: 'active', updated_at: v.updatedAt, edit_version: nextEditVersion })
    .where('id', '=', v.userId)
    .where('status', '=', 'pending')
    .returningAll(),
);

/** How a pending account may be reused by a new sign-up: rows of sign-ups (self-service or from before the owner was kept). */
export function isSignUpOwned(createdBy: string | null): boolean {
  return createdBy === null || createdBy === 'self-service';
}

/**
 * In the transaction that stores the account's first passkey: takes it off the pending list (compare-and-set: of two
 * finishes racing for one pending account exactly one claims it) and activates it. Refused (IDENTIFIER_TAKEN, so the
 * transaction rolls back) when it is no longer listed.
 */
export async function claimPendingAccount(trx: Kysely<Schema>, userId: string, now: Date): Promise<Selectable<UsersTable> | undefined> {
  const claimed = await deletePendingRow.run(trx, { userId });
  if (claimed !== 1) throw new KeywayError('IDENTIFIER_TAKEN', 'identifier: this account was just created by another sign-up');
  return activatePending(trx, userId, now);
}

/**
 * A journey's passkey registration completing for `userId`, in its transaction: a listed pending account is claimed
 * and activated; any other account is left as it is (an active one gets a further passkey).
 */
export async function activateOnFirstPasskey(trx: Kysely<Schema>, userId: string, now: Date): Promise<void> {
  if ((await deletePendingRow.run(trx, { userId })) === 1) await activatePending(trx, userId, now);
}

/**
 * Pending → active; a new status is a new version of the user (an edit form opened before it is stale), advanced in
 * the same statement: this is on every sign-up's path. Answers the activated row (RETURNING: the sign-up answers it
 * without reading it back), or undefined when the account was no longer pending.
 */
async function activatePending(trx: Kysely<Schema>, userId: string, now: Date): Promise<Selectable<UsersTable> | undefined> {
  return activatePendingRow.first(trx, { userId, updatedAt: now.getTime() });
}

/**
 * Deletes the account holding `userKey` in the store if it is an abandoned pending account (listed longer than
 * ABANDONED_AFTER_MS ago, still pending, no passkey), audited; answers whether it did, so the caller may create the
 * account anew.
 */
export async function replaceAbandonedAccount(db: Kysely<Schema>, at: { storeId: string; userKey: string; now: Date }): Promise<boolean> {
  const abandoned = await abandonedAccounts(db, at.now).where('users.store_id', '=', at.storeId).where(userKeyMatches(at.userKey)).execute();
  return (await deleteAbandoned(db, abandoned, at.now)) > 0;
}

/**
 * What the audit event of a deleted abandoned account keeps of its userKey: a digest, not the identifier, which whoever
 * began the sign-up typed and which may be someone else's address (a pre-hijacking attempt) while audit events are
 * kept for good. SHA-256, hex, of `<tenant>\0<store id>\0<the identifier's comparison form>`: an operator asked about
 * an address computes it and compares (`printf 'acme\0%s\0%s' "$STORE_ID" grace@example.com | sha256sum`); nobody
 * reads an address off the log. Pseudonymous, not anonymous: whoever holds the log can test a guess.
 */
export function userKeyDigest(tenantId: string, storeId: string, userKey: string): string {
  return createHash('sha256')
    .update(`${tenantId}\0${storeId}\0${normaliseIdentifier(userKey) ?? userKey}`)
    .digest('hex');
}

/** Deletes at most `limit` abandoned pending accounts, each audited, in one transaction; answers how many (the retention sweeper's). */
export async function purgeAbandonedAccounts(db: Kysely<Schema>, now: Date, limit: number): Promise<number> {
  return deleteAbandoned(db, await abandonedAccounts(db, now).limit(limit).execute(), now);
}

function abandonedAccounts(db: Kysely<Schema>, now: Date) {
  return db
    .selectFrom('selfservice_pending_signups')
    .innerJoin('users', 'users.id', 'selfservice_pending_signups.user_id')
    .select(['users.id', 'users.tenant_id', 'users.user_key', 'users.store_id', 'selfservice_pending_signups.created_by'])
    .where('selfservice_pending_signups.created_at', '<', now.getTime() - ABANDONED_AFTER_MS)
    .where('users.status', '=', 'pending')
    .where((eb) => eb.not(eb.exists(eb.selectFrom('credentials').select('credentials.id').whereRef('credentials.user_id', '=', 'users.id'))));
}

async function deleteAbandoned(
  db: Kysely<Schema>,
  abandoned: { id: string; tenant_id: string; user_key: string; store_id: string; created_by: string | null }[],
  now: Date,
): Promise<number> {
  if (abandoned.length === 0) return 0;
  return db.transaction().execute(async (trx) => {
    let deleted = 0;
    for (const user of abandoned) {
      // Still pending and without a passkey at the moment of deletion (a finish may have claimed it since the read).
      const result = await trx
        .deleteFrom('users')
        .where('id', '=', user.id)
        .where('status', '=', 'pending')
        .where((eb) => eb.not(eb.exists(eb.selectFrom('credentials').select('credentials.id').whereRef('credentials.user_id', '=', 'users.id'))))
        .executeTakeFirst();
      if (Number(result.numDeletedRows) !== 1) continue;
      deleted += 1;
      const byJourney = !isSignUpOwned(user.created_by);
      await appendAuditEvent(
        trx,
        { tenantId: user.tenant_id, actor: byJourney ? user.created_by! : 'self-service' },
        {
          action: byJourney ? 'journey.addUser.expire' : 'selfservice.signUp.expire',
          targetType: 'user',
          targetId: user.id,
          details: { storeId: user.store_id, userKeyDigest: userKeyDigest(user.tenant_id, user.store_id, user.user_key) },
        },
        now,
      );
    }
    return deleted;
  });
}
