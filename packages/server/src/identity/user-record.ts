import type { ExpressionBuilder, Kysely, Selectable } from 'kysely';
import { validationError } from '../errors/keyway-error.ts';
import { IDENTIFIER_MESSAGE, normaliseIdentifier } from '../shared/identifier.ts';
import { searchText, searchWords } from '../shared/search-fold.ts';
import { precompiled } from '../storage/precompiled-query.ts';
import type { Schema, UsersTable } from '../storage/schema.ts';
import type { CreateUserInput, UpdateUserInput, User } from './user-schemas.ts';

/** Mapping between the API's user and its row. Optional fields absent in the row are omitted. */
export function toUser(row: Selectable<UsersTable>): User {
  const locale = {
    ...(row.locale_country ? { country: row.locale_country } : {}),
    ...(row.locale_language ? { language: row.locale_language } : {}),
    ...(row.locale_variant ? { variant: row.locale_variant } : {}),
  };
  return {
    id: row.id,
    userKey: row.user_key,
    externalId: row.external_id,
    ...(row.email === null ? {} : { email: row.email, emailVerified: row.email_verified_at !== null }),
    ...(row.first_name === null ? {} : { firstName: row.first_name }),
    ...(row.last_name === null ? {} : { lastName: row.last_name }),
    ...(row.date_of_birth === null ? {} : { dateOfBirth: row.date_of_birth }),
    ...(Object.keys(locale).length > 0 ? { locale } : {}),
    nationalities: row.nationalities === null ? [] : (JSON.parse(row.nationalities) as string[]),
    status: row.status,
    ...(row.timezone === null ? {} : { timezone: row.timezone }),
    ...(row.type === null ? {} : { type: row.type }),
    attributes: JSON.parse(row.attributes) as Record<string, string>,
    createdAt: new Date(row.created_at).toISOString(),
    updatedAt: new Date(row.updated_at).toISOString(),
  };
}

const toList = (value: string | string[]) => (Array.isArray(value) ? value : [value]);

/** E-mail addresses are stored in their comparison form (shared/identifier.ts) so lookups by e-mail are exact and indexed. */
export const normaliseEmail = (email: string) => normaliseIdentifier(email) ?? email.toLowerCase();

/**
 * The comparison form of a user key, which is unique per store. Request schemas check the rule already
 * (format `identifier`); this covers callers inside the process, such as journey steps.
 */
export function userKeyColumns(userKey: string): { user_key: string; user_key_normalized: string } {
  const normalised = normaliseIdentifier(userKey);
  if (normalised === undefined) throw validationError('userKey', IDENTIFIER_MESSAGE);
  return { user_key: userKey, user_key_normalized: normalised };
}

type UserColumns = Omit<Selectable<UsersTable>, 'id' | 'tenant_id' | 'store_id' | 'created_at' | 'updated_at' | 'user_handle' | 'edit_version'>;

/** The columns a users search (`q`) looks in, in the order `search_text` holds them. */
const SEARCHED_COLUMNS = ['user_key', 'email', 'external_id', 'first_name', 'last_name'] as const;

export type SearchedUserFields = Pick<Selectable<UsersTable>, (typeof SEARCHED_COLUMNS)[number]>;

/**
 * `search_text` of a user with these fields: what a users search looks in, folded in JavaScript (shared/search-fold.ts)
 * since SQL lower() folds differently per engine and locale (ASCII only on SQLite and a C-locale PostgreSQL). The
 * column mappings below write it with the fields (columnsForCreate, columnsForUpdate), so no write path forgets it;
 * migration 038 wrote it for the users stored before it.
 */
export function userSearchText(fields: SearchedUserFields): string {
  return searchText(SEARCHED_COLUMNS.map((column) => fields[column]));
}

/** The words of a users search, folded as `search_text` is; at most 8, so a search stays a bounded query. */
export function userSearchWords(q: string | undefined): string[] {
  return searchWords(q, 8);
}

