import type { Selectable } from 'kysely';
import type { UsersTable } from '../storage/schema.ts';

/** Claims by scope (OpenID Connect Core §5.4), plus Keyway's own in `openid` (as its sign-in ID tokens carry them). */
export const CLAIMS_BY_SCOPE = {
  // acr and amr always: how the user signed in is what a passkey provider is for. device_keys: the user's bound devices.
  openid: ['sub', 'acr', 'amr', 'store', 'external_id', 'device_keys'],
  profile: ['name', 'given_name', 'family_name', 'middle_name', 'preferred_username', 'birthdate', 'locale', 'zoneinfo', 'updated_at'],
  email: ['email', 'email_verified'],
  phone: ['phone_number', 'phone_number_verified'],
  address: ['address'],
  // The organization the sign-in was for (the `organization` authorization parameter), and the user's roles there.
  organization: ['org_id', 'org_roles'],
};

/** The authorization parameter naming the organization a sign-in is for (an organization id of the client's store). */
export const ORGANIZATION_PARAMETER = 'organization';
export const ORGANIZATION_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
/** The claims a sign-in for an organization asks the grant for. */
export const ORGANIZATION_CLAIMS = ['org_id', 'org_roles'];

/** The organization the claims requested for an ID token or userinfo carry (set from the authorization parameter), if any. */
export function requestedOrganization(requested: Record<string, unknown> | undefined): string | undefined {
  const value = (requested?.org_id as { value?: unknown } | null | undefined)?.value;
  return typeof value === 'string' ? value : undefined;
}

/**
 * The standard claims (OpenID Connect Core §5.1) of a user, from the Add User fields. Only what is stored is
 * answered: an absent field is an absent claim, never an empty string. Fields without a column of their own
 * (middle name, phone number, postal address) come from the user's attributes under `middleName`, `phoneNumber`
 * and `address`. Nothing is claimed verified unless an attribute says so (`emailVerified`/`phoneNumberVerified`
 * = "true"): Keyway does not verify e-mail addresses or phone numbers itself.
 */
export function userClaims(user: Selectable<UsersTable>, storeName: string): Record<string, unknown> {
  const attributes = JSON.parse(user.attributes || '{}') as Record<string, string>;
  const claims: Record<string, unknown> = { sub: user.id, store: storeName, external_id: user.external_id, preferred_username: user.user_key };
  const names = [user.first_name, attributes.middleName, user.last_name].filter((part): part is string => typeof part === 'string' && part !== '');
  if (names.length > 0) claims.name = names.join(' ');
  if (user.first_name) claims.given_name = user.first_name;
  if (user.last_name) claims.family_name = user.last_name;
  if (attributes.middleName) claims.middle_name = attributes.middleName;
  if (user.date_of_birth) claims.birthdate = user.date_of_birth;
  // BCP 47 language tag (§5.1 `locale`): language, then region.
  if (user.locale_language) claims.locale = user.locale_country ? `${user.locale_language}-${user.locale_country}` : user.locale_language;
  if (user.timezone) claims.zoneinfo = user.timezone;
  claims.updated_at = Math.floor(Number(user.updated_at) / 1000);
  if (user.email) {
    claims.email = user.email;
    claims.email_verified = attributes.emailVerified === 'true';
  }
  if (attributes.phoneNumber) {
    claims.phone_number = attributes.phoneNumber;
    claims.phone_number_verified = attributes.phoneNumberVerified === 'true';
  }
  if (attributes.address) claims.address = { formatted: attributes.address };
  return claims;
}
