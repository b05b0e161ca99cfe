import { Type, type TProperties } from '@sinclair/typebox';
import { EXTERNAL_ID_PATTERN } from '../identity/user-schemas.ts';
import { JOURNEY_ID_PATTERN } from '../journeys/definition.ts';
import { PolicyNameSchema, RpIdSchema } from '../passkeys/passkey-config-schemas.ts';
import { TENANT_ID_PATTERN } from '../tenancy/permissions.ts';

/**
 * Every path parameter of the API, defined once; routes build their `params` schemas from these,
 * so the same name is validated the same way on every route.
 */

export const TenantIdParam = Type.String({ pattern: TENANT_ID_PATTERN, description: 'Must be the token’s tenant' });
/** Where a malformed tenant id is just a tenant that does not exist (404, not 400): the public and runtime routes. */
export const AnyTenantIdParam = Type.String({ minLength: 1, maxLength: 128 });
/** A store's name, in paths and in the body that creates it. */
export const StoreNameSchema = Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$', description: 'Letters, digits, _ and -, at most 64' });
export const UserIdParam = Type.String({ minLength: 1, maxLength: 64 });
export const UserExtIdParam = Type.String({ pattern: EXTERNAL_ID_PATTERN });
export const RpIdParam = RpIdSchema;
export const PolicyNameParam = PolicyNameSchema;
export const CredentialIdParam = Type.String({ pattern: '^[A-Za-z0-9_-]{1,1400}={0,2}$', description: 'The WebAuthn credential ID, base64url' });
export const CeremonySessionIdParam = Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$', description: 'The sessionId the start answered' });
export const BrowserSessionIdParam = Type.String({ minLength: 1, maxLength: 64 });
export const ApiClientIdParam = Type.String({ minLength: 1, maxLength: 64 });
export const JourneyIdParam = Type.String({ pattern: JOURNEY_ID_PATTERN, description: 'Lowercase letters, digits and hyphens, at most 64' });
export const JourneySessionIdParam = Type.String({ pattern: '^[A-Za-z0-9_-]{20,100}$', description: 'The sessionId of the latest answer' });
export const VersionParam = Type.Integer({ minimum: 1, maximum: 1_000_000 });

/**
 * The params schema of a route; under the `/{tenantId}` alias prefix (the TrustX paths that name the tenant) it also
 * takes the tenant, which the auth hook matches against the token's.
 */
export function pathParams<P extends TProperties>(properties: P, options: { tenantAlias?: boolean | undefined } = {}) {
  return Type.Object({ ...(options.tenantAlias ? { tenantId: TenantIdParam } : {}), ...properties });
}
