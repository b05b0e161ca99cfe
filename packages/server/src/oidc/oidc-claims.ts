import type { Selectable } from 'kysely';
import type { UsersTable } from '../storage/schema.ts';

/** Claims by scope (OpenID Connect Core §5.4), plus Keyway's own in `openid` (as its sign-in ID tokens carry them). */
export const CLAIMS_BY_SCOPE = {
  // acr and amr always: how the user signed in is what a passkey provider is for. device_keys: the user's bound devices.
  // external_id and device_keys not for a pairwise client (CORRELATING_CLAIMS).
  openid: ['sub', 'acr', 'amr', 'store', 'external_id', 'device_keys'],
  profile: ['name', 'given_name', 'family_name', 'middle_name', 'preferred_username', 'birthdate', 'locale', 'zoneinfo', 'updated_at'],
  email: ['email', 'email_verified'],
  phone: ['phone_number', 'phone_number_verified'],
  address: ['address'],
  // The organization the sign-in was for (the `organization` authorization parameter), and the user's roles there.
  organization: ['org_id', 'org_roles'],
};

/** Claims of no scope, which the provider states itself (auth_time, iss, the session's sid); a client may name them too. */
export const CLAIMS_OF_NO_SCOPE = ['auth_time', 'iss', 'sid'] as const;

/**
 * Claims that are the same for a user at every client: external_id (the user's id in the operator's systems) and
 * device_keys (the thumbprints of the user's device keys, one key per device and store). Beside a pairwise `sub` they
 * would let clients join what they know of the user again (OpenID Connect Core §8, §17.3), so a pairwise client does
 * not get them.
 */
export const CORRELATING_CLAIMS = ['external_id', 'device_keys'] as const;

function claimsOfScope(scope: string): readonly string[] {
  // Own properties only: a scope named `constructor` or `__proto__` has no claims.
  return Object.hasOwn(CLAIMS_BY_SCOPE, scope) ? CLAIMS_BY_SCOPE[scope as keyof typeof CLAIMS_BY_SCOPE] : [];
}

/**
 * The claims a client registered with `scopes` (its `scope` metadata, space-separated) may receive, however it asks:
 * those of its registered scopes (OpenID Connect Core §5.4) and those of no scope. Naming a claim in the `claims`
 * parameter (§5.5) is another way to ask, not a way round the registration; `openid` is always in.
 */
export function claimsForScopes(scopes: string | undefined): Set<string> {
  const allowed = new Set<string>([...CLAIMS_OF_NO_SCOPE, ...CLAIMS_BY_SCOPE.openid]);
  for (const scope of (scopes ?? '').split(' ')) for (const claim of claimsOfScope(scope)) allowed.add(claim);
  return allowed;
}

/** The scopes (other than `openid`, shown always) whose sentences on the consent screen cover the claims named. */
export function scopesOfClaims(claims: Iterable<string>): string[] {
  const scopes = new Set<string>();
  for (const claim of claims) {
    const scope = Object.keys(CLAIMS_BY_SCOPE).find((name) => name !== 'openid' && claimsOfScope(name).includes(claim));
    if (scope) scopes.add(scope);
  }
  return [...scopes];
}

/** The claims named in a `claims` parameter (OpenID Connect Core §5.5), for the ID token or userinfo; none if malformed. */
export function claimsNamedIn(parameter: unknown): string[] {
  if (typeof parameter !== 'string') return [];
  try {
    const parsed = JSON.parse(parameter) as { id_token?: unknown; userinfo?: unknown } | null;
    const members = [parsed?.id_token, parsed?.userinfo].filter((value): value is object => typeof value === 'object' && value !== null);
    return [...new Set(members.flatMap((value) => Object.keys(value)))];
  } catch {
    return [];
  }
}

/** The authorization parameter naming the organization a sign-in is for (an organization id of the client's store). */
export const ORGANIZATION_PARAMETER = 'organization';
export const ORGANIZATION_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
/** The claims a sign-in for an organization asks the grant for. */
export const ORGANIZATION_CLAIMS = ['org_id', 'org_roles'];

type ClaimsRequest = { id_token?: Record<string, unknown>; userinfo?: Record<string, unknown> } & Record<string, unknown>;

/**
 * A `claims` parameter (OpenID Connect Core §5.5) without the claims the client may not have: those outside `allowed`
 * (claimsForScopes), and the organization's, which only the `organization` parameter asks for, after its membership and
 * policy check (a named `org_id` value would otherwise state an organization that check never saw).
 */
export function claimsRequestWithin(request: ClaimsRequest, allowed: ReadonlySet<string>): ClaimsRequest {
  const keep = (members: Record<string, unknown>) =>
    Object.fromEntries(Object.entries(members).filter(([claim]) => allowed.has(claim) && !ORGANIZATION_CLAIMS.includes(claim)));
  return {
    ...request,
    ...(request.id_token === undefined ? {} : { id_token: keep(request.id_token) }),
    ...(request.userinfo === undefined ? {} : { userinfo: keep(request.userinfo) }),
  };
}

/**
 * What the provider may release of a user's claims to a client: only claims of its registered scopes, however they were
 * asked for and whatever a grant stored before says; for a pairwise client none of the correlating ones (OpenID Connect
 * Core §8: a pairwise `sub` keeps clients of different sectors from joining what they know of a user, which the claims
 * every client gets with `openid` must not undo).
 */
export function releasableClaims(
  claims: { sub: string } & Record<string, unknown>,
  client: { scope?: string | undefined; subjectType?: string | undefined },
): { sub: string } & Record<string, unknown> {
  const allowed = claimsForScopes(client.scope);
  if (client.subjectType === 'pairwise') for (const claim of CORRELATING_CLAIMS) allowed.delete(claim);
  return { ...Object.fromEntries(Object.entries(claims).filter(([claim]) => allowed.has(claim))), sub: claims.sub };
}

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
