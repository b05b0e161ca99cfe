import type { Kysely } from 'kysely';

/**
 * A console session also ends once unused for 60 minutes: `last_used_at` is its last recorded use (recorded at most
 * once a minute; console/console-service.ts). Sessions from before the column (null) count from their sign-in.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('console_sessions').addColumn('last_used_at', 'bigint').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('console_sessions').dropColumn('last_used_at').execute();
}
