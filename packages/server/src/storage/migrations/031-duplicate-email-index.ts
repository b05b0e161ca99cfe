import type { Kysely } from 'kysely';

/**
 * `users_store_email_idx` (023) repeats `users_store_id_email_idx` (001): both index (store_id, email). Every user
 * insert and every change of an address wrote both; the lookups by address use either, so one goes.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('users_store_email_idx').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.createIndex('users_store_email_idx').on('users').columns(['store_id', 'email']).execute();
}