export function columnsForCreate(input: CreateUserInput, externalId: string): UserColumns {
  const columns = {
    ...userKeyColumns(input.userKey),
    external_id: externalId,
    email: input.email === undefined ? null : normaliseEmail(input.email),
    email_verified_at: null,
    first_name: input.firstName ?? null,
    last_name: input.lastName ?? null,
    date_of_birth: input.dateOfBirth ?? null,
    locale_country: input.locale?.country ?? null,
    locale_language: input.locale?.language ?? null,
    locale_variant: input.locale?.variant ?? null,
    nationalities: input.nationalities === undefined ? null : JSON.stringify(toList(input.nationalities)),
    status: input.status ?? 'active',
    timezone: input.timezone ?? null,
    type: input.type ?? null,
    attributes: JSON.stringify(input.attributes ?? {}),
  };
  return { ...columns, search_text: userSearchText(columns) };
}

/**
 * The condition "this user has that key", by comparison form; a legacy user whose key has no comparison form
 * (refused by the rule, or a collision left by the migration to it) is still found by its exact key.
 */
export function userKeyMatches(userKey: string) {
  return keyMatches(userKey, normaliseIdentifier(userKey));
}

/** userKeyMatches with the comparison form given (undefined: the key has none). */
function keyMatches(userKey: string, normalised: string | undefined) {
  return (eb: ExpressionBuilder<Schema, 'users'>) => {
    const legacy = eb.and([eb('users.user_key_normalized', 'is', null), eb('users.user_key', '=', userKey)]);
    return normalised === undefined ? legacy : eb.or([eb('users.user_key_normalized', '=', normalised), legacy]);
  };
}

/** The user of a store with this key (see userKeyMatches). */
export async function findUserByKey(db: Kysely<Schema>, storeId: string, userKey: string): Promise<Selectable<UsersTable> | undefined> {
  const normalised = normaliseIdentifier(userKey);
  return normalised === undefined ? userByLegacyKey.first(db, { storeId, userKey }) : userByKey.first(db, { storeId, userKey, normalised });
}

// Identifier-first sign-in and sign-up look the user up on every request: built once.
const userByKey = precompiled((db, v: { storeId: string; userKey: string; normalised: string }) =>
  db.selectFrom('users').selectAll().where('store_id', '=', v.storeId).where(keyMatches(v.userKey, v.normalised)),
);
const userByLegacyKey = precompiled((db, v: { storeId: string; userKey: string }) =>
  db.selectFrom('users').selectAll().where('store_id', '=', v.storeId).where(keyMatches(v.userKey, undefined)),
);

/**
 * Only the fields present in the patch; `null` clears. `current`: the stored user, whose address a patch may repeat
 * and whose other searched fields go into `search_text` with the patched ones.
 */
export function columnsForUpdate(patch: UpdateUserInput, current: SearchedUserFields): Partial<UserColumns> {
  const columns: Partial<UserColumns> = {};
  if (patch.userKey !== undefined) Object.assign(columns, userKeyColumns(patch.userKey));
  if (patch.externalId !== undefined) columns.external_id = patch.externalId;
  if (patch.email !== undefined) {
    columns.email = patch.email === null ? null : normaliseEmail(patch.email);
    // A new address is not verified by the old one's verification; the same address sent back (a client that PATCHes
    // the whole user, in any letter case) keeps it.
    if (columns.email !== current.email) columns.email_verified_at = null;
  }
  if (patch.firstName !== undefined) columns.first_name = patch.firstName;
  if (patch.lastName !== undefined) columns.last_name = patch.lastName;
  if (patch.dateOfBirth !== undefined) columns.date_of_birth = patch.dateOfBirth;
  if (patch.locale !== undefined) {
    columns.locale_country = patch.locale?.country ?? null;
    columns.locale_language = patch.locale?.language ?? null;
    columns.locale_variant = patch.locale?.variant ?? null;
  }
  if (patch.nationalities !== undefined) columns.nationalities = patch.nationalities === null ? null : JSON.stringify(toList(patch.nationalities));
  if (patch.status !== undefined) columns.status = patch.status;
  if (patch.timezone !== undefined) columns.timezone = patch.timezone;
  if (patch.type !== undefined) columns.type = patch.type;
  if (patch.attributes !== undefined) columns.attributes = JSON.stringify(patch.attributes ?? {});
  if (SEARCHED_COLUMNS.some((column) => column in columns)) columns.search_text = userSearchText({ ...current, ...columns });
  return columns;
}

/** A locked or disabled account: it signs in nowhere (passkeys, OpenID Connect, journeys, self-service). */
export function isSignInBarred(status: string): boolean {
  return status === 'locked' || status === 'disabled';
}
