import type { FastifyInstance, RouteOptions } from 'fastify';
import { ERROR_CATALOGUE, ERROR_CODES, type ErrorCode } from '../errors/catalogue.ts';
import { PERMISSION_CATALOGUE, PERMISSIONS, type Permission } from '../tenancy/permission-catalogue.ts';
import './route-config.ts';

/** A route as declared: what the auth hook will require of it. */
export interface DeclaredRoute {
  method: string;
  url: string;
  permission: Permission | undefined;
  bearer: 'required' | 'optional' | 'none';
}

declare module 'fastify' {
  interface FastifyInstance {
    /** Every route of the application with its permission, in declaration order (for tests and tooling). */
    declaredRoutes: readonly DeclaredRoute[];
  }
}

/** One schema object for every problem response, so its serializer is compiled once (lazy-schema-compilers.ts). */
const PROBLEM_REF = { $ref: 'Problem#' };

/** The problem responses a route can give, grouped by status, each listing its codes. */
function problemResponses(codes: ErrorCode[]): Record<number, unknown> {
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of new Set(codes)) {
    const status = ERROR_CATALOGUE[code].status;
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  const responses: Record<number, unknown> = {};
  for (const [status, list] of byStatus) {
    responses[status] = {
      description: `Error codes: ${list.join(', ')}`,
      content: { 'application/problem+json': { schema: PROBLEM_REF } },
    };
  }
  return responses;
}

/**
 * Completes each route's schema as it is declared: its problem responses (domain codes plus the
 * auth and validation codes every route can give) and, for protected routes, the permission as
 * `x-keyway-permission` and bearer security. The OpenAPI document is generated from these.
 */
export function installRouteDocumentation(app: FastifyInstance): void {
  const declared: DeclaredRoute[] = [];
  app.decorate('declaredRoutes', declared);
  app.addHook('onRoute', (route: RouteOptions) => {
    const config = route.config ?? {};
    // The type checker holds routes to the catalogue; this catches a cast at start-up.
    if (config.permission !== undefined && !Object.hasOwn(PERMISSION_CATALOGUE, config.permission)) {
      throw new TypeError(`${String(route.method)} ${route.url}: permission ${config.permission} is not in the permission catalogue`);
    }
    for (const method of [route.method].flat()) {
      declared.push({ method, url: route.url, permission: config.permission, bearer: config.permission === undefined ? 'none' : (config.bearer ?? 'required') });
    }
    // Any route can meet a database outage (503 with Retry-After) or an unexpected failure (500).
    const codes: ErrorCode[] = [...(config.errors ?? []), 'INTERNAL_ERROR', 'SERVICE_UNAVAILABLE'];
    if (route.schema?.body || route.schema?.querystring || route.schema?.params) codes.push('VALIDATION_FAILED', 'MALFORMED_REQUEST');
    if (route.schema?.body) codes.push('PAYLOAD_TOO_LARGE', 'UNSUPPORTED_MEDIA_TYPE');
    if (config.permission) codes.push('UNAUTHENTICATED', 'FORBIDDEN');
    if (config.permission && route.url.includes(':tenantId')) codes.push('TENANT_NOT_FOUND');
    const schema = (route.schema ??= {}) as Record<string, unknown>;
    schema.response = { ...problemResponses(codes), ...((schema.response as object | undefined) ?? {}) };
    if (config.permission) {
      // An optional bearer: the route also serves callers without a token (e.g. public journeys).
      schema.security = config.bearer === 'optional' ? [{}, { bearerAuth: [] }] : [{ bearerAuth: [] }];
      schema['x-keyway-permission'] = `TNT#{tenant}#${config.permission}`;
      const description = typeof schema.description === 'string' ? `${schema.description}\n\n` : '';
      schema.description = `${description}Permission: \`TNT#{tenant}#${config.permission}\` — ${PERMISSION_CATALOGUE[config.permission].description}`;
    }
  });
}

export const OPENAPI_INFO = {
  openapi: '3.1.0',
  info: {
    title: 'Keyway API',
    version: '0.1.0',
    description: [
      'Keyway is a self-hostable passkey (WebAuthn) identity platform.',
      'API callers authenticate with OAuth 2.0 client credentials (`POST /oauth2/token`) and send `Authorization: Bearer <token>`.',
      'Every error is `application/problem+json` with a stable `code`:',
      '',
      ...ERROR_CODES.map((code) => `- \`${code}\` (${ERROR_CATALOGUE[code].status}): ${ERROR_CATALOGUE[code].title}`),
      '',
      'Permissions (`TNT#{tenant}#Service:action`; `*` may stand for the action or for `Service:action`):',
      '',
      ...PERMISSIONS.map((permission) => `- \`${permission}\`: ${PERMISSION_CATALOGUE[permission].description}`),
    ].join('\n'),
  },
  components: {
    securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer' }, clientBasic: { type: 'http', scheme: 'basic' } },
    schemas: { ErrorCode: { type: 'string', enum: ERROR_CODES }, Permission: { type: 'string', enum: PERMISSIONS } },
  },
} as const;
