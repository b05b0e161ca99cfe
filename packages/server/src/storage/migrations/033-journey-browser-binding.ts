import type { Kysely } from 'kysely';

/**
 * A journey instance that only one browser may drive: `browser_binding` is the SHA-256 of the secret that browser's
 * HttpOnly cookie holds (journeys/engine/browser-binding.ts). A login journey an OIDC interaction starts is bound to
 * the browser of that interaction, so a forwarded runner link cannot sign its sender in as whoever completes it.
 * Null for every other instance (the session id alone carries them, as before).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('journey_instances').addColumn('browser_binding', 'text').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('journey_instances').dropColumn('browser_binding').execute();
}
