import { Readable } from 'node:stream';
import { Type } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { PageOf } from '../http/common-schemas.ts';
import { principalOf } from '../http/route-config.ts';
import type { Services } from '../services.ts';
import { toCsv, toJsonLines } from './audit-export.ts';

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
        summary: 'Page through the tenant’s audit events, oldest first, or export them all (format=jsonl or csv)',
        description:
          'Without `format`, a page of events as JSON. With `format=jsonl` (application/jsonl, one event per line) or `format=csv` (text/csv, RFC 4180, a header row), every event the filters match, as a download.',
        querystring: Type.Object(
          {
            action: Type.Optional(Type.String({ maxLength: 64 })),
            targetType: Type.Optional(Type.String({ maxLength: 64 })),
            targetId: Type.Optional(Type.String({ maxLength: 256 })),
            target: Type.Optional(Type.String({ maxLength: 256, description: 'The target’s id (the same as targetId)' })),
            actor: Type.Optional(Type.String({ maxLength: 128, description: 'An API client id, an operator id (kwo_…), or cli / self-service / journey' })),
            from: Type.Optional(Type.String({ format: 'date-time', description: 'Events at or after this instant' })),
            to: Type.Optional(Type.String({ format: 'date-time', description: 'Events at or before this instant' })),
            format: Type.Optional(Type.Union([Type.Literal('jsonl'), Type.Literal('csv')], { description: 'Export every matching event as a download' })),
            cursor: Type.Optional(Type.String({ maxLength: 200 })),
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
          },
          { additionalProperties: false },
        ),
        response: { 200: PageOf(AuditEventSchema) },
      },
      config: { permission: 'Audit:listEvents', errors: ['INVALID_CURSOR'] },
    },
    async (request, reply) => {
      const tenantId = principalOf(request).tenantId;
      const { format, ...filter } = request.query;
      if (format === undefined) return services.audit.list(tenantId, filter);
      const events = services.audit.all(tenantId, filter);
      const lines = format === 'csv' ? toCsv(events) : toJsonLines(events);
      return reply
        .type(format === 'csv' ? 'text/csv; charset=utf-8' : 'application/jsonl; charset=utf-8')
        .header('content-disposition', `attachment; filename="audit-${tenantId}.${format}"`)
        .send(Readable.from(lines) as never); // a stream is sent as it is, past the JSON response schema
    },
  );
}
