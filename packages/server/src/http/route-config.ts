import type { ErrorCode } from '../errors/catalogue.ts';
import type { Permission } from '../tenancy/permission-catalogue.ts';
import type { Principal } from '../tenancy/tenancy-service.ts';

/** What each route declares besides its schema; read by the auth hook and the OpenAPI transform. */
export interface KeywayRouteConfig {
  /** `Service:action` from the permission catalogue; the caller needs `TNT#{tenant}#Service:action`. Absent on public routes. */
  permission?: Permission;
  /**
   * `optional`: a request without an Authorization header is served as public (no principal); one
   * with it is authenticated and authorised exactly as on any protected route. Default: required.
   */
  bearer?: 'optional';
  /** Domain error codes the route can answer with (auth and validation codes are added for you). */
  errors?: ErrorCode[];
  /**
   * `continuation`: the second half of a ceremony whose first half the node already served (a WebAuthn finish).
   * Shedding it would waste that work and fail a user mid-ceremony, so the queue-delay rule spares it unless it is
   * shedding all it can (http/admission-control.ts); the number of these is bounded by the first halves admitted.
   */
  admission?: 'continuation';
}

declare module 'fastify' {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type -- declaration merging needs the interface form
  interface FastifyContextConfig extends KeywayRouteConfig {}
  interface FastifyRequest {
    principal: Principal | undefined;
  }
}

/** The principal of an authenticated route (the auth hook has run, so it is always set). */
export function principalOf(request: { principal: Principal | undefined }): Principal {
  if (!request.principal) throw new TypeError('principalOf() used on a route without a permission');
  return request.principal;
}

/** The audit actor for a request: the API client, in its tenant, with the request id. */
export function actorOf(request: { principal: Principal | undefined; id: string }): { tenantId: string; actor: string; requestId: string } {
  const principal = principalOf(request);
  return { tenantId: principal.tenantId, actor: principal.clientId, requestId: request.id };
}
