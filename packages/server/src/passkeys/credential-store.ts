import type { Insertable, Kysely, Selectable } from 'kysely';
import { newTimeOrderedId } from '../shared/time-ordered-id.ts';
import type { CredentialsTable, Schema } from '../storage/schema.ts';
import { describeAuthenticator } from './authenticator-catalog.ts';
import type { VerifiedRegistration } from './registration-verification.ts';
import { toBase64url } from './webauthn-encoding.ts';

/**
 * SQL for credential records, shared by the ceremonies and the passkey API. Every lookup is scoped
 * by tenant and store; the credential ID alone is unique across the database (WebAuthn §7.1 step 27).
 */

export type CredentialRow = Selectable<CredentialsTable>;

/** The record a verified registration (§7.1) stores for its user: named after its authenticator model, never used yet. */
export function newCredentialRow(
  verified: VerifiedRegistration,
  owner: { tenantId: string; storeId: string; userId: string; rpId: string; device: string | null },
  now: Date,
): CredentialRow {
  return {
    id: newTimeOrderedId(now),
    credential_id: verified.credentialId,
    tenant_id: owner.tenantId,
    store_id: owner.storeId,
    user_id: owner.userId,
    rp_id: owner.rpId,
    public_key: toBase64url(verified.publicKey),
    algorithm: verified.algorithm,
    sign_count: verified.counter,
    transports: JSON.stringify(verified.transports),
    aaguid: verified.aaguid,
    backup_eligible: verified.backupEligible ? 1 : 0,
    backed_up: verified.backedUp ? 1 : 0,
    user_verified: verified.userVerified ? 1 : 0,
    attestation_format: verified.attestationFormat,
    attestation_verified: verified.attestationVerified ? 1 : 0,
    name: describeAuthenticator(verified.aaguid)?.name ?? null,
    created_at: now.getTime(),
    updated_at: now.getTime(),
    last_used_at: null,
    created_device: owner.device,
  };
}

/** A descriptor for excludeCredentials / allowCredentials. */
export interface CredentialDescriptor {
  id: string;
  transports: string[];
}

/** How many passkeys a user may hold per relying party (bounds the options sent to browsers). */
export const MAX_CREDENTIALS_PER_USER_AND_RP = 100;

/** The user's credentials for one RP ID, oldest first, as descriptors. */
export async function credentialDescriptors(db: Kysely<Schema>, userId: string, rpId: string): Promise<CredentialDescriptor[]> {
  const rows = await db
    .selectFrom('credentials')
    .select(['credential_id', 'transports'])
    .where('user_id', '=', userId)
    .where('rp_id', '=', rpId)
    .orderBy('id')
    .limit(MAX_CREDENTIALS_PER_USER_AND_RP)
    .execute();
  return rows.map((row) => ({ id: row.credential_id, transports: JSON.parse(row.transports) as string[] }));
}

/** A credential of one store and RP ID, or undefined: another tenant's or store's credential is never found. */
export async function findCredential(
  db: Kysely<Schema>,
  scope: { tenantId: string; storeId: string; rpId: string },
  credentialId: string,
): Promise<CredentialRow | undefined> {
  return db
    .selectFrom('credentials')
    .selectAll()
    .where('credential_id', '=', credentialId)
    .where('tenant_id', '=', scope.tenantId)
    .where('store_id', '=', scope.storeId)
    .where('rp_id', '=', scope.rpId)
    .executeTakeFirst();
}

/** A user's credential by its WebAuthn ID, or undefined. */
export async function findUserCredential(db: Kysely<Schema>, userId: string, credentialId: string): Promise<CredentialRow | undefined> {
  return db.selectFrom('credentials').selectAll().where('user_id', '=', userId).where('credential_id', '=', credentialId).executeTakeFirst();
}

export async function insertCredential(db: Kysely<Schema>, row: Insertable<CredentialsTable>): Promise<void> {
  await db.insertInto('credentials').values(row).execute();
}

/**
 * Records a sign-in: the new counter, backup state and time of use, as a compare-and-set of the
 * counter rule itself. The row is updated only if the counter still advances over what is stored
 * *now*, so of two concurrent assertions with the same counter at most one passes, while two
 * legitimately increasing ones (7 then 8) both do. Answers whether the row was updated.
 */
export async function recordCredentialUse(db: Kysely<Schema>, id: string, use: { counter: number; backedUp: boolean; at: number }): Promise<boolean> {
  let query = db
    .updateTable('credentials')
    .set({ sign_count: use.counter, backed_up: use.backedUp ? 1 : 0, last_used_at: use.at, updated_at: use.at })
    .where('id', '=', id);
  // WebAuthn §7.2 step 23 as SQL: both zero, or the new counter above the stored one.
  query = use.counter === 0 ? query.where('sign_count', '=', 0) : query.where('sign_count', '<', use.counter);
  const result = await query.executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}
