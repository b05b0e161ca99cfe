import type { FastifyInstance, RouteOptions } from 'fastify';
import { ERROR_CATALOGUE, ERROR_CODES, type ErrorCode } from '../errors/catalogue.ts';
import './route-config.ts';

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
      content: { 'application/problem+json': { schema: { $ref: 'Problem#' } } },
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
  app.addHook('onRoute', (route: RouteOptions) => {
    const config = route.config ?? {};
    // Any route can meet a database outage (503 with Retry-After) or an unexpected failure (500).
    const codes: ErrorCode[] = [...(config.errors ?? []), 'INTERNAL_ERROR', 'SERVICE_UNAVAILABLE'];
    if (route.schema?.body || route.schema?.querystring || route.schema?.params) codes.push('VALIDATION_FAILED', 'MALFORMED_REQUEST');
    if (route.schema?.body) codes.push('PAYLOAD_TOO_LARGE', 'UNSUPPORTED_MEDIA_TYPE');
    if (config.permission) codes.push('UNAUTHENTICATED', 'FORBIDDEN');
    if (config.permission && route.url.includes(':tenantId')) codes.push('TENANT_NOT_FOUND');
    const schema = (route.schema ??= {}) as Record<string, unknown>;
    schema.response = { ...problemResponses(codes), ...((schema.response as object | undefined) ?? {}) };
    if (config.permission) {
      schema.security = [{ bearerAuth: [] }];
      schema['x-keyway-permission'] = `TNT#{tenant}#${config.permission}`;
      const description = typeof schema.description === 'string' ? `${schema.description}\n\n` : '';
      schema.description = `${description}Permission: \`TNT#{tenant}#${config.permission}\``;
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
    ].join('\n'),
  },
  components: {
    securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer' }, clientBasic: { type: 'http', scheme: 'basic' } },
    schemas: { ErrorCode: { type: 'string', enum: ERROR_CODES } },
  },
} as const;
