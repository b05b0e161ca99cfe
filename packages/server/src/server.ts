import type { FastifyInstance } from 'fastify';
import type { Config } from './config/config.ts';
import { buildApp } from './http/app.ts';
import { createServices } from './services.ts';
import { systemClock } from './shared/clock.ts';
import type { Database } from './storage/database.ts';
import { openKeywayDatabase } from './startup.ts';

export interface RunningServer {
  app: FastifyInstance;
  database: Database;
  url: string;
  stop(): Promise<void>;
}

/** Opens the database, migrates, checks the master key, listens, and stops gracefully on SIGTERM/SIGINT. */
export async function startServer(config: Config, { handleSignals = true } = {}): Promise<RunningServer> {
  const { database, masterKey, applied } = await openKeywayDatabase(config);
  const services = createServices({ config, database, clock: systemClock, masterKey });
  const app = await buildApp({ config, database, services });
  if (applied.length > 0) app.log.info({ migrations: applied }, 'migrations applied');
  const address = await app.listen({ port: config.port, host: config.host });
  app.log.info({ address, publicUrl: config.publicUrl, database: database.dialect }, 'keyway is serving');

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      // Stop taking connections, let in-flight requests finish, then release the database.
      await app.close();
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
