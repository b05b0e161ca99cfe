import type { Kysely } from 'kysely';

/**
 * `edit_version` on each resource the admin API edits with optimistic concurrency (http/edit-concurrency.ts): a write
 * goes ahead only as `UPDATE … SET edit_version = edit_version + 1 WHERE id = ? AND edit_version = ?`, inside the
 * transaction that makes the change and appends its audit event (storage/edit-version.ts), and the ETag names the
 * version. Unlike `stores.config_version` (migration 022), it counts only edits of the row itself, so an edit of a
 * relying party does not make a stale copy of its store.
 */
export const EDITABLE_TABLES = [
  'api_clients',
  'stores',
  'users',
  'relying_parties',
  'registration_policies',
  'authentication_policies',
  'journey_content_versions',
  'journeys',
  'store_branding',
  'organizations',
] as const;

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const table of EDITABLE_TABLES) {
    await db.schema
      .alterTable(table)
      .addColumn('edit_version', 'integer', (column) => column.notNull().defaultTo(0))
      .execute();
  }
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of EDITABLE_TABLES) await db.schema.alterTable(table).dropColumn('edit_version').execute();
}
