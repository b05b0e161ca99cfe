import type { Kysely } from 'kysely';

/**
 * An enrolment link can be revoked before it is used: by an operator or API client (DELETE
 * /api/console/invitations/{id}), or when its creator is removed or may no longer grant its role. `revoked_at` is when;
 * a revoked link enrols nobody (410 CONSOLE_LINK_REVOKED), and consuming one is a compare-and-set on both columns.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('console_invitations').addColumn('revoked_at', 'bigint').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('console_invitations').dropColumn('revoked_at').execute();
}
