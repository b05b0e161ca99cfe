import type { Kysely } from 'kysely';

/**
 * What a user's deletion must reach (identity/deletion-hooks.ts):
 * - `email_outbox.user_id`: the user whose account a queued e-mail is about (a recovery link, a verification link, a
 *   one-time code), with ON DELETE CASCADE, so that an e-mail still queued when its user is deleted goes with them
 *   and is never sent (and a sent one's record, which names the address, goes too). Null for e-mails about no account
 *   and for those queued before this migration. Indexed, for the cascade.
 * - an index on `journey_instances.user_id`, by which a deleted user's instances are found (no foreign key: the column
 *   follows the instance's variables).
 * Both added in place on both engines (SQLite adds a REFERENCES column whose default is NULL).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('email_outbox')
    .addColumn('user_id', 'text', (c) => c.references('users.id').onDelete('cascade'))
    .execute();
  await db.schema.createIndex('email_outbox_user_id_idx').on('email_outbox').column('user_id').execute();
  await db.schema.createIndex('journey_instances_user_id_idx').on('journey_instances').column('user_id').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('journey_instances_user_id_idx').execute();
  await db.schema.dropIndex('email_outbox_user_id_idx').execute();
  await db.schema.alterTable('email_outbox').dropColumn('user_id').execute();
}
