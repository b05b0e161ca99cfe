import type { Kysely } from 'kysely';

/**
 * Journeys: a journey with its editable draft, its immutable published versions, and
 * the running instances. An instance pins the version it started on and carries a revision that
 * every change compares-and-sets, so two nodes (or two parallel submits) never both advance it.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('journeys')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('journey_id', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('draft', 'text')
    .addColumn('draft_updated_at', 'bigint')
    .addColumn('latest_version', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addUniqueConstraint('journeys_tenant_id_journey_id_key', ['tenant_id', 'journey_id'])
    .execute();
  await db.schema.createIndex('journeys_tenant_id_id_idx').on('journeys').columns(['tenant_id', 'id']).execute();

  await db.schema
    .createTable('journey_versions')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('tenant_id', 'text', (c) => c.notNull())
    .addColumn('journey_row_id', 'text', (c) => c.notNull().references('journeys.id').onDelete('cascade'))
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('definition', 'text', (c) => c.notNull())
    .addColumn('published_by', 'text', (c) => c.notNull())
    .addColumn('published_at', 'bigint', (c) => c.notNull())
    .addUniqueConstraint('journey_versions_journey_row_id_version_key', ['journey_row_id', 'version'])
    .execute();

  await db.schema
    .createTable('journey_instances')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('tenant_id', 'text', (c) => c.notNull())
    .addColumn('journey_row_id', 'text', (c) => c.notNull().references('journeys.id').onDelete('cascade'))
    .addColumn('version_id', 'text', (c) => c.notNull().references('journey_versions.id').onDelete('cascade'))
    // Only hashes of the session tokens are stored: the current one, and the one it replaced
    // (so a stale double submit is told "already submitted" rather than "not found").
    .addColumn('session_hash', 'text', (c) => c.unique())
    .addColumn('previous_session_hash', 'text')
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('current_step', 'text')
    .addColumn('presentation', 'text')
    .addColumn('vars', 'text', (c) => c.notNull())
    // vars' user.userId, kept apart so the admin list reads it without parsing the variables.
    .addColumn('user_id', 'text')
    .addColumn('started_by', 'text', (c) => c.notNull())
    .addColumn('origin', 'text')
    .addColumn('step_deadline', 'bigint')
    .addColumn('result_code', 'text')
    .addColumn('revision', 'integer', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('journey_instances_previous_session_hash_idx').on('journey_instances').column('previous_session_hash').execute();
  await db.schema.createIndex('journey_instances_expires_at_idx').on('journey_instances').column('expires_at').execute();
  // The admin list of a journey's instances is keyset-paginated on id.
  await db.schema.createIndex('journey_instances_journey_row_id_id_idx').on('journey_instances').columns(['journey_row_id', 'id']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of ['journey_instances', 'journey_versions', 'journeys']) {
    await db.schema.dropTable(table).execute();
  }
}
