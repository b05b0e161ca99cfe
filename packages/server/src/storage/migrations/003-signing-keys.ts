import { sql, type Kysely } from 'kysely';

/**
 * At most one active (not retired) signing key per tenant, enforced by the database, so two nodes
 * that lazily create a tenant's first key at the same moment cannot both succeed: the loser gets a
 * unique violation and reads the winner's key. Partial unique indexes work on SQLite and PostgreSQL.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createIndex('signing_keys_one_active_per_tenant_idx')
    .on('signing_keys')
    .column('tenant_id')
    .unique()
    .where(sql.ref('retired_at'), 'is', null)
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('signing_keys_one_active_per_tenant_idx').execute();
}
