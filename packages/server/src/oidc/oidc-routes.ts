import type { IncomingMessage } from 'node:http';
import { Type } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AnyTenantIdParam } from '../http/path-params.ts';
import type { OidcProviders } from './oidc-providers.ts';

export interface OidcRoutesOptions {
  providers: Pick<OidcProviders, 'handlerFor'>;
  /** KEYWAY_PUBLIC_URL: the scheme and host every URL the provider makes starts with */
  publicUrl: string;
}

const TenantParams = Type.Object({ tenantId: AnyTenantIdParam });

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

  const forward = async (request: FastifyRequest, reply: FastifyReply) => {
    const { tenantId } = request.params as { tenantId: string };
    // TENANT_NOT_FOUND (problem+json) for an unknown tenant, before the provider is involved.
    const handle = await options.providers.handlerFor(tenantId);
    const raw = request.raw as IncomingMessage & { originalUrl?: string };
    const url = raw.url ?? '/';
    raw.originalUrl = url;
    raw.url = url.slice(url.indexOf('/', 1));
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
    config: { errors: ['TENANT_NOT_FOUND'] },
    handler: forward,
  });
}
