import { Type } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { principalOf } from '../http/route-config.ts';
import type { OverviewService } from './overview-service.ts';

const Count = Type.Integer({ minimum: 0 });
const OverviewSchema = Type.Object(
  {
    totals: Type.Object({ users: Count, passkeys: Count }),
    daily: Type.Array(Type.Object({ date: Type.String({ format: 'date' }), signIns: Count, registrations: Count, failures: Count }), {
      description: 'One entry per UTC day, oldest first, today last',
    }),
    failuresByCode: Type.Array(Type.Object({ code: Type.String(), count: Count }), { description: 'Refused passkey ceremonies in the window, by error code' }),
    authenticators: Type.Object({
      synced: Count,
      deviceBound: Count,
      top: Type.Array(
        Type.Object({
          aaguid: Type.String(),
          name: Type.Union([Type.String(), Type.Null()]),
          iconLight: Type.Optional(Type.String({ description: 'The provider’s icon for light backgrounds: a data:image/… URI, never a URL' })),
          iconDark: Type.Optional(Type.String({ description: 'The provider’s icon for dark backgrounds: a data:image/… URI, never a URL' })),
          count: Count,
        }),
      ),
    }),
  },
  { title: 'Overview' },
);

/** The console's overview of a tenant under `/api/console/overview`. */
export async function overviewRoutes(fastify: FastifyInstance, { overview }: { overview: OverviewService }): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  app.get(
    '/overview',
    {
      schema: {
        operationId: 'getConsoleOverview',
        tags: ['console'],
        summary: 'Users, passkeys, sign-ins and registrations per day, refused ceremonies by code, the authenticator mix',
        querystring: Type.Object({ days: Type.Optional(Type.Integer({ minimum: 1, maximum: 366, default: 30 })) }, { additionalProperties: false }),
        response: { 200: OverviewSchema },
      },
      config: { permission: 'Console:getOverview' },
    },
    async (request) => overview.overview(principalOf(request).tenantId, request.query.days ?? 30),
  );
}
