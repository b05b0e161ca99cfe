import type { Kysely } from 'kysely';

/**
 * A console passkey ceremony that only the browser which started it may finish: `browser_binding` is the SHA-256 of
 * the secret in that browser's HttpOnly keyway_console_ceremony cookie (console/ceremony-binding.ts). Ceremonies from
 * before this column (null) are finished by nobody; they expire within minutes.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('console_ceremonies').addColumn('browser_binding', 'text').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('console_ceremonies').dropColumn('browser_binding').execute();
}
