import type { Kysely, Selectable } from 'kysely';
import { newTimeOrderedId } from '../shared/time-ordered-id.ts';
import type { CredentialsTable, Schema } from '../storage/schema.ts';
import { describeAuthenticator } from './authenticator-catalog.ts';
import type { VerifiedRegistration } from './registration-verification.ts';
import { toBase64url } from './webauthn-encoding.ts';
import { precompiled } from '../storage/precompiled-query.ts';
import { everyColumn, JoinedRowSplit, prefixedColumns, qualifiedColumns } from '../storage/joined-row.ts';
import { USER_COLUMNS, type UserRow } from './ceremony-user.ts';

/**
 * SQL for credential records, shared by the ceremonies and the passkey API. Every lookup is scoped
 * by tenant and store; the credential ID alone is unique across the database (WebAuthn §7.1 step 27).
 */

export type CredentialRow = Selectable<CredentialsTable>;

/** Every column of a credential row, for statements that read one joined to another table (storage/joined-row.ts). */
const CREDENTIAL_COLUMNS = everyColumn<CredentialRow>({
  id: true,
  credential_id: true,
  tenant_id: true,
  store_id: true,
  user_id: true,
  rp_id: true,
  public_key: true,
  algorithm: true,
  sign_count: true,
  transports: true,
  aaguid: true,
  backup_eligible: true,
  backed_up: true,
  user_verified: true,
  attestation_format: true,
  attestation_verified: true,
  name: true,
  created_at: true,
  updated_at: true,
  last_used_at: true,
  created_device: true,
});

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
  const rows = await descriptorsOfUser.rows(db, { userId, rpId });
  return rows.map((row) => ({ id: row.credential_id, transports: JSON.parse(row.transports) as string[] }));
}

/** A credential of one store and RP ID, or undefined: another tenant's or store's credential is never found. */
export async function findCredential(
  db: Kysely<Schema>,
  scope: { tenantId: string; storeId: string; rpId: string },
  credentialId: string,
): Promise<CredentialRow | undefined> {
  return credentialInScope.first(db, { credentialId, tenantId: scope.tenantId, storeId: scope.storeId, rpId: scope.rpId });
}

/**
 * findCredential with the user it belongs to, read in one statement (a sign-in reads both). The user is looked for in
 * the same store; `owner` is undefined if there is none.
 */
export async function findCredentialWithOwner(
  db: Kysely<Schema>,
  scope: { tenantId: string; storeId: string; rpId: string },
  credentialId: string,
): Promise<{ record: CredentialRow; owner: UserRow | undefined } | undefined> {
  const row = await credentialWithOwnerInScope.first(db, { credentialId, tenantId: scope.tenantId, storeId: scope.storeId, rpId: scope.rpId });
  if (!row) return undefined;
  const { first: record, second: owner } = credentialWithOwner.split(row);
  return { record, owner };
}

/** A user's credential by its WebAuthn ID, or undefined. */
export async function findUserCredential(db: Kysely<Schema>, userId: string, credentialId: string): Promise<CredentialRow | undefined> {
  return db.selectFrom('credentials').selectAll().where('user_id', '=', userId).where('credential_id', '=', credentialId).executeTakeFirst();
}

export async function insertCredential(db: Kysely<Schema>, row: CredentialRow): Promise<void> {
  await insertCredentialRow.execute(db, row);
}

/**
 * Records a sign-in: the new counter, backup state and time of use, as a compare-and-set of the
 * counter rule itself. The row is updated only if the counter still advances over what is stored
 * *now*, so of two concurrent assertions with the same counter at most one passes, while two
 * legitimately increasing ones (7 then 8) both do. Answers whether the row was updated.
 */
export async function recordCredentialUse(db: Kysely<Schema>, id: string, use: { counter: number; backedUp: boolean; at: number }): Promise<boolean> {
  const values = { id, counter: use.counter, backedUp: use.backedUp ? 1 : 0, at: use.at };
  // WebAuthn §7.2 step 23 as SQL: both zero, or the new counter above the stored one.
  return (await (use.counter === 0 ? recordUseWithoutCounter : recordUseWithCounter).run(db, values)) === 1;
}

// Built once: every identifier-first sign-in lists the user's passkeys, every sign-in reads and updates one, every
// sign-up stores one (a whole row, every column named).
const insertCredentialRow = precompiled((db, row: CredentialRow) => db.insertInto('credentials').values(row));
const descriptorsOfUser = precompiled((db, v: { userId: string; rpId: string }) =>
  db
    .selectFrom('credentials')
    .select(['credential_id', 'transports'])
    .where('user_id', '=', v.userId)
    .where('rp_id', '=', v.rpId)
    .orderBy('id')
    .limit(MAX_CREDENTIALS_PER_USER_AND_RP),
);
const credentialInScope = precompiled((db, v: { credentialId: string; tenantId: string; storeId: string; rpId: string }) =>
  db
    .selectFrom('credentials')
    .selectAll()
    .where('credential_id', '=', v.credentialId)
    .where('tenant_id', '=', v.tenantId)
    .where('store_id', '=', v.storeId)
    .where('rp_id', '=', v.rpId),
);
const credentialWithOwner = new JoinedRowSplit<CredentialRow, UserRow>(CREDENTIAL_COLUMNS, USER_COLUMNS, 'owner_');
const credentialWithOwnerInScope = precompiled((db, v: { credentialId: string; tenantId: string; storeId: string; rpId: string }) =>
  db
    .selectFrom('credentials')
    .leftJoin('users', (join) => join.onRef('users.id', '=', 'credentials.user_id').on('users.store_id', '=', v.storeId))
    .select(qualifiedColumns('credentials', CREDENTIAL_COLUMNS))
    .select(prefixedColumns('users', USER_COLUMNS, 'owner_'))
    .where('credentials.credential_id', '=', v.credentialId)
    .where('credentials.tenant_id', '=', v.tenantId)
    .where('credentials.store_id', '=', v.storeId)
    .where('credentials.rp_id', '=', v.rpId),
);
type CredentialUse = { id: string; counter: number; backedUp: number; at: number };
const recordUse = (db: Kysely<Schema>, v: CredentialUse) =>
  db.updateTable('credentials').set({ sign_count: v.counter, backed_up: v.backedUp, last_used_at: v.at, updated_at: v.at }).where('id', '=', v.id);
const recordUseWithCounter = precompiled((db, v: CredentialUse) => recordUse(db, v).where('sign_count', '<', v.counter));
const recordUseWithoutCounter = precompiled((db, v: CredentialUse) => recordUse(db, v).where('sign_count', '=', 0));
