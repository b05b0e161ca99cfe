import type { Kysely } from 'kysely';

/**
 * Custom forms and custom pages for journeys: a named item per tenant and kind, with
 * numbered versions (a draft until published, immutable afterwards), and the short-lived grants
 * under which the runtime serves a page version to one journey session.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('journey_content')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('tenant_id', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('description', 'text')
    .addColumn('latest_version', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addUniqueConstraint('journey_content_tenant_id_kind_name_key', ['tenant_id', 'kind', 'name'])
    .execute();
  // Lists are keyset-paginated on id within a tenant and kind.
  await db.schema.createIndex('journey_content_tenant_id_kind_id_idx').on('journey_content').columns(['tenant_id', 'kind', 'id']).execute();

  await db.schema
    .createTable('journey_content_versions')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('content_id', 'text', (c) => c.notNull().references('journey_content.id').onDelete('cascade'))
    .addColumn('tenant_id', 'text', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('body', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addColumn('published_at', 'bigint')
    .addUniqueConstraint('journey_content_versions_content_id_version_key', ['content_id', 'version'])
    .execute();

  await db.schema
    .createTable('journey_page_grants')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('tenant_id', 'text', (c) => c.notNull())
    .addColumn('session_id', 'text', (c) => c.notNull())
    .addColumn('step_id', 'text', (c) => c.notNull())
    .addColumn('version_id', 'text', (c) => c.notNull().references('journey_content_versions.id').onDelete('cascade'))
    .addColumn('data', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('journey_page_grants_expires_at_idx').on('journey_page_grants').column('expires_at').execute();
  // A step's grants are revoked when it is answered or shown again.
  await db.schema.createIndex('journey_page_grants_session_id_step_id_idx').on('journey_page_grants').columns(['session_id', 'step_id']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of ['journey_page_grants', 'journey_content_versions', 'journey_content']) {
    await db.schema.dropTable(table).execute();
  }
}
