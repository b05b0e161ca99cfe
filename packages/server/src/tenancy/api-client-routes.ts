import { editOf } from '../http/edit-concurrency.ts';
import { Type } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { PageOf, PageQuery } from '../http/common-schemas.ts';
import { ApiClientIdParam } from '../http/path-params.ts';
import { actorOf, principalOf } from '../http/route-config.ts';
import type { Services } from '../services.ts';
import { PERMISSION_PATTERN } from './permissions.ts';

const Permissions = Type.Array(Type.String({ pattern: PERMISSION_PATTERN }), {
  minItems: 1,
  maxItems: 100,
  uniqueItems: true,
  description: 'TNT#{tenant}#{Service}:{action}; * may stand for the action or for Service:action',
});
const ApiClientSchema = Type.Object(
  {
    clientId: Type.String(),
    tenant: Type.String(),
    name: Type.String(),
    permissions: Type.Array(Type.String()),
    enabled: Type.Boolean(),
    createdAt: Type.String({ format: 'date-time' }),
    updatedAt: Type.String({ format: 'date-time' }),
    secretRotatedAt: Type.String({ format: 'date-time' }),
  },
  { title: 'ApiClient' },
);
const WithSecret = Type.Intersect([ApiClientSchema, Type.Object({ clientSecret: Type.String({ description: 'Shown once; Keyway keeps only a hash' }) })]);
const ClientParams = Type.Object({ clientId: ApiClientIdParam });

/** Admin API for API clients: create, list, read, update (name, permissions, enabled), rotate, delete. */
export async function apiClientRoutes(fastify: FastifyInstance, { services }: { services: Services }): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const tenancy = services.tenancy;
  const tags = ['api clients'];

  app.post(
    '/clients',
    {
      schema: {
        operationId: 'createApiClient',
        tags,
        summary: 'Create an API client (its permissions must be held by the caller)',
        body: Type.Object(
          { name: Type.String({ minLength: 1, maxLength: 128 }), permissions: Permissions, enabled: Type.Optional(Type.Boolean()) },
          { additionalProperties: false },
        ),
        response: { 201: WithSecret },
      },
      config: { permission: 'Admin:createApiClient', errors: ['PERMISSION_NOT_GRANTABLE'] },
    },
    async (request, reply) => reply.code(201).send(await tenancy.createClient(principalOf(request), actorOf(request), request.body)),
  );

  app.get(
    '/clients',
    {
      schema: { operationId: 'listApiClients', tags, summary: 'List API clients', querystring: PageQuery, response: { 200: PageOf(ApiClientSchema) } },
      config: { permission: 'Admin:listApiClients', errors: ['INVALID_CURSOR'] },
    },
    async (request) => tenancy.listClients(principalOf(request).tenantId, request.query),
  );

  app.get(
    '/clients/:clientId',
    {
      schema: { operationId: 'getApiClient', tags, summary: 'Read an API client', params: ClientParams, response: { 200: ApiClientSchema } },
      config: { permission: 'Admin:getApiClient', errors: ['API_CLIENT_NOT_FOUND'] },
    },
    async (request) => tenancy.getClient(principalOf(request).tenantId, request.params.clientId),
  );

  app.patch(
    '/clients/:clientId',
    {
      schema: {
        operationId: 'updateApiClient',
        tags,
        summary: 'Rename, re-permission, enable or disable an API client (disabling revokes its tokens at once)',
        description:
          'The caller must hold every permission of the client, before and after the change (else 403 API_CLIENT_NOT_COVERED / PERMISSION_NOT_GRANTABLE); the tenant’s last enabled client holding TNT#{tenant}#* cannot be disabled or narrowed (409 LAST_FULL_ADMIN_CLIENT).',
        params: ClientParams,
        body: Type.Object(
          {
            name: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
            permissions: Type.Optional(Permissions),
            enabled: Type.Optional(Type.Boolean()),
          },
          { additionalProperties: false, minProperties: 1 },
        ),
        response: { 200: ApiClientSchema },
      },
      config: {
        permission: 'Admin:updateApiClient',
        errors: ['API_CLIENT_NOT_FOUND', 'PERMISSION_NOT_GRANTABLE', 'API_CLIENT_NOT_COVERED', 'LAST_FULL_ADMIN_CLIENT'],
      },
    },
    async (request) => tenancy.updateClient(principalOf(request), actorOf(request), request.params.clientId, request.body, editOf(request)),
  );

  app.post(
    '/clients/:clientId/secret',
    {
      schema: {
        operationId: 'rotateApiClientSecret',
        tags,
        summary: 'Rotate the client secret (the old secret and its tokens stop working at once)',
        description: 'Only for a client whose permissions the caller holds (else 403 API_CLIENT_NOT_COVERED).',
        params: ClientParams,
        response: { 200: WithSecret },
      },
      config: { permission: 'Admin:rotateApiClientSecret', errors: ['API_CLIENT_NOT_FOUND', 'API_CLIENT_NOT_COVERED'] },
    },
    async (request) => tenancy.rotateSecret(principalOf(request), actorOf(request), request.params.clientId),
  );

  app.delete(
    '/clients/:clientId',
    {
      schema: {
        operationId: 'deleteApiClient',
        tags,
        summary: 'Delete an API client and revoke its tokens',
        description:
          'Only a client whose permissions the caller holds (else 403 API_CLIENT_NOT_COVERED), and never the tenant’s last enabled client holding TNT#{tenant}#* (409 LAST_FULL_ADMIN_CLIENT).',
        params: ClientParams,
        response: { 204: Type.Null() },
      },
      config: { permission: 'Admin:deleteApiClient', errors: ['API_CLIENT_NOT_FOUND', 'API_CLIENT_NOT_COVERED', 'LAST_FULL_ADMIN_CLIENT'] },
    },
    async (request, reply) => {
      await tenancy.deleteClient(principalOf(request), actorOf(request), request.params.clientId, editOf(request));
      return reply.code(204).send(null);
    },
  );
}
