import type { Kysely } from 'kysely';

/**
 * Who created a pending account: `self-service` (a sign-up; null in rows from before this column) or `journey:<id>`
 * (Add User of a journey). A sign-up may take over another browser's unfinished sign-up, but never an account a
 * journey is still registering a passkey for; both are purged the same way when abandoned.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('selfservice_pending_signups').addColumn('created_by', 'text').execute();
}
