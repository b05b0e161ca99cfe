import type { FastifyInstance, FastifyRequest } from 'fastify';
import { KeywayError } from '../errors/keyway-error.ts';
import type { Permission } from '../tenancy/permission-catalogue.ts';
import { isAllowed, permissionString } from '../tenancy/permissions.ts';
import type { Principal, TenancyService } from '../tenancy/tenancy-service.ts';
import './route-config.ts';

// RFC 6750 §2.1: `Bearer` then the token (b64token characters).
const BEARER = /^Bearer ([A-Za-z0-9._~+/=-]{1,512})$/;

/** The principal behind an `Authorization: Bearer` header; 401 when it is absent, malformed, unknown, expired or revoked. */
async function authenticateBearer(tenancy: Pick<TenancyService, 'authenticate'>, authorization: string | undefined): Promise<Principal> {
  const match = BEARER.exec(authorization ?? '');
  if (!match) {
    throw new KeywayError('UNAUTHENTICATED', 'Send Authorization: Bearer <token> from POST /oauth2/token', {
      headers: { 'www-authenticate': 'Bearer realm="keyway"' },
    });
  }
  const principal = await tenancy.authenticate(match[1]!);
  if (!principal) {
    throw new KeywayError('UNAUTHENTICATED', 'The token is unknown, expired or revoked', {
      headers: { 'www-authenticate': 'Bearer realm="keyway", error="invalid_token"' },
    });
  }
  return principal;
}

/** Another tenant in the path → 404 (never confirm that it exists); missing permission → 403. */
function authorize(principal: Principal, permission: Permission, pathTenant: string | undefined): void {
  if (pathTenant !== undefined && pathTenant !== principal.tenantId) {
    throw new KeywayError('TENANT_NOT_FOUND', `No tenant ${pathTenant}`);
  }
  if (!isAllowed(principal.permissions, principal.tenantId, permission)) {
    throw new KeywayError('FORBIDDEN', `This operation needs ${permissionString(principal.tenantId, permission)}`);
  }
}

/** Sets the request's principal from its bearer token, if that principal may do `permission` here. */
async function authenticateRequest(tenancy: Pick<TenancyService, 'authenticate'>, request: FastifyRequest, permission: Permission): Promise<void> {
  const principal = await authenticateBearer(tenancy, request.headers.authorization);
  authorize(principal, permission, (request.params as { tenantId?: string } | undefined)?.tenantId);
  request.principal = principal;
}

/**
 * Bearer-token authentication of API callers, checked before any validation or handler runs, for
 * every route that declares a permission (the admin API and the journey runtime alike): no or bad
 * token → 401, another tenant in the path → 404, missing permission → 403.
 */
export function installAuthentication(app: FastifyInstance, tenancy: Pick<TenancyService, 'authenticate'>): void {
  app.decorateRequest('principal', undefined);
  // A callback hook, so that the routes without a permission (browsers' self-service, hosted pages) pay no promise.
  app.addHook('onRequest', (request: FastifyRequest, _reply, done) => {
    const { permission, bearer } = request.routeOptions.config;
    if (permission === undefined || (bearer === 'optional' && request.headers.authorization === undefined)) {
      done();
      return;
    }
    authenticateRequest(tenancy, request, permission).then(() => done(), done);
  });
}
