import { editOf } from '../http/edit-concurrency.ts';
import { Type, type TProperties } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { PageOf, PageQuery } from '../http/common-schemas.ts';
import { StoreNameSchema, UserExtIdParam, UserIdParam, pathParams } from '../http/path-params.ts';
import { actorOf, principalOf } from '../http/route-config.ts';
import { SelfServiceConfigBody, SelfServiceConfigSchema } from '../selfservice/self-service-config.ts';
import type { Services } from '../services.ts';
import { CreateUserBody, ListUsersQuery, UpdateUserBody, UserSchema } from './user-schemas.ts';

const StoreSchema = Type.Object(
  {
    name: Type.String(),
    displayName: Type.Optional(Type.String()),
    selfService: Type.Optional(SelfServiceConfigSchema),
    createdAt: Type.String({ format: 'date-time' }),
    updatedAt: Type.String({ format: 'date-time' }),
  },
  { title: 'Store' },
);
const CreateStoreBody = Type.Object(
  { name: StoreNameSchema, displayName: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })), selfService: Type.Optional(SelfServiceConfigBody) },
  { title: 'CreateStoreRequest', additionalProperties: false },
);
const UpdateStoreBody = Type.Object(
  {
    displayName: Type.Optional(Type.Union([Type.String({ minLength: 1, maxLength: 256 }), Type.Null()])),
    selfService: Type.Optional(
      Type.Union([SelfServiceConfigBody, Type.Null()], { description: 'Replaces the whole self-service configuration; null removes it' }),
    ),
  },
  { title: 'UpdateStoreRequest', additionalProperties: false, minProperties: 1 },
);

export interface IdentityStoreRoutesOptions {
  services: Services;
  /** Registered a second time under `/api/identity-store/:tenantId` (TrustX's tenant paths); hidden from the docs. */
  tenantAlias?: boolean;
}

