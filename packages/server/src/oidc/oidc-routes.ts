import type { IncomingMessage } from 'node:http';
import { Type } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { KeywayError } from '../errors/keyway-error.ts';
import { AnyTenantIdParam } from '../http/path-params.ts';
import type { OidcPages } from './oidc-pages.ts';
import { OIDC_ROUTES } from './oidc-provider-factory.ts';
import type { AuthorizationEndpoint, OidcProviders } from './oidc-providers.ts';

export interface OidcRoutesOptions {
  providers: Pick<OidcProviders, 'handlerFor' | 'chargeAuthorization'>;
  /** KEYWAY_PUBLIC_URL: the scheme and host every URL the provider makes starts with */
  publicUrl: string;
  /** The error page of a refused authorization request */
  pages: Pick<OidcPages, 'render'>;
}

const TenantParams = Type.Object({ tenantId: AnyTenantIdParam });

/**
 * The endpoint whose requests start an authorization, by the path below the issuer as the provider's router matches it
 * (any case, one trailing slash): the authorization endpoint, not its resume (`/oidc/auth/{uid}`, which needs the
 * interaction cookie of a request already charged), and the pushed authorization request endpoint. A CORS preflight
 * (OPTIONS) starts nothing.
 */
const AUTHORIZATION_PATH = OIDC_ROUTES.authorization.toUpperCase();
const PUSHED_AUTHORIZATION_PATH = OIDC_ROUTES.pushed_authorization_request.toUpperCase();

export function authorizationEndpointOf(method: string, path: string): AuthorizationEndpoint | undefined {
  if (method === 'OPTIONS') return undefined;
  const query = path.indexOf('?');
  let pathname = (query === -1 ? path : path.slice(0, query)).toUpperCase();
  if (pathname.length > 1 && pathname.endsWith('/')) pathname = pathname.slice(0, -1);
  if (pathname === AUTHORIZATION_PATH) return 'authorization';
  if (pathname === PUSHED_AUTHORIZATION_PATH) return 'pushed';
  return undefined;
}

const OpenIdConfigurationSchema = Type.Object(
  {
    issuer: Type.String(),
    jwks_uri: Type.String(),
    authorization_endpoint: Type.String(),
    token_endpoint: Type.String(),
    userinfo_endpoint: Type.String(),
    revocation_endpoint: Type.String(),
    introspection_endpoint: Type.String(),
    end_session_endpoint: Type.String(),
    pushed_authorization_request_endpoint: Type.String(),
    id_token_signing_alg_values_supported: Type.Array(Type.String()),
    subject_types_supported: Type.Array(Type.String()),
    claims_supported: Type.Array(Type.String()),
    scopes_supported: Type.Array(Type.String()),
    response_types_supported: Type.Array(Type.String()),
    grant_types_supported: Type.Array(Type.String()),
    code_challenge_methods_supported: Type.Array(Type.String()),
    acr_values_supported: Type.Array(Type.String()),
  },
  { title: 'OpenIdConfiguration', additionalProperties: true },
);

/**
 * The tenant's OpenID Provider mounted in Keyway's HTTP server: discovery at `/{tenantId}/.well-known/openid-configuration`
 * and the protocol endpoints under `/{tenantId}/oidc/`. The request goes to the provider untouched (its own body
 * parsing, errors and responses, as the protocol specifies them), with the path below the issuer and the public URL's
 * scheme and host, so every URL it makes is under `{KEYWAY_PUBLIC_URL}/{tenantId}`.
 */
export async function oidcRoutes(fastify: FastifyInstance, options: OidcRoutesOptions): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const publicUrl = new URL(options.publicUrl);
  // The provider reads the body itself (form-encoded, RFC 6749 §4.1.3): nothing here may consume it.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_request, _payload, done) => done(null, undefined));

  /**
   * Answers a refusal as the provider answers its own errors, with the status and Retry-After of RFC 6585 §4 (RFC 9126
   * §2.3 names 429 for PAR): an authorization request, which a browser is sent to, gets the provider's error page (the
   * request is not redirected to the client: its client and redirect URI were not checked, which is the work refused);
   * a pushed one, from the client's server, a JSON error (RFC 6749 §5.2). `temporarily_unavailable` (RFC 6749
   * §4.1.2.1) is the OAuth error for a request the server cannot take now.
   */
  const refuse = async (request: FastifyRequest, reply: FastifyReply, endpoint: AuthorizationEndpoint, refusal: KeywayError) => {
    const { tenantId } = request.params as { tenantId: string };
    const headers = { ...refusal.headers, 'cache-control': 'no-store' };
    if (endpoint === 'pushed') {
      return reply.code(429).headers(headers).send({ error: 'temporarily_unavailable', error_description: refusal.detail });
    }
    const rendered = await options.pages.render(
      {
        tenantId,
        acceptLanguage: request.headers['accept-language'],
        uiLocales: (request.query as Record<string, unknown> | undefined)?.['ui_locales'],
        url: request.url,
      },
      { kind: 'error', reason: 'tooManyRequests', error: 'temporarily_unavailable', description: refusal.detail },
    );
    return reply
      .code(429)
      .headers({ ...rendered.headers, ...headers })
      .type('text/html; charset=utf-8')
      .send(rendered.html);
  };

  const forward = async (request: FastifyRequest, reply: FastifyReply) => {
    const { tenantId } = request.params as { tenantId: string };
    // TENANT_NOT_FOUND (problem+json) for an unknown tenant, before the provider is involved.
    const handle = await options.providers.handlerFor(tenantId);
    const raw = request.raw as IncomingMessage & { originalUrl?: string };
    const url = raw.url ?? '/';
    const path = url.slice(url.indexOf('/', 1));
    const endpoint = authorizationEndpointOf(request.method, path);
    if (endpoint !== undefined) {
      const refusal = await options.providers.chargeAuthorization(tenantId, endpoint, request.ip);
      if (refusal) return refuse(request, reply, endpoint, refusal);
    }
    raw.originalUrl = url;
    raw.url = path;
    raw.headers['x-forwarded-proto'] = publicUrl.protocol.slice(0, -1);
    raw.headers['x-forwarded-host'] = publicUrl.host;
    reply.hijack();
    await new Promise<void>((resolve) => {
      reply.raw.once('close', resolve);
      handle(raw, reply.raw);
    });
  };

  app.get(
    '/:tenantId/.well-known/openid-configuration',
    {
      schema: {
        operationId: 'getOpenIdConfiguration',
        tags: ['openid connect'],
        summary: 'OpenID Provider metadata of the tenant (OpenID Connect Discovery 1.0 §3)',
        params: TenantParams,
        response: { 200: OpenIdConfigurationSchema },
      },
      config: { errors: ['TENANT_NOT_FOUND'] },
    },
    forward,
  );

  app.route({
    method: ['GET', 'POST', 'OPTIONS'],
    url: '/:tenantId/oidc/*',
    schema: { hide: true, params: Type.Object({ tenantId: AnyTenantIdParam, '*': Type.String() }) },
    // RATE_LIMITED is answered as the provider answers errors (refuse), not as a problem.
    config: { errors: ['TENANT_NOT_FOUND'] },
    handler: forward,
  });
}
