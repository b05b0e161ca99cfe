import type { FastifyInstance, FastifyRequest } from 'fastify';
import { KeywayError } from '../errors/keyway-error.ts';
import { isAllowed, permissionString } from '../tenancy/permissions.ts';
import type { TenancyService } from '../tenancy/tenancy-service.ts';
import './route-config.ts';

const BEARER = /^Bearer ([A-Za-z0-9._~+/=-]{1,512})$/;

/**
 * DESIGN A2, checked before any validation or handler runs: no or bad token → 401,
 * another tenant in the path → 404 (never confirm that it exists), missing permission → 403.
 */
export function installAuthentication(app: FastifyInstance, tenancy: TenancyService): void {
  app.decorateRequest('principal', undefined);
  app.addHook('onRequest', async (request: FastifyRequest) => {
    const permission = request.routeOptions.config.permission;
    if (permission === undefined) return;
    const match = BEARER.exec(request.headers.authorization ?? '');
    if (!match) {
      throw new KeywayError('UNAUTHENTICATED', 'Send Authorization: Bearer <token> from POST /oauth2/token', { headers: { 'www-authenticate': 'Bearer realm="keyway"' } });
    }
    const principal = await tenancy.authenticate(match[1]!);
    if (!principal) {
      throw new KeywayError('UNAUTHENTICATED', 'The token is unknown, expired or revoked', { headers: { 'www-authenticate': 'Bearer realm="keyway", error="invalid_token"' } });
    }
    const pathTenant = (request.params as { tenantId?: string } | undefined)?.tenantId;
    if (pathTenant !== undefined && pathTenant !== principal.tenantId) {
      throw new KeywayError('TENANT_NOT_FOUND', `No tenant ${pathTenant}`);
    }
    if (!isAllowed(principal.permissions, principal.tenantId, permission)) {
      throw new KeywayError('FORBIDDEN', `This operation needs ${permissionString(principal.tenantId, permission)}`);
    }
    request.principal = principal;
  });
}
