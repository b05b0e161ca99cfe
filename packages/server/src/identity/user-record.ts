import type { Selectable } from 'kysely';
import type { UsersTable } from '../storage/schema.ts';
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
    ...(row.email === null ? {} : { email: row.email }),
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

/** E-mail addresses are stored lower-cased so lookups by e-mail are exact and indexed. */
const normaliseEmail = (email: string) => email.toLowerCase();

type UserColumns = Omit<Selectable<UsersTable>, 'id' | 'tenant_id' | 'store_id' | 'created_at' | 'updated_at' | 'user_handle'>;

export function columnsForCreate(input: CreateUserInput, externalId: string): UserColumns {
  return {
    user_key: input.userKey,
    external_id: externalId,
    email: input.email === undefined ? null : normaliseEmail(input.email),
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
}

/** Only the fields present in the patch; `null` clears. */
export function columnsForUpdate(patch: UpdateUserInput): Partial<UserColumns> {
  const columns: Partial<UserColumns> = {};
  if (patch.userKey !== undefined) columns.user_key = patch.userKey;
  if (patch.externalId !== undefined) columns.external_id = patch.externalId;
  if (patch.email !== undefined) columns.email = patch.email === null ? null : normaliseEmail(patch.email);
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
  return columns;
}
