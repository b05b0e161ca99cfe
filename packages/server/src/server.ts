import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Config } from './config/config.ts';
import { buildApp } from './http/app.ts';
import { loggerOptions, resolveLogFormat, type LogFormat } from './logging/log-output.ts';
import { createServices, stopBackgroundJobs } from './services.ts';
import { systemClock } from './shared/clock.ts';
import { RUNS_FROM_BUNDLE } from './shared/server-package-dir.ts';
import { keywayVersion } from './shared/version.ts';
import type { Database } from './storage/database.ts';
import { openKeywayDatabase } from './startup.ts';

export interface RunningServer {
  app: FastifyInstance;
  database: Database;
  url: string;
  stop(): Promise<void>;
}

/** Where the database is, for a person: the SQLite file, or PostgreSQL's host and database (never the password). */
export function describeDatabase(databaseUrl: string): string {
  if (databaseUrl.startsWith('sqlite:')) {
    const file = databaseUrl.slice('sqlite:'.length);
    const relative = path.relative(process.cwd(), file);
    return `SQLite ${file === ':memory:' ? 'in memory' : relative.startsWith('..') || path.isAbsolute(relative) ? file : `./${relative}`}`;
  }
  const url = new URL(databaseUrl);
  return `PostgreSQL ${url.host}${url.pathname}`;
}

/** Said when a server started from its sources: that is slower, and `npm start` or `npm run build:server` ends it. */
const FROM_SOURCES = ' · started from the sources, the bundle being missing or out of date (npm run build:server makes it)';

/**
 * The start-up line: on a terminal one sentence with what a person needs next (the URL, the
 * database, the docs); in JSON the same facts as fields (`keyway is serving`, which supervisors
 * and tests wait for).
 */
function logServing(
  app: FastifyInstance,
  format: LogFormat,
  { address, config, database, applied }: { address: string; config: Config; database: Database; applied: string[] },
): void {
  const docs = `${config.publicUrl}/docs`;
  if (format === 'json') {
    app.log.info(
      { address, publicUrl: config.publicUrl, database: database.dialect, docs, version: keywayVersion(), runsFrom: RUNS_FROM_BUNDLE ? 'bundle' : 'sources' },
      'keyway is serving',
    );
    return;
  }
  const migrations = applied.length > 0 ? ` (${applied.length} migration${applied.length === 1 ? '' : 's'} applied)` : '';
  app.log.info(
    `Keyway ${keywayVersion()} is serving ${config.publicUrl} (listening on ${address}) · database ${describeDatabase(config.databaseUrl)}${migrations} · API docs ${docs}${RUNS_FROM_BUNDLE ? '' : FROM_SOURCES} · Ctrl+C stops it`,
  );
}

/** Opens the database, migrates, checks the master key, listens, and stops gracefully on SIGTERM/SIGINT. */
export async function startServer(config: Config, { handleSignals = true } = {}): Promise<RunningServer> {
  const { database, masterKey, applied } = await openKeywayDatabase(config);
  const services = createServices({ config, database, clock: systemClock, masterKey });
  const format = resolveLogFormat(config.logFormat, process.stdout.isTTY === true);
  const app = await buildApp({ config, database, services, logger: loggerOptions(config, format) });
  if (applied.length > 0 && format === 'json') app.log.info({ migrations: applied }, 'migrations applied');
  const address = await app.listen({ port: config.port, host: config.host });
  logServing(app, format, { address, config, database, applied });
  // Step timeouts fire as they pass (one node at a time scans, under a database lease).
  services.journeyTimers.start(1000);
  // Queued e-mails go out (one node at a time, under a database lease; nothing without SMTP).
  services.emailOutbox.start(2000);
  // Expired rows, abandoned sign-ups and (KEYWAY_AUDIT_RETENTION_DAYS) old audit events go (one node at a time, under
  // a database lease; in bounded batches); a sweep that deleted something says how many per table in one line.
  services.retention.start(60_000, (deleted) => app.log.info({ deleted }, 'retention sweep'));

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      // Stop taking connections, let in-flight requests finish, then release the database.
      await stopBackgroundJobs(services);
      // A client that stops reading its answer keeps its connection busy, and app.close() would wait
      // for it for ever: after the grace period the connections still open are cut, so a rolling
      // deploy ends in bounded time.
      const cut = setTimeout(() => app.server.closeAllConnections(), config.shutdownGraceSeconds * 1000);
      try {
        await app.close();
      } finally {
        clearTimeout(cut);
      }
      await database.close();
    })());
  if (handleSignals) {
    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      process.once(signal, () => {
        app.log.info({ signal }, 'shutting down');
        stop().then(
          () => process.exit(0),
          (error: unknown) => {
            app.log.error({ err: error }, 'shutdown failed');
            process.exit(1);
          },
        );
      });
    }
  }
  return { app, database, url: address, stop };
}
