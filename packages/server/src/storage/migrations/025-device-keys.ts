import type { Kysely } from 'kysely';

/**
 * Device binding: the public half of a non-extractable WebCrypto key (ECDSA P-256) a browser keeps in IndexedDB,
 * bound at passkey registration to the user and the passkey. `key_id` is the key's JWK thumbprint (RFC 7638); one
 * browser keeps one key per store, so the same key may be bound to several users of the store (one row each). A
 * revoked binding stays, with `revoked_at`, for the audit trail; it no longer counts as known.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('device_keys')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('tenant_id', 'text', (c) => c.notNull())
    .addColumn('store_id', 'text', (c) => c.notNull())
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('key_id', 'text', (c) => c.notNull())
    // The public key as a JWK (kty EC, crv P-256, x, y): never a private member.
    .addColumn('public_jwk', 'text', (c) => c.notNull())
    // base64url credential ID of the passkey registered with it; null when that passkey is gone
    .addColumn('credential_id', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('last_seen_at', 'bigint')
    .addColumn('revoked_at', 'bigint')
    .execute();
  await db.schema.createIndex('device_keys_store_key_idx').on('device_keys').columns(['store_id', 'key_id']).execute();
  await db.schema.createIndex('device_keys_user_idx').on('device_keys').columns(['user_id', 'id']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('device_keys').execute();
}
