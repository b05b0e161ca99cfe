import { Type } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { PageOf, PageQuery } from '../http/common-schemas.ts';
import { actorOf, principalOf } from '../http/route-config.ts';
import { InvitationSchema, InvitationSummarySchema, OperatorSummarySchema, RoleSchema } from './console-schemas.ts';
import type { OperatorService } from './operator-service.ts';

const OperatorParams = Type.Object({ operatorId: Type.String({ minLength: 1, maxLength: 64 }) });
const InvitationParams = Type.Object({ invitationId: Type.String({ minLength: 1, maxLength: 64 }) });
const RoleBody = Type.Object({ role: RoleSchema }, { additionalProperties: false });

/** Admin API for the console's operators under `/api/console`: list, invite (and list and revoke links), change a role, remove. */
export async function operatorRoutes(fastify: FastifyInstance, { operators }: { operators: OperatorService }): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ['console'];

  app.get(
    '/operators',
    {
      schema: {
        operationId: 'listOperators',
        tags,
        summary: 'List the console’s operators and their roles',
        response: { 200: Type.Object({ items: Type.Array(OperatorSummarySchema) }) },
      },
      config: { permission: 'Console:listOperators' },
    },
    async (request) => ({ items: await operators.list(principalOf(request).tenantId) }),
  );

  app.post(
    '/invitations',
    {
      schema: {
        operationId: 'createOperatorInvitation',
        tags,
        summary: 'Create a one-time enrolment link (24 hours) for a new operator of a role',
        description:
          'Only for a role whose every permission the caller holds (else 403 PERMISSION_NOT_GRANTABLE; an owner only with TNT#{tenant}#*, else 403 OWNER_MANAGEMENT_FORBIDDEN).',
        body: RoleBody,
        response: { 201: InvitationSchema },
      },
      config: { permission: 'Console:createInvitation', errors: ['PERMISSION_NOT_GRANTABLE', 'OWNER_MANAGEMENT_FORBIDDEN'] },
    },
    async (request, reply) => reply.code(201).send(await operators.invite(principalOf(request), actorOf(request), request.body.role)),
  );

  app.get(
    '/invitations',
    {
      schema: {
        operationId: 'listOperatorInvitations',
        tags,
        summary: 'List the unused enrolment links that have not expired or been revoked, with their role and who made them',
        description:
          'The links themselves are not kept (only their hash), so they are not shown. A link whose maker may no longer grant its role (usable: false) enrols nobody; removing or demoting an operator revokes theirs.',
        querystring: PageQuery,
        response: { 200: PageOf(InvitationSummarySchema) },
      },
      config: { permission: 'Console:listInvitations', errors: ['INVALID_CURSOR'] },
    },
    async (request) => operators.listInvitations(principalOf(request).tenantId, request.query),
  );

  app.delete(
    '/invitations/:invitationId',
    {
      schema: {
        operationId: 'revokeOperatorInvitation',
        tags,
        summary: 'Revoke an unused enrolment link: it enrols nobody afterwards (410 CONSOLE_LINK_REVOKED)',
        description:
          'Only a link of a role whose every permission the caller holds, as for inviting it (else 403 PERMISSION_NOT_GRANTABLE; an owner’s only with TNT#{tenant}#*, else 403 OWNER_MANAGEMENT_FORBIDDEN). A used, expired or already revoked link, or another tenant’s, is 404 CONSOLE_INVITATION_NOT_FOUND.',
        params: InvitationParams,
        response: { 204: Type.Null() },
      },
      config: {
        permission: 'Console:revokeInvitation',
        errors: ['CONSOLE_INVITATION_NOT_FOUND', 'PERMISSION_NOT_GRANTABLE', 'OWNER_MANAGEMENT_FORBIDDEN'],
      },
    },
    async (request, reply) => {
      await operators.revokeInvitation(principalOf(request), actorOf(request), request.params.invitationId);
      return reply.code(204).send(null);
    },
  );

  app.patch(
    '/operators/:operatorId',
    {
      schema: {
        operationId: 'updateOperator',
        tags,
        summary: 'Change an operator’s role (takes effect on their next request)',
        description:
          'The caller must hold every permission of the operator’s current role (else 403 OPERATOR_NOT_COVERED) and of the new one (else 403 PERMISSION_NOT_GRANTABLE); making or changing an owner needs TNT#{tenant}#* (else 403 OWNER_MANAGEMENT_FORBIDDEN), and the last owner stays one (409 LAST_OWNER). The operator’s unused enrolment links of roles the new role may not grant are revoked with the change.',
        params: OperatorParams,
        body: RoleBody,
        response: { 200: OperatorSummarySchema },
      },
      config: {
        permission: 'Console:updateOperator',
        errors: ['OPERATOR_NOT_FOUND', 'OPERATOR_NOT_COVERED', 'PERMISSION_NOT_GRANTABLE', 'OWNER_MANAGEMENT_FORBIDDEN', 'LAST_OWNER'],
      },
    },
    async (request) => operators.updateRole(principalOf(request), actorOf(request), request.params.operatorId, request.body.role),
  );

  app.delete(
    '/operators/:operatorId',
    {
      schema: {
        operationId: 'deleteOperator',
        tags,
        summary: 'Remove an operator: their passkeys, sessions and access tokens end at once, and their unused enrolment links are revoked',
        description:
          'Only an operator whose role’s every permission the caller holds (else 403 OPERATOR_NOT_COVERED; an owner only with TNT#{tenant}#*, else 403 OWNER_MANAGEMENT_FORBIDDEN), and never the last owner (409 LAST_OWNER).',
        params: OperatorParams,
        response: { 204: Type.Null() },
      },
      config: { permission: 'Console:deleteOperator', errors: ['OPERATOR_NOT_FOUND', 'OPERATOR_NOT_COVERED', 'OWNER_MANAGEMENT_FORBIDDEN', 'LAST_OWNER'] },
    },
    async (request, reply) => {
      await operators.remove(principalOf(request), actorOf(request), request.params.operatorId);
      return reply.code(204).send(null);
    },
  );
}
