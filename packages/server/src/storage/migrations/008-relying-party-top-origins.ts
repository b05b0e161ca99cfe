import type { Kysely } from 'kysely';

/**
 * The top-level origins under which a relying party allows its ceremonies to run in a cross-origin
 * iframe (WebAuthn L3 §7.1 steps 10–11, §7.2 steps 13–14): a JSON string[]; empty for no embedding,
 * which is what every existing relying party keeps.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('relying_parties')
    .addColumn('top_origins', 'text', (c) => c.notNull().defaultTo('[]'))
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('relying_parties').dropColumn('top_origins').execute();
}
