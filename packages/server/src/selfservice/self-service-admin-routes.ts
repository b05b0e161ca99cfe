import { Type, type TProperties } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { PageOf, PageQuery } from '../http/common-schemas.ts';
import { BrowserSessionIdParam, StoreNameSchema, UserIdParam, pathParams } from '../http/path-params.ts';
import { actorOf, principalOf } from '../http/route-config.ts';
import type { Services } from '../services.ts';
import { BrowserSessionSchema, RecoveryLinkAnswer, RecoveryLinkBody } from './self-service-schemas.ts';

export interface SelfServiceAdminRoutesOptions {
  services: Services;
  /** Registered a second time under `/api/identity-store/:tenantId` (TrustX's tenant paths); hidden from the docs. */
  tenantAlias?: boolean;
}

/** Admin side of self-service: recovery links (issue, revoke) and a user's browser sessions. */
export async function selfServiceAdminRoutes(fastify: FastifyInstance, { services, tenantAlias = false }: SelfServiceAdminRoutesOptions): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const selfService = services.selfService;
  const params = <P extends TProperties>(properties: P) => pathParams(properties, { tenantAlias });
  const doc = (summary: string, description?: string) => ({
    tags: ['self-service'],
    summary,
    ...(description ? { description } : {}),
    ...(tenantAlias ? { hide: true } : {}),
  });
  const userParams = params({ storeName: StoreNameSchema, userId: UserIdParam });

  app.post(
    '/stores/:storeName/users/:userId/recovery-links',
    {
      schema: {
        operationId: 'createRecoveryLink',
        ...doc(
          'Issue a recovery link',
          'A one-time link to the hosted recovery page where the user registers a new passkey (and may revoke the others). The token is in the URL fragment, shown only here and stored only as a hash.',
        ),
        params: userParams,
        body: RecoveryLinkBody,
        response: { 201: RecoveryLinkAnswer },
      },
      config: { permission: 'IdentityStore:createRecoveryLink', errors: ['STORE_NOT_FOUND', 'USER_NOT_FOUND', 'SELF_SERVICE_DISABLED'] },
      preValidation: async (request) => {
        if (request.body === undefined || request.body === null) request.body = {};
      },
    },
    async (request, reply) =>
      reply.code(201).send(await selfService.createRecoveryLink(actorOf(request), request.params.storeName, request.params.userId, request.body.ttlSeconds)),
  );

  app.delete(
    '/stores/:storeName/users/:userId/recovery-links',
    {
      schema: {
        operationId: 'revokeRecoveryLinks',
        ...doc(
          'Revoke a user’s recovery links',
          'Every outstanding (unused, unexpired) recovery link of the user stops working at once: the admin’s and the lost-passkey e-mail’s. They then answer 410 RECOVERY_LINK_USED. Audited with the count (selfservice.recoveryLink.revoke). A recovery, a new lost-passkey e-mail (its older e-mailed links), a change of the user’s e-mail address and locking or disabling the user revoke them too.',
        ),
        params: userParams,
        response: { 204: Type.Null() },
      },
      config: { permission: 'IdentityStore:revokeRecoveryLinks', errors: ['STORE_NOT_FOUND', 'USER_NOT_FOUND'] },
    },
    async (request, reply) => {
      await selfService.revokeRecoveryLinks(actorOf(request), request.params.storeName, request.params.userId);
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/stores/:storeName/users/:userId/sessions',
    {
      schema: {
        operationId: 'listUserSessions',
        ...doc('List a user’s live browser sessions, oldest first'),
        params: userParams,
        querystring: PageQuery,
        response: { 200: PageOf(BrowserSessionSchema) },
      },
      config: { permission: 'IdentityStore:listUserSessions', errors: ['STORE_NOT_FOUND', 'USER_NOT_FOUND', 'INVALID_CURSOR'] },
    },
    async (request) => selfService.listUserSessions(principalOf(request).tenantId, request.params.storeName, request.params.userId, request.query),
  );

  app.delete(
    '/stores/:storeName/users/:userId/sessions/:sessionId',
    {
      schema: {
        operationId: 'revokeUserSession',
        ...doc('Revoke a user’s browser session'),
        params: params({ storeName: StoreNameSchema, userId: UserIdParam, sessionId: BrowserSessionIdParam }),
        response: { 204: Type.Null() },
      },
      config: { permission: 'IdentityStore:revokeUserSession', errors: ['STORE_NOT_FOUND', 'USER_NOT_FOUND', 'BROWSER_SESSION_NOT_FOUND'] },
    },
    async (request, reply) => {
      await selfService.revokeUserSession(actorOf(request), request.params.storeName, request.params.userId, request.params.sessionId);
      return reply.code(204).send(null);
    },
  );
}
