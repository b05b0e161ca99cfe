import { Type } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { PageOf, PageQuery } from '../http/common-schemas.ts';
import { JourneyIdParam, StoreNameSchema } from '../http/path-params.ts';
import { actorOf, principalOf } from '../http/route-config.ts';
import type { OidcClientService } from './oidc-client-service.ts';
import { OIDC_SCOPES } from './oidc-client-rules.ts';

const Uri = Type.String({ minLength: 1, maxLength: 2048 });
const UriList = Type.Array(Uri, { maxItems: 20, uniqueItems: true });
const Scopes = Type.Array(Type.Union(OIDC_SCOPES.map((scope) => Type.Literal(scope))), { minItems: 1, uniqueItems: true });
const SubjectType = Type.Union([Type.Literal('public'), Type.Literal('pairwise')], {
  description: 'pairwise: each client (sector) sees its own stable `sub` for a user (OpenID Connect Core §8)',
});

const OidcClientSchema = Type.Object(
  {
    clientId: Type.String(),
    name: Type.String(),
    store: Type.String(),
    redirectUris: Type.Array(Type.String()),
    postLogoutRedirectUris: Type.Array(Type.String()),
    public: Type.Boolean({ description: 'A public client (SPA, native app) has no secret and must use PKCE (S256)' }),
    firstParty: Type.Boolean({ description: 'First-party clients skip the consent screen' }),
    scopes: Type.Array(Type.String()),
    loginJourney: Type.Union([Type.String(), Type.Null()]),
    subjectType: SubjectType,
    createdAt: Type.String({ format: 'date-time' }),
    updatedAt: Type.String({ format: 'date-time' }),
    secretRotatedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  },
  { title: 'OidcClient' },
);
const WithSecret = Type.Intersect([
  OidcClientSchema,
  Type.Object({ clientSecret: Type.Optional(Type.String({ description: 'Confidential clients only; shown once, Keyway keeps only a hash' })) }),
]);
const ClientParams = Type.Object({ clientId: Type.String({ minLength: 1, maxLength: 64 }) });

/** Admin API for the tenant's OpenID Connect clients: register, list, read, update, rotate the secret, delete. */
export async function oidcClientRoutes(fastify: FastifyInstance, { clients }: { clients: OidcClientService }): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ['openid connect'];
  const invalid = ['OIDC_REDIRECT_URI_INVALID', 'OIDC_SCOPE_UNSUPPORTED', 'JOURNEY_NOT_FOUND'] as const;

  app.post(
    '/clients',
    {
      schema: {
        operationId: 'createOidcClient',
        tags,
        summary: 'Register an OpenID Connect client of one store (a confidential client’s secret is answered once)',
        description:
          'Redirect URIs are matched exactly. Each is https, http on a loopback host, or a reverse-domain private-use scheme (native apps); no fragment. Scopes default to openid, profile, email and offline_access.',
        body: Type.Object(
          {
            name: Type.String({ minLength: 1, maxLength: 128 }),
            store: StoreNameSchema,
            redirectUris: Type.Array(Uri, { minItems: 1, maxItems: 20, uniqueItems: true }),
            postLogoutRedirectUris: Type.Optional(UriList),
            public: Type.Optional(Type.Boolean()),
            firstParty: Type.Optional(Type.Boolean()),
            scopes: Type.Optional(Scopes),
            loginJourney: Type.Optional(Type.Union([JourneyIdParam, Type.Null()])),
            subjectType: Type.Optional(SubjectType),
          },
          { additionalProperties: false },
        ),
        response: { 201: WithSecret },
      },
      config: { permission: 'Oidc:createClient', errors: ['STORE_NOT_FOUND', ...invalid] },
    },
    async (request, reply) => reply.code(201).send(await clients.create(actorOf(request), request.body)),
  );

  app.get(
    '/clients',
    {
      schema: {
        operationId: 'listOidcClients',
        tags,
        summary: 'List the OpenID Connect clients',
        querystring: PageQuery,
        response: { 200: PageOf(OidcClientSchema) },
      },
      config: { permission: 'Oidc:listClient', errors: ['INVALID_CURSOR'] },
    },
    async (request) => clients.list(principalOf(request).tenantId, request.query),
  );

  app.get(
    '/clients/:clientId',
    {
      schema: { operationId: 'getOidcClient', tags, summary: 'Read an OpenID Connect client', params: ClientParams, response: { 200: OidcClientSchema } },
      config: { permission: 'Oidc:getClient', errors: ['OIDC_CLIENT_NOT_FOUND'] },
    },
    async (request) => clients.get(principalOf(request).tenantId, request.params.clientId),
  );

  app.patch(
    '/clients/:clientId',
    {
      schema: {
        operationId: 'updateOidcClient',
        tags,
        summary: 'Change an OpenID Connect client (its store and whether it is public are fixed at registration)',
        params: ClientParams,
        body: Type.Object(
          {
            name: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
            redirectUris: Type.Optional(Type.Array(Uri, { minItems: 1, maxItems: 20, uniqueItems: true })),
            postLogoutRedirectUris: Type.Optional(UriList),
            firstParty: Type.Optional(Type.Boolean()),
            scopes: Type.Optional(Scopes),
            loginJourney: Type.Optional(Type.Union([JourneyIdParam, Type.Null()])),
            subjectType: Type.Optional(SubjectType),
          },
          { additionalProperties: false, minProperties: 1 },
        ),
        response: { 200: OidcClientSchema },
      },
      config: { permission: 'Oidc:updateClient', errors: ['OIDC_CLIENT_NOT_FOUND', ...invalid] },
    },
    async (request) => clients.update(actorOf(request), request.params.clientId, request.body),
  );

  app.post(
    '/clients/:clientId/secret',
    {
      schema: {
        operationId: 'rotateOidcClientSecret',
        tags,
        summary: 'Rotate a confidential client’s secret (the old one stops working at once; the new one is answered once)',
        params: ClientParams,
        response: { 200: Type.Intersect([OidcClientSchema, Type.Object({ clientSecret: Type.String() })]) },
      },
      config: { permission: 'Oidc:rotateClient', errors: ['OIDC_CLIENT_NOT_FOUND', 'OIDC_CLIENT_PUBLIC'] },
    },
    async (request) => clients.rotateSecret(actorOf(request), request.params.clientId),
  );

  app.delete(
    '/clients/:clientId',
    {
      schema: {
        operationId: 'deleteOidcClient',
        tags,
        summary: 'Delete an OpenID Connect client and revoke every code and token issued to it',
        params: ClientParams,
        response: { 204: Type.Null() },
      },
      config: { permission: 'Oidc:deleteClient', errors: ['OIDC_CLIENT_NOT_FOUND'] },
    },
    async (request, reply) => {
      await clients.delete(actorOf(request), request.params.clientId);
      return reply.code(204).send(null);
    },
  );
}
