import type { Kysely } from 'kysely';

/**
 * Leases of background jobs that one node at a time should run (e.g. firing journey step timeouts): the holder and
 * when its lease ends, so another node takes over when the holder stops renewing. And the index the timeout scan
 * reads: waiting instances by their step deadline.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('scheduler_leases')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('holder', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('journey_instances_status_step_deadline_idx').on('journey_instances').columns(['status', 'step_deadline']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('journey_instances_status_step_deadline_idx').execute();
  await db.schema.dropTable('scheduler_leases').execute();
}
