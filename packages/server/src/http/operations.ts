import { Type } from '@sinclair/typebox';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import { Counter, Histogram, collectDefaultMetrics, type Registry } from 'prom-client';
import { KeywayError } from '../errors/keyway-error.ts';
import type { Database } from '../storage/database.ts';
import { pendingMigrations } from '../storage/migrate.ts';

export type Readiness = { ready: true; database: string } | { ready: false; detail: string };

/** Ready when the database answers and no migration is pending; /readyz and the home page both ask here. */
export async function checkReadiness(database: Database, log: FastifyBaseLogger): Promise<Readiness> {
  try {
    await database.ping();
    const pending = await pendingMigrations(database);
    if (pending.length > 0) return { ready: false, detail: `Migrations pending: ${pending.join(', ')}` };
  } catch (error) {
    log.warn({ err: error }, 'readiness check failed');
    return { ready: false, detail: 'The database is not reachable' };
  }
  return { ready: true, database: database.dialect };
}

/** Operations: liveness, readiness (database reachable, schema current) and Prometheus metrics. */
export async function installOperations(app: FastifyInstance, { database, registry }: { database: Database; registry: Registry }): Promise<void> {
  collectDefaultMetrics({ register: registry });
  const duration = new Histogram({
    name: 'keyway_http_request_duration_seconds',
    help: 'HTTP request duration by route, method and status',
    labelNames: ['method', 'route', 'status'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
  const errors = new Counter({ name: 'keyway_http_errors_total', help: 'Error responses by code', labelNames: ['code'], registers: [registry] });

  // Called on the root instance (not registered as a child plugin), so these hooks see every route.
  app.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url ?? 'unmatched';
    duration.observe({ method: request.method, route, status: String(reply.statusCode) }, reply.elapsedTime / 1000);
    done();
  });
  app.addHook('onSend', (_request, reply, payload, done) => {
    if (reply.statusCode >= 400 && typeof payload === 'string' && String(reply.getHeader('content-type')).startsWith('application/problem+json')) {
      const code = /"code":"([A-Z_]+)"/.exec(payload)?.[1];
      if (code) errors.inc({ code });
    }
    done(null, payload);
  });

  app.get(
    '/healthz',
    { schema: { tags: ['operations'], summary: 'Liveness: the process is up', response: { 200: Type.Object({ status: Type.Literal('ok') }) } } },
    async () => ({ status: 'ok' as const }),
  );

  app.get(
    '/readyz',
    {
      schema: {
        tags: ['operations'],
        summary: 'Readiness: the database is reachable and migrations are current',
        response: { 200: Type.Object({ status: Type.Literal('ready'), database: Type.String() }) },
      },
      config: { errors: ['SERVICE_UNAVAILABLE'] },
    },
    async (request) => {
      const readiness = await checkReadiness(database, request.log);
      if (!readiness.ready) throw new KeywayError('SERVICE_UNAVAILABLE', readiness.detail);
      return { status: 'ready' as const, database: readiness.database };
    },
  );

  app.get('/metrics', { schema: { tags: ['operations'], summary: 'Prometheus metrics (text exposition format)', hide: false } }, async (_request, reply) => {
    reply.type(registry.contentType);
    return registry.metrics();
  });
}
