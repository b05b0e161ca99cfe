import type { Kysely } from 'kysely';

/**
 * - `selfservice_sessions.amr`: RFC 8176 methods of a session's sign-in that was not a passkey (JSON array, e.g.
 *   `["otp"]` after a login journey's e-mail one-time code). A passkey session keeps null: its `amr` is derived from
 *   the passkey's verified facts, as before.
 * - `selfservice_used_challenges`: sign-up challenges already solved (selfservice/sign-up-challenge.ts), so a solution
 *   signs up once; a row is kept until its challenge expires.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('selfservice_sessions').addColumn('amr', 'text').execute();
  await db.schema
    .createTable('selfservice_used_challenges')
    .addColumn('tenant_id', 'text', (c) => c.notNull())
    .addColumn('challenge', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('selfservice_used_challenges_pk', ['tenant_id', 'challenge'])
    .execute();
  await db.schema.createIndex('selfservice_used_challenges_expiry_idx').on('selfservice_used_challenges').column('expires_at').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('selfservice_used_challenges').execute();
  await db.schema.alterTable('selfservice_sessions').dropColumn('amr').execute();
}
