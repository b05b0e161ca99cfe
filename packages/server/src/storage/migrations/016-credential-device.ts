import type { Kysely } from 'kysely';

/**
 * The device a passkey was created on, as its owner would name it ("Chrome on Android"), read from the browser's
 * User-Agent at registration through the self-service pages; null where no browser told us (the admin API, older
 * passkeys).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('credentials').addColumn('created_device', 'text').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('credentials').dropColumn('created_device').execute();
}