/** The identity store API: stores and their users under /api/identity-store, tenant taken from the token. */
export async function identityStoreRoutes(fastify: FastifyInstance, { services, tenantAlias = false }: IdentityStoreRoutesOptions): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const identity = services.identity;
  const params = <P extends TProperties>(properties: P) => pathParams(properties, { tenantAlias });
  const doc = (tags: string[], summary: string) => ({ tags, summary, ...(tenantAlias ? { hide: true } : {}) });
  const storeParams = params({ storeName: StoreNameSchema });
  const userParams = params({ storeName: StoreNameSchema, userId: UserIdParam });
  const extParams = params({ storeName: StoreNameSchema, userExtId: UserExtIdParam });

  // ── stores ──
  app.post(
    '/stores',
    {
      schema: {
        operationId: 'createStore',
        ...doc(['stores'], 'Create an identity store'),
        ...(tenantAlias ? { params: params({}) } : {}),
        body: CreateStoreBody,
        response: { 201: StoreSchema },
      },
      config: { permission: 'IdentityStore:createStore', errors: ['STORE_ALREADY_EXISTS', 'EMAIL_NOT_CONFIGURED'] },
    },
    async (request, reply) => reply.code(201).send(await identity.createStore(actorOf(request), request.body)),
  );

  app.get(
    '/stores',
    {
      schema: {
        operationId: 'listStores',
        ...doc(['stores'], 'List identity stores'),
        ...(tenantAlias ? { params: params({}) } : {}),
        querystring: PageQuery,
        response: { 200: PageOf(StoreSchema) },
      },
      config: { permission: 'IdentityStore:listStores', errors: ['INVALID_CURSOR'] },
    },
    async (request) => identity.listStores(principalOf(request).tenantId, request.query),
  );

  app.get(
    '/stores/:storeName',
    {
      schema: { operationId: 'getStore', ...doc(['stores'], 'Read an identity store'), params: storeParams, response: { 200: StoreSchema } },
      config: { permission: 'IdentityStore:getStore', errors: ['STORE_NOT_FOUND'] },
    },
    async (request) => identity.getStore(principalOf(request).tenantId, request.params.storeName),
  );

  app.patch(
    '/stores/:storeName',
    {
      schema: {
        operationId: 'updateStore',
        ...doc(['stores'], 'Update an identity store'),
        params: storeParams,
        body: UpdateStoreBody,
        response: { 200: StoreSchema },
      },
      config: { permission: 'IdentityStore:updateStore', errors: ['STORE_NOT_FOUND', 'EMAIL_NOT_CONFIGURED'] },
    },
    async (request) => identity.updateStore(actorOf(request), request.params.storeName, request.body, editOf(request)),
  );

  app.delete(
    '/stores/:storeName',
    {
      schema: {
        operationId: 'deleteStore',
        ...doc(['stores'], 'Delete an identity store (with force=true, also its users)'),
        params: storeParams,
        querystring: Type.Object({ force: Type.Optional(Type.Boolean({ default: false })) }, { additionalProperties: false }),
        response: { 204: Type.Null() },
      },
      config: { permission: 'IdentityStore:deleteStore', errors: ['STORE_NOT_FOUND', 'STORE_NOT_EMPTY'] },
    },
    async (request, reply) => {
      await identity.deleteStore(actorOf(request), request.params.storeName, request.query.force ?? false, editOf(request));
      return reply.code(204).send(null);
    },
  );

  // ── users ──
  app.post(
    '/stores/:storeName/users',
    {
      schema: {
        operationId: 'createUser',
        ...doc(['users'], 'Add a user (the TrustX Add User fields)'),
        params: storeParams,
        body: CreateUserBody,
        response: { 201: UserSchema },
      },
      config: { permission: 'IdentityStore:createUser', errors: ['STORE_NOT_FOUND', 'EXT_ID_NOT_UNIQUE', 'USER_KEY_NOT_UNIQUE'] },
    },
    async (request, reply) => reply.code(201).send(await identity.createUser(actorOf(request), request.params.storeName, request.body)),
  );

  app.get(
    '/stores/:storeName/users',
    {
      schema: {
        operationId: 'listUsers',
        ...doc(['users'], 'List users, filtered by userKey, email, externalId or status'),
        params: storeParams,
        querystring: ListUsersQuery,
        response: { 200: PageOf(UserSchema) },
      },
      config: { permission: 'IdentityStore:listUsers', errors: ['STORE_NOT_FOUND', 'INVALID_CURSOR'] },
    },
    async (request) => identity.listUsers(principalOf(request).tenantId, request.params.storeName, request.query),
  );

  app.get(
    '/stores/:storeName/users/:userId',
    {
      schema: { operationId: 'getUser', ...doc(['users'], 'Read a user by id'), params: userParams, response: { 200: UserSchema } },
      config: { permission: 'IdentityStore:getUser', errors: ['STORE_NOT_FOUND', 'USER_NOT_FOUND'] },
    },
    async (request) => identity.getUser(principalOf(request).tenantId, request.params.storeName, { id: request.params.userId }),
  );

  app.get(
    '/stores/:storeName/users/:userExtId/ext',
    {
      schema: { operationId: 'getUserByExtId', ...doc(['users'], 'Read a user by external id'), params: extParams, response: { 200: UserSchema } },
      config: { permission: 'IdentityStore:getUserByExtId', errors: ['STORE_NOT_FOUND', 'USER_NOT_FOUND'] },
    },
    async (request) => identity.getUser(principalOf(request).tenantId, request.params.storeName, { externalId: request.params.userExtId }),
  );

  app.patch(
    '/stores/:storeName/users/:userId',
    {
      schema: { operationId: 'updateUser', ...doc(['users'], 'Update a user by id'), params: userParams, body: UpdateUserBody, response: { 200: UserSchema } },
      config: { permission: 'IdentityStore:updateUser', errors: ['STORE_NOT_FOUND', 'USER_NOT_FOUND', 'EXT_ID_NOT_UNIQUE', 'USER_KEY_NOT_UNIQUE'] },
    },
    async (request) => identity.updateUser(actorOf(request), request.params.storeName, { id: request.params.userId }, request.body, editOf(request)),
  );

  app.patch(
    '/stores/:storeName/users/:userExtId/ext',
    {
      schema: {
        operationId: 'updateUserByExtId',
        ...doc(['users'], 'Update a user by external id'),
        params: extParams,
        body: UpdateUserBody,
        response: { 200: UserSchema },
      },
      config: { permission: 'IdentityStore:updateUserByExtId', errors: ['STORE_NOT_FOUND', 'USER_NOT_FOUND', 'EXT_ID_NOT_UNIQUE', 'USER_KEY_NOT_UNIQUE'] },
    },
    async (request) => identity.updateUser(actorOf(request), request.params.storeName, { externalId: request.params.userExtId }, request.body, editOf(request)),
  );

  app.delete(
    '/stores/:storeName/users/:userId',
    {
      schema: { operationId: 'deleteUser', ...doc(['users'], 'Delete a user by id'), params: userParams, response: { 204: Type.Null() } },
      config: { permission: 'IdentityStore:deleteUser', errors: ['STORE_NOT_FOUND', 'USER_NOT_FOUND'] },
    },
    async (request, reply) => {
      await identity.deleteUser(actorOf(request), request.params.storeName, { id: request.params.userId }, editOf(request));
      return reply.code(204).send(null);
    },
  );

  app.delete(
    '/stores/:storeName/users/:userExtId/ext',
    {
      schema: { operationId: 'deleteUserByExtId', ...doc(['users'], 'Delete a user by external id'), params: extParams, response: { 204: Type.Null() } },
      config: { permission: 'IdentityStore:deleteUserByExtId', errors: ['STORE_NOT_FOUND', 'USER_NOT_FOUND'] },
    },
    async (request, reply) => {
      await identity.deleteUser(actorOf(request), request.params.storeName, { externalId: request.params.userExtId }, editOf(request));
      return reply.code(204).send(null);
    },
  );
}
