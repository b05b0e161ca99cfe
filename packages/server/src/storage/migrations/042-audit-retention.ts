import type { Kysely } from 'kysely';

/**
 * Audit events older than KEYWAY_AUDIT_RETENTION_DAYS are deleted by the retention sweep (retention/retention-rules.ts),
 * chosen by `created_at` through this index. The existing (tenant_id, id) index does not serve: it leads with the
 * tenant (a range across tenants is a scan of it), and an id's millisecond may be later than its `created_at`
 * (shared/time-ordered-id.ts never goes back when the clock does and borrows the next millisecond after 65,536 ids in
 * one), so an id range would not cut exactly at the retention boundary.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.createIndex('audit_events_created_at_idx').on('audit_events').column('created_at').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('audit_events_created_at_idx').execute();
}
