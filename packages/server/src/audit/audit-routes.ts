import { Type } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { PageOf } from '../http/common-schemas.ts';
import { principalOf } from '../http/route-config.ts';
import type { Services } from '../services.ts';

const AuditEventSchema = Type.Object(
  {
    id: Type.String(),
    tenant: Type.String(),
    actor: Type.String({ description: 'The API client id, or cli / self-service / journey' }),
    action: Type.String({ description: 'e.g. user.create, apiClient.rotateSecret' }),
    targetType: Type.String(),
    targetId: Type.Union([Type.String(), Type.Null()]),
    outcome: Type.String(),
    details: Type.Union([Type.Record(Type.String(), Type.Unknown()), Type.Null()]),
    requestId: Type.Union([Type.String(), Type.Null()]),
    time: Type.String({ format: 'date-time' }),
  },
  { title: 'AuditEvent' },
);

export async function auditRoutes(fastify: FastifyInstance, { services }: { services: Services }): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  app.get(
    '/audit',
    {
      schema: {
        operationId: 'listAuditEvents',
        tags: ['audit'],
        summary: 'Page through the tenant’s audit events, oldest first',
        querystring: Type.Object(
          {
            action: Type.Optional(Type.String({ maxLength: 64 })),
            targetType: Type.Optional(Type.String({ maxLength: 64 })),
            targetId: Type.Optional(Type.String({ maxLength: 256 })),
            actor: Type.Optional(Type.String({ maxLength: 128 })),
            cursor: Type.Optional(Type.String({ maxLength: 200 })),
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
          },
          { additionalProperties: false },
        ),
        response: { 200: PageOf(AuditEventSchema) },
      },
      config: { permission: 'Audit:listEvents', errors: ['INVALID_CURSOR'] },
    },
    async (request) => services.audit.list(principalOf(request).tenantId, request.query),
  );
}
