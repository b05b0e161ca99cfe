// Keyway for the hosted-pages browser tests: the real application on a real port whose
// KEYWAY_PUBLIC_URL is exactly the origin the browser loads (http://localhost:<port>), because the
// relying party's origins must include it. Time is the real clock plus an offset the test can move
// (recovery-link expiry without sleeping). A second node can join the first on the same database, the
// same public URL and the same clock: two Keyway processes of one deployment behind one address.
import type { MetadataProvider } from '../../packages/server/src/passkeys/mds-blob.ts';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { loadConfig } from '../../packages/server/src/config/config.ts';
import { buildApp } from '../../packages/server/src/http/app.ts';
import { createServices, stopBackgroundJobs, type Services } from '../../packages/server/src/services.ts';
import type { Clock } from '../../packages/server/src/shared/clock.ts';
import { openKeywayDatabase } from '../../packages/server/src/startup.ts';
import type { Database } from '../../packages/server/src/storage/database.ts';
import { createTestDatabase } from '../../packages/server/test/support/databases.ts';
import type { DatabaseKind } from '../../packages/server/test/support/databases.ts';
import { HttpClient } from '../../packages/server/test/support/http-client.ts';

/** Real time plus an offset the test moves forward; frozen, only the test moves it (a deadline reached exactly). */
export class OffsetClock implements Clock {
  #offsetMs = 0;
  #frozenAt: number | undefined;
  now(): Date {
    return new Date(this.#frozenAt ?? Date.now() + this.#offsetMs);
  }
  advance(ms: number): void {
    if (this.#frozenAt === undefined) this.#offsetMs += ms;
    else this.#frozenAt += ms;
  }
  /** Stops time at the current instant: from now on it moves only by `advance`. */
  freeze(): void {
    this.#frozenAt ??= this.now().getTime();
  }
}

export interface SelfServiceServer {
  kind: DatabaseKind;
  /** `http://localhost:<port>`: the public URL, the RP origin and what the browser loads (a joined node shares the first's). */
  origin: string;
  app: FastifyInstance;
  /** The node's own connection to the database, for a test's checks of persisted state. */
  database: Database;
  /** The server's services, for what the command line does (e.g. operator invitations). */
  services: Services;
  clock: OffsetClock;
  /** Fires the journey step timeouts that are due now (the server does not tick by itself in tests). */
  tickJourneyTimers(): Promise<number>;
  /** Delivers the queued e-mails that are due now (the outbox does not tick by itself in tests). */
  deliverEmails(): Promise<number>;
  /** A client of this node's own port. */
  http: HttpClient;
  /** Starts another node on this node's database, public URL and clock (it closes without dropping the database). */
  joinNode(): Promise<SelfServiceServer>;
  /** A tenant with an admin client, and an HTTP client carrying its token. */
  tenant(id: string): Promise<{ api: HttpClient }>;
  close(): Promise<void>;
}

/** A loopback port nothing listens on now. */
export async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve, reject) => {
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

/** `env`: more settings, e.g. KEYWAY_SMTP_* for a test's SMTP listener. */
export async function startSelfServiceServer(
  kind: DatabaseKind,
  env: Record<string, string> = {},
  options: { metadata?: MetadataProvider } = {},
): Promise<SelfServiceServer> {
  const testDatabase = await createTestDatabase(kind);
  try {
    return await startNode({ kind, databaseEnv: testDatabase.env, clock: new OffsetClock(), env, metadata: options.metadata, drop: () => testDatabase.drop() });
  } catch (error) {
    await testDatabase.drop();
    throw error;
  }
}

interface NodeSettings {
  kind: DatabaseKind;
  /** KEYWAY_DATABASE_URL (and on PostgreSQL the master key) of the database the nodes share. */
  databaseEnv: Record<string, string>;
  clock: OffsetClock;
  env: Record<string, string>;
  metadata: MetadataProvider | undefined;
  /** The public URL of the deployment when this node joins another; else its own `http://localhost:<port>`. */
  origin?: string;
  /** Called when the node closes: the first node drops the database, a joined one does not. */
  drop: () => Promise<void>;
}

async function startNode(settings: NodeSettings): Promise<SelfServiceServer> {
  const { kind, clock } = settings;
  // Another process may take the probed port between probe and listen: try a few.
  for (let attempt = 0; ; attempt++) {
    const port = await freePort();
    const origin = settings.origin ?? `http://localhost:${port}`;
    const config = loadConfig({
      PORT: String(port),
      KEYWAY_PUBLIC_URL: origin,
      KEYWAY_LOG_LEVEL: 'silent',
      ...settings.databaseEnv,
      ...settings.env,
    });
    const { database, masterKey } = await openKeywayDatabase(config, clock);
    const services = createServices({ config, database, clock, masterKey, metadata: settings.metadata });
    const app = await buildApp({ config, database, services, logger: false });
    try {
      await app.listen({ port, host: '127.0.0.1' });
    } catch (error) {
      await app.close();
      await database.close();
      if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE' && attempt < 5) continue;
      throw error;
    }
    const http = new HttpClient(`http://127.0.0.1:${port}`);
    return {
      kind,
      origin,
      app,
      database,
      services,
      clock,
      tickJourneyTimers: () => services.journeyTimers.tick(),
      deliverEmails: () => services.emailOutbox.tick(),
      http,
      joinNode: () => startNode({ ...settings, origin, drop: async () => undefined }),
      async tenant(id) {
        const created = await services.tenancy.initTenant(id);
        const form = new URLSearchParams({ grant_type: 'client_credentials', client_id: created.clientId, client_secret: created.clientSecret });
        const response = await fetch(`${http.baseUrl}/oauth2/token`, { method: 'POST', body: form });
        if (response.status !== 200) throw new Error(`token request failed: ${response.status} ${await response.text()}`);
        const token = ((await response.json()) as { access_token: string }).access_token;
        return { api: http.withToken(token) };
      },
      async close() {
        await stopBackgroundJobs(services);
        await app.close();
        await database.close();
        await settings.drop();
      },
    };
  }
}
