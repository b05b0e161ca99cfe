import type { Kysely } from 'kysely';

/**
 * `oidc_state.created_at`: when Keyway first stored an artifact (ms since the epoch). oidc-provider dates an interaction
 * in whole seconds (`iat`), too coarse for `prompt=login`: a sign-in within the second an authorization request began
 * may be the one from before it. The interaction route compares the browser session's sign-in with this instead.
 * Rows stored before this migration have none (null), and are judged by `iat` as before.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('oidc_state').addColumn('created_at', 'bigint').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('oidc_state').dropColumn('created_at').execute();
}
