import type { Kysely, Selectable } from 'kysely';
import { isSignInBarred } from '../identity/user-record.ts';
import { KeywayError } from '../errors/keyway-error.ts';
import type { UserRef } from '../identity/identity-service.ts';
import { everyColumn } from '../storage/joined-row.ts';
import { precompiled } from '../storage/precompiled-query.ts';
import type { Schema, UsersTable } from '../storage/schema.ts';
import type { CredentialDescriptor } from './credential-store.ts';

/** The user rows ceremonies work with: found within one store, usable only while not locked or disabled. */

export type UserRow = Selectable<UsersTable>;

/** Every column of a user row, for statements that read one joined to another table (storage/joined-row.ts). */
export const USER_COLUMNS = everyColumn<UserRow>({
  id: true,
  tenant_id: true,
  store_id: true,
  user_key: true,
  user_key_normalized: true,
  external_id: true,
  email: true,
  first_name: true,
  last_name: true,
  date_of_birth: true,
  locale_country: true,
  locale_language: true,
  locale_variant: true,
  nationalities: true,
  status: true,
  timezone: true,
  type: true,
  attributes: true,
  user_handle: true,
  email_verified_at: true,
  created_at: true,
  updated_at: true,
  edit_version: true,
  search_text: true,
});

/**
 * A user the caller already looked up, with that user's credentials for the ceremony's RP: self-service does, to
 * answer known and unknown identifiers alike (sign-in) and to start with the account it just created (sign-up).
 */
export interface ResolvedUser {
  row: UserRow;
  credentials: readonly CredentialDescriptor[];
}

export async function findUserInStore(db: Kysely<Schema>, storeId: string, ref: UserRef): Promise<UserRow | undefined> {
  return 'id' in ref ? userById.first(db, { storeId, id: ref.id }) : userByExternalId.first(db, { storeId, externalId: ref.externalId });
}

// Every ceremony reads its user: built once.
const userById = precompiled((db, v: { storeId: string; id: string }) =>
  db.selectFrom('users').selectAll().where('store_id', '=', v.storeId).where('id', '=', v.id),
);
const userByExternalId = precompiled((db, v: { storeId: string; externalId: string }) =>
  db.selectFrom('users').selectAll().where('store_id', '=', v.storeId).where('external_id', '=', v.externalId),
);

export async function getUserInStore(db: Kysely<Schema>, storeId: string, storeName: string, ref: UserRef): Promise<UserRow> {
  const row = await findUserInStore(db, storeId, ref);
  if (!row)
    throw new KeywayError(
      'USER_NOT_FOUND',
      'id' in ref ? `No user ${ref.id} in store ${storeName}` : `No user with externalId ${ref.externalId} in store ${storeName}`,
    );
  return row;
}

/** Locked and disabled users cannot use passkeys, neither to start nor to complete a ceremony. */
export function assertMayUsePasskeys(user: UserRow): void {
  if (isSignInBarred(user.status)) {
    throw new KeywayError('USER_DISABLED', `User ${user.id} is ${user.status} and cannot use passkeys`);
  }
}
