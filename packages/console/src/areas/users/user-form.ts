// The Add User fields as a form's strings, and back to the API's shape. Empty means "not given" on
// create and "clear it" (null) on edit; the API validates every field and names the ones it refuses.
import type { components } from '../../api/schema.ts';

export type User = components['schemas']['User'];
export type CreateUserRequest = components['schemas']['CreateUserRequest'];
export type UpdateUserRequest = components['schemas']['UpdateUserRequest'];
export const USER_STATUSES = ['active', 'pending', 'locked', 'disabled'] as const;
export type UserStatus = (typeof USER_STATUSES)[number];

export interface UserFormValues {
  userKey: string;
  externalId: string;
  email: string;
  firstName: string;
  lastName: string;
  dateOfBirth: string;
  country: string;
  language: string;
  variant: string;
  /** Comma- or space-separated ISO 3166-1 codes. */
  nationalities: string;
  status: UserStatus;
  timezone: string;
  type: string;
  /** One `key=value` per line. */
  attributes: string;
}

export const EMPTY_USER_FORM: UserFormValues = {
  userKey: '',
  externalId: '',
  email: '',
  firstName: '',
  lastName: '',
  dateOfBirth: '',
  country: '',
  language: '',
  variant: '',
  nationalities: '',
  status: 'active',
  timezone: '',
  type: '',
  attributes: '',
};

export function formFromUser(user: User): UserFormValues {
  return {
    userKey: user.userKey,
    externalId: user.externalId,
    email: user.email ?? '',
    firstName: user.firstName ?? '',
    lastName: user.lastName ?? '',
    dateOfBirth: user.dateOfBirth ?? '',
    country: user.locale?.country ?? '',
    language: user.locale?.language ?? '',
    variant: user.locale?.variant ?? '',
    nationalities: user.nationalities.join(', '),
    status: (USER_STATUSES as readonly string[]).includes(user.status) ? (user.status as UserStatus) : 'active',
    timezone: user.timezone ?? '',
    type: user.type ?? '',
    attributes: Object.entries(user.attributes)
      .map(([k, v]) => `${k}=${v}`)
      .join('\n'),
  };
}

function attributesOf(text: string): Record<string, string> {
  const entries = text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '')
    .map((line) => {
      const at = line.indexOf('=');
      return at < 0 ? [line, ''] : [line.slice(0, at).trim(), line.slice(at + 1).trim()];
    });
  return Object.fromEntries(entries);
}

function localeOf(v: UserFormValues): { country?: string; language?: string; variant?: string } | undefined {
  const locale = {
    ...(v.country.trim() ? { country: v.country.trim() } : {}),
    ...(v.language.trim() ? { language: v.language.trim() } : {}),
    ...(v.variant.trim() ? { variant: v.variant.trim() } : {}),
  };
  return Object.keys(locale).length > 0 ? locale : undefined;
}

const nationalitiesOf = (text: string) => text.split(/[\s,]+/).filter((code) => code !== '');

export function createRequest(v: UserFormValues): CreateUserRequest {
  const optional = (value: string) => (value.trim() === '' ? undefined : value.trim());
  const locale = localeOf(v);
  const attributes = attributesOf(v.attributes);
  const request: Record<string, unknown> = {
    userKey: v.userKey,
    externalId: optional(v.externalId),
    email: optional(v.email),
    firstName: optional(v.firstName),
    lastName: optional(v.lastName),
    dateOfBirth: optional(v.dateOfBirth),
    locale,
    nationalities: nationalitiesOf(v.nationalities).length > 0 ? nationalitiesOf(v.nationalities) : undefined,
    status: v.status,
    timezone: optional(v.timezone),
    type: optional(v.type),
    attributes: Object.keys(attributes).length > 0 ? attributes : undefined,
  };
  return Object.fromEntries(Object.entries(request).filter(([, value]) => value !== undefined)) as CreateUserRequest;
}

/** Only what changed; a cleared optional field is sent as null. */
export function updateRequest(before: UserFormValues, v: UserFormValues): UpdateUserRequest {
  const changes: Record<string, unknown> = {};
  const text = (key: 'userKey' | 'externalId' | 'email' | 'firstName' | 'lastName' | 'dateOfBirth' | 'timezone' | 'type', clearable: boolean) => {
    if (before[key] === v[key]) return;
    changes[key] = v[key].trim() === '' && clearable ? null : v[key].trim();
  };
  text('userKey', false);
  text('externalId', false);
  text('email', true);
  text('firstName', true);
  text('lastName', true);
  text('dateOfBirth', true);
  text('timezone', true);
  text('type', true);
  if (before.country !== v.country || before.language !== v.language || before.variant !== v.variant) changes.locale = localeOf(v) ?? null;
  if (before.nationalities !== v.nationalities) changes.nationalities = nationalitiesOf(v.nationalities);
  if (before.status !== v.status) changes.status = v.status;
  if (before.attributes !== v.attributes) changes.attributes = attributesOf(v.attributes);
  return changes as UpdateUserRequest;
}
