import type { Kysely } from 'kysely';

/**
 * Everything the OpenID Provider keeps between two requests (sessions, interactions, authorization codes, access and
 * refresh tokens, grants, pushed requests), one row per artifact, scoped by tenant. Any node can continue what another
 * started. `grant_id` finds every token of one grant (revoking a family), `client_id` everything issued to one client (deleting it), `uid` an interaction's session, and
 * `consumed_at` marks a code or refresh token already used (its reuse revokes the grant).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('oidc_state')
    .addColumn('tenant_id', 'text', (c) => c.notNull())
    .addColumn('model', 'text', (c) => c.notNull())
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('payload', 'text', (c) => c.notNull())
    .addColumn('grant_id', 'text')
    .addColumn('client_id', 'text')
    .addColumn('user_code', 'text')
    .addColumn('uid', 'text')
    .addColumn('expires_at', 'bigint')
    .addColumn('consumed_at', 'bigint')
    .addPrimaryKeyConstraint('oidc_state_pk', ['tenant_id', 'model', 'id'])
    .execute();
  await db.schema.createIndex('oidc_state_grant_idx').on('oidc_state').columns(['tenant_id', 'grant_id']).execute();
  await db.schema.createIndex('oidc_state_client_idx').on('oidc_state').columns(['tenant_id', 'client_id']).execute();
  await db.schema.createIndex('oidc_state_uid_idx').on('oidc_state').columns(['tenant_id', 'model', 'uid']).execute();
  await db.schema.createIndex('oidc_state_expiry_idx').on('oidc_state').column('expires_at').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('oidc_state').execute();
}
