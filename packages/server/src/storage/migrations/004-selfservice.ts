import type { Kysely } from 'kysely';

/** Browser self-service: flows, browser sessions, recovery links, rate limits, decoy keys. */
export async function up(db: Kysely<unknown>): Promise<void> {
  // One durable secret per tenant for the decoy allowCredentials of unknown identifiers (same on every node).
  await db.schema
    .createTable('selfservice_tenant_keys')
    .addColumn('tenant_id', 'text', (c) => c.primaryKey().references('tenants.id').onDelete('cascade'))
    .addColumn('decoy_key', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();

  // A ceremony started by a browser: bound to it by the hash of its keyway_flow cookie, found by the challenge.
  await db.schema
    .createTable('selfservice_flows')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('binding_hash', 'text', (c) => c.notNull())
    .addColumn('challenge', 'text', (c) => c.notNull())
    .addColumn('tenant_id', 'text', (c) => c.notNull())
    .addColumn('store_id', 'text', (c) => c.notNull().references('stores.id').onDelete('cascade'))
    .addColumn('purpose', 'text', (c) => c.notNull())
    .addColumn('ceremony_session_id', 'text', (c) => c.notNull())
    .addColumn('identifier', 'text')
    .addColumn('user_id', 'text', (c) => c.references('users.id').onDelete('cascade'))
    .addColumn('recovery_link_id', 'text')
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addUniqueConstraint('selfservice_flows_binding_hash_challenge_key', ['binding_hash', 'challenge'])
    .execute();
  await db.schema.createIndex('selfservice_flows_expires_at_idx').on('selfservice_flows').column('expires_at').execute();

  // Users created by a sign-up that has not finished yet (their identifier can be signed up again).
  await db.schema
    .createTable('selfservice_pending_signups')
    .addColumn('user_id', 'text', (c) => c.primaryKey().references('users.id').onDelete('cascade'))
    .addColumn('tenant_id', 'text', (c) => c.notNull())
    .addColumn('store_id', 'text', (c) => c.notNull().references('stores.id').onDelete('cascade'))
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema.createIndex('selfservice_pending_signups_created_at_idx').on('selfservice_pending_signups').column('created_at').execute();

  await db.schema
    .createTable('selfservice_sessions')
    .addColumn('id', 'text', (c) => c.primaryKey())
    // SHA-256 of the keyway_session cookie value: the token itself is never stored.
    .addColumn('token_hash', 'text', (c) => c.notNull().unique())
    .addColumn('tenant_id', 'text', (c) => c.notNull())
    .addColumn('store_id', 'text', (c) => c.notNull().references('stores.id').onDelete('cascade'))
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('credential_id', 'text')
    .addColumn('client_ip', 'text')
    .addColumn('user_agent', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('authenticated_at', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .addColumn('revoked_at', 'bigint')
    .execute();
  await db.schema.createIndex('selfservice_sessions_user_id_id_idx').on('selfservice_sessions').columns(['user_id', 'id']).execute();
  await db.schema.createIndex('selfservice_sessions_expires_at_idx').on('selfservice_sessions').column('expires_at').execute();

  await db.schema
    .createTable('selfservice_recovery_links')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('token_hash', 'text', (c) => c.notNull().unique())
    .addColumn('tenant_id', 'text', (c) => c.notNull())
    .addColumn('store_id', 'text', (c) => c.notNull().references('stores.id').onDelete('cascade'))
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .addColumn('consumed_at', 'bigint')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema.createIndex('selfservice_recovery_links_user_id_idx').on('selfservice_recovery_links').column('user_id').execute();

  // Fixed one-minute windows, one row per key, counted by a single upsert (works across nodes).
  await db.schema
    .createTable('selfservice_rate_limits')
    .addColumn('key', 'text', (c) => c.primaryKey())
    .addColumn('window_start', 'bigint', (c) => c.notNull())
    .addColumn('count', 'integer', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('selfservice_rate_limits_window_start_idx').on('selfservice_rate_limits').column('window_start').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of [
    'selfservice_rate_limits',
    'selfservice_recovery_links',
    'selfservice_sessions',
    'selfservice_pending_signups',
    'selfservice_flows',
    'selfservice_tenant_keys',
  ]) {
    await db.schema.dropTable(table).execute();
  }
}
