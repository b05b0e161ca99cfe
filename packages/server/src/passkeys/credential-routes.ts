import { Type, type TProperties } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { PageOf } from '../http/common-schemas.ts';
import { CredentialIdParam, StoreNameSchema, UserIdParam, pathParams } from '../http/path-params.ts';
import { actorOf, principalOf } from '../http/route-config.ts';
import type { Services } from '../services.ts';
import { MAX_PASSKEY_NAME_LENGTH } from './credential-service.ts';
import { RpIdSchema } from './passkey-config-schemas.ts';
import { PasskeySchema } from './passkey-record.ts';

const ListPasskeysQuery = Type.Object(
  {
    rpId: Type.Optional(RpIdSchema),
    cursor: Type.Optional(Type.String({ maxLength: 200, description: 'nextCursor of the previous page' })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
  },
  { additionalProperties: false },
);
const RenamePasskeyBody = Type.Object(
  { name: Type.String({ minLength: 1, maxLength: MAX_PASSKEY_NAME_LENGTH }) },
  { title: 'RenamePasskeyRequest', additionalProperties: false },
);

export interface CredentialRoutesOptions {
  services: Services;
  /** Registered a second time under `/api/identity-store/:tenantId` (TrustX's tenant paths); hidden from the docs. */
  tenantAlias?: boolean;
}

/** A user's passkeys: list, rename, delete. */
export async function credentialRoutes(fastify: FastifyInstance, { services, tenantAlias = false }: CredentialRoutesOptions): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const credentials = services.credentials;
  const params = <P extends TProperties>(properties: P) => pathParams(properties, { tenantAlias });
  const doc = (summary: string) => ({ tags: ['passkeys'], summary, ...(tenantAlias ? { hide: true } : {}) });
  const passkeyParams = params({ storeName: StoreNameSchema, userId: UserIdParam, credentialId: CredentialIdParam });

  app.get(
    '/stores/:storeName/users/:userId/passkeys',
    {
      schema: {
        operationId: 'listPasskeys',
        ...doc('List a user’s passkeys, oldest first'),
        params: params({ storeName: StoreNameSchema, userId: UserIdParam }),
        querystring: ListPasskeysQuery,
        response: { 200: PageOf(PasskeySchema) },
      },
      config: { permission: 'IdentityStore:listPasskeys', errors: ['STORE_NOT_FOUND', 'USER_NOT_FOUND', 'INVALID_CURSOR'] },
    },
    async (request) => credentials.list(principalOf(request).tenantId, request.params.storeName, request.params.userId, request.query),
  );

  app.get(
    '/stores/:storeName/users/:userId/passkeys/:credentialId',
    {
      schema: { operationId: 'getPasskey', ...doc('Read one of a user’s passkeys'), params: passkeyParams, response: { 200: PasskeySchema } },
      config: { permission: 'IdentityStore:getPasskey', errors: ['STORE_NOT_FOUND', 'USER_NOT_FOUND', 'PASSKEY_NOT_FOUND'] },
    },
    async (request) => credentials.get(principalOf(request).tenantId, request.params),
  );

  app.patch(
    '/stores/:storeName/users/:userId/passkeys/:credentialId',
    {
      schema: { operationId: 'renamePasskey', ...doc('Rename a passkey'), params: passkeyParams, body: RenamePasskeyBody, response: { 200: PasskeySchema } },
      config: { permission: 'IdentityStore:updatePasskey', errors: ['STORE_NOT_FOUND', 'USER_NOT_FOUND', 'PASSKEY_NOT_FOUND'] },
    },
    async (request) => credentials.rename(actorOf(request), request.params, request.body.name),
  );

  app.delete(
    '/stores/:storeName/users/:userId/passkeys/:credentialId',
    {
      schema: { operationId: 'deletePasskey', ...doc('Delete a passkey'), params: passkeyParams, response: { 204: Type.Null() } },
      config: { permission: 'IdentityStore:deletePasskey', errors: ['STORE_NOT_FOUND', 'USER_NOT_FOUND', 'PASSKEY_NOT_FOUND'] },
    },
    async (request, reply) => {
      await credentials.delete(actorOf(request), request.params);
      return reply.code(204).send(null);
    },
  );
}
