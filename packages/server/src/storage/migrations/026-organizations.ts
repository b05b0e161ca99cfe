import type { Kysely } from 'kysely';

/**
 * Organizations (B2B) inside an identity store: the organizations themselves with their sign-in policy (JSON),
 * their members (users of the same store, each with roles) and the e-mail domains they claim. Each row carries
 * tenant_id and store_id, so every query is scoped without a join; deleting a store, an organization or a user
 * removes what hangs off it.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('organizations')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('tenant_id', 'text', (c) => c.notNull())
    .addColumn('store_id', 'text', (c) => c.notNull().references('stores.id').onDelete('cascade'))
    .addColumn('name', 'text', (c) => c.notNull())
    // The comparison form of the name (shared/identifier.ts): unique per store.
    .addColumn('name_key', 'text', (c) => c.notNull())
    .addColumn('display_name', 'text')
    .addColumn('policy', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addUniqueConstraint('organizations_store_id_name_key_unique', ['store_id', 'name_key'])
    .execute();

  await db.schema
    .createTable('organization_members')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('tenant_id', 'text', (c) => c.notNull())
    .addColumn('store_id', 'text', (c) => c.notNull())
    .addColumn('organization_id', 'text', (c) => c.notNull().references('organizations.id').onDelete('cascade'))
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    // JSON string[]
    .addColumn('roles', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addUniqueConstraint('organization_members_organization_id_user_id_unique', ['organization_id', 'user_id'])
    .execute();
  await db.schema.createIndex('organization_members_user_id_idx').on('organization_members').column('user_id').execute();

  await db.schema
    .createTable('organization_domains')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('tenant_id', 'text', (c) => c.notNull())
    .addColumn('store_id', 'text', (c) => c.notNull())
    .addColumn('organization_id', 'text', (c) => c.notNull().references('organizations.id').onDelete('cascade'))
    // Lower-case IDNA (A-label) form; one organization per domain in a store.
    .addColumn('domain', 'text', (c) => c.notNull())
    .addColumn('verification_token', 'text', (c) => c.notNull())
    .addColumn('verified_at', 'bigint')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addUniqueConstraint('organization_domains_store_id_domain_unique', ['store_id', 'domain'])
    .execute();
  await db.schema.createIndex('organization_domains_organization_id_idx').on('organization_domains').column('organization_id').execute();
}
