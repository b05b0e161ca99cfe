import type { Kysely } from 'kysely';

/**
 * `selfservice_sessions.amr`: RFC 8176 methods of a session's sign-in that was not a passkey (JSON array, e.g.
 * `["otp"]` after a login journey's e-mail one-time code). A passkey session keeps null: its `amr` is derived from the
 * passkey's verified facts, as before.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('selfservice_sessions').addColumn('amr', 'text').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('selfservice_sessions').dropColumn('amr').execute();
}
