import { Type } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { AnyTenantIdParam } from '../http/path-params.ts';
import { actorOf, principalOf } from '../http/route-config.ts';
import type { Services } from '../services.ts';

const PublicJwkSchema = Type.Object(
  {
    kty: Type.Literal('EC'),
    crv: Type.Literal('P-256'),
    x: Type.String(),
    y: Type.String(),
    kid: Type.String(),
    alg: Type.Literal('ES256'),
    use: Type.Literal('sig'),
  },
  { title: 'PublicJwk' },
);
const JwksSchema = Type.Object({ keys: Type.Array(PublicJwkSchema) }, { title: 'Jwks' });
const SigningKeySchema = Type.Object(
  {
    kid: Type.String(),
    algorithm: Type.String(),
    status: Type.Union([Type.Literal('active'), Type.Literal('retired')]),
    createdAt: Type.String({ format: 'date-time' }),
    retiredAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  },
  { title: 'SigningKey' },
);
// No pattern here: a malformed tenant id is simply a tenant that does not exist (404, not 400).
const TenantParams = Type.Object({ tenantId: AnyTenantIdParam });

/** Relying parties cache the keys briefly; a new kid is still found because verifiers refetch on an unknown kid. */
const PUBLIC_CACHE = 'public, max-age=300';

/**
 * Each tenant's ID token signing keys (JWKS), public and unauthenticated (the OpenID Provider's
 * discovery document, oidc/oidc-routes.ts, points here); plus the admin routes to list and rotate the keys.
 */
export async function jwksRoutes(fastify: FastifyInstance, { services }: { services: Services }): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const keys = services.signingKeys;
  const tags = ['tokens'];

  app.get(
    '/:tenantId/.well-known/jwks.json',
    {
      schema: {
        operationId: 'getJwks',
        tags,
        summary: 'The tenant’s ID token signing keys (JWKS, RFC 7517), including keys retired in the last 24 h',
        params: TenantParams,
        response: { 200: JwksSchema },
      },
      config: { errors: ['TENANT_NOT_FOUND'] },
    },
    async (request, reply) => {
      const jwks = await keys.getJwks(request.params.tenantId);
      reply.header('cache-control', PUBLIC_CACHE).type('application/jwk-set+json; charset=utf-8');
      return jwks;
    },
  );

  app.get(
    '/api/admin/signing-keys',
    {
      schema: {
        operationId: 'listSigningKeys',
        tags,
        summary: 'List the tenant’s ID token signing keys (public metadata only)',
        response: { 200: Type.Object({ items: Type.Array(SigningKeySchema) }) },
      },
      config: { permission: 'Admin:listSigningKeys', errors: ['TENANT_NOT_FOUND'] },
    },
    async (request) => ({ items: await keys.listKeys(principalOf(request).tenantId) }),
  );

  app.post(
    '/api/admin/signing-keys/rotate',
    {
      schema: {
        operationId: 'rotateSigningKey',
        tags,
        summary: 'Rotate the ID token signing key: a new key signs from now on; the old one stays in the JWKS for 24 h',
        response: { 200: Type.Object({ kid: Type.String(), keys: Type.Array(SigningKeySchema) }) },
      },
      config: { permission: 'Admin:rotateSigningKey', errors: ['TENANT_NOT_FOUND'] },
    },
    async (request) => {
      const tenantId = principalOf(request).tenantId;
      const kid = await keys.rotate(tenantId, actorOf(request));
      return { kid, keys: await keys.listKeys(tenantId) };
    },
  );
}
