import type { Kysely } from 'kysely';

/**
 * A store's branding (logo, product name, colours, languages offered) for the hosted pages, the journey
 * runner and e-mails: one row per branded store, its settings as JSON. A table of its own, not a column of
 * `stores`, so the store lookups of every API call do not carry an inline logo of up to 32 KiB.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('store_branding')
    .addColumn('store_id', 'text', (c) => c.primaryKey().references('stores.id').onDelete('cascade'))
    .addColumn('tenant_id', 'text', (c) => c.notNull())
    .addColumn('settings', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('store_branding').execute();
}
