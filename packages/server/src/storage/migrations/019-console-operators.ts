import type { Kysely } from 'kysely';

/**
 * The console's operators: people who administer a tenant in the browser, kept apart from the end
 * users of its identity stores. Each has a role, passkeys for Keyway itself as relying party,
 * browser sessions and the short-lived access tokens those sessions hand to the console. Every
 * secret (invitation token, session cookie, access token) is stored only as its SHA-256.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('console_operators')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('display_name', 'text', (c) => c.notNull())
    .addColumn('role', 'text', (c) => c.notNull())
    // WebAuthn user handle (base64url of 32 random bytes): what a discoverable credential names.
    .addColumn('user_handle', 'text', (c) => c.notNull().unique())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('console_operators_tenant_id_id_idx').on('console_operators').columns(['tenant_id', 'id']).execute();

  await db.schema
    .createTable('console_operator_credentials')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('credential_id', 'text', (c) => c.notNull().unique())
    .addColumn('tenant_id', 'text', (c) => c.notNull())
    .addColumn('operator_id', 'text', (c) => c.notNull().references('console_operators.id').onDelete('cascade'))
    .addColumn('public_key', 'text', (c) => c.notNull())
    .addColumn('algorithm', 'integer', (c) => c.notNull())
    .addColumn('sign_count', 'bigint', (c) => c.notNull())
    .addColumn('transports', 'text', (c) => c.notNull())
    .addColumn('aaguid', 'text', (c) => c.notNull())
    .addColumn('backup_eligible', 'integer', (c) => c.notNull())
    .addColumn('backed_up', 'integer', (c) => c.notNull())
    .addColumn('name', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('last_used_at', 'bigint')
    .execute();
  await db.schema.createIndex('console_operator_credentials_operator_id_idx').on('console_operator_credentials').column('operator_id').execute();

  // Enrolment links and invitations: one-time, consumed by a compare-and-set on consumed_at.
  await db.schema
    .createTable('console_invitations')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('token_hash', 'text', (c) => c.notNull().unique())
    .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('role', 'text', (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .addColumn('consumed_at', 'bigint')
    .addColumn('operator_id', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();

  // A passkey ceremony of the console (enrolment, sign-in, adding a passkey), found by its challenge.
  await db.schema
    .createTable('console_ceremonies')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('challenge', 'text', (c) => c.notNull().unique())
    .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('purpose', 'text', (c) => c.notNull())
    .addColumn('invitation_id', 'text')
    .addColumn('operator_id', 'text')
    .addColumn('user_handle', 'text')
    .addColumn('display_name', 'text')
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('console_ceremonies_expires_at_idx').on('console_ceremonies').column('expires_at').execute();

  await db.schema
    .createTable('console_sessions')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('token_hash', 'text', (c) => c.notNull().unique())
    .addColumn('tenant_id', 'text', (c) => c.notNull())
    .addColumn('operator_id', 'text', (c) => c.notNull().references('console_operators.id').onDelete('cascade'))
    .addColumn('credential_id', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .addColumn('revoked_at', 'bigint')
    .execute();
  await db.schema.createIndex('console_sessions_operator_id_idx').on('console_sessions').column('operator_id').execute();

  // Bound to the session: ending the session (sign-out, operator removed) deletes its tokens.
  await db.schema
    .createTable('console_access_tokens')
    .addColumn('token_hash', 'text', (c) => c.primaryKey())
    .addColumn('session_id', 'text', (c) => c.notNull().references('console_sessions.id').onDelete('cascade'))
    .addColumn('tenant_id', 'text', (c) => c.notNull())
    .addColumn('operator_id', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('console_access_tokens_session_id_idx').on('console_access_tokens').column('session_id').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of [
    'console_access_tokens',
    'console_sessions',
    'console_ceremonies',
    'console_invitations',
    'console_operator_credentials',
    'console_operators',
  ]) {
    await db.schema.dropTable(table).execute();
  }
}
