import type { FastifyInstance, FastifyServerOptions } from 'fastify';
import type { MetadataProvider } from '../../src/passkeys/mds-blob.ts';
import { loadConfig, type Config } from '../../src/config/config.ts';
import { buildApp } from '../../src/http/app.ts';
import { createServices, stopBackgroundJobs, type Services } from '../../src/services.ts';
import type { StepType } from '../../src/journeys/step-type.ts';
import { systemClock, type Clock } from '../../src/shared/clock.ts';
import type { MasterKey } from '../../src/secrets/master-key.ts';
import { openKeywayDatabase } from '../../src/startup.ts';
import type { Database } from '../../src/storage/database.ts';
import type { StatementCounter } from '../../src/storage/statement-counter.ts';
import { TEST_MASTER_KEY, createTestDatabase, type DatabaseKind, type TestDatabase } from './databases.ts';
import { HttpClient } from './http-client.ts';

export interface TenantFixture {
  tenant: string;
  clientId: string;
  clientSecret: string;
  token: string;
  /** An HTTP client that sends this tenant's admin token. */
  api: HttpClient;
}

export interface TestServer {
  kind: DatabaseKind;
  url: string;
  config: Config;
  database: Database;
  masterKey: MasterKey;
  services: Services;
  app: FastifyInstance;
  /** An HTTP client without a token. */
  http: HttpClient;
  /** Creates a tenant with an admin client (as `keyway init` does) and a token for it. */
  tenant(id: string): Promise<TenantFixture>;
  /** A token for an existing client, optionally narrowed to `scope`. */
  token(clientId: string, clientSecret: string, scope?: string): Promise<string>;
  close(): Promise<void>;
}

export interface TestServerOptions {
  kind: DatabaseKind;
  clock?: Clock;
  env?: Record<string, string>;
  /** Reuse an existing database (e.g. a second node on the same PostgreSQL) instead of a new one. */
  databaseUrl?: string;
  /** Counts the SQL statements and commits the server sends (installed at the dialect). */
  statementCounter?: StatementCounter;
  /** Journey step types besides the built-in ones (e.g. a test's probe step). */
  stepTypes?: readonly StepType[];
  /** A built console to serve (a fixture directory) instead of packages/console/dist */
  consoleDist?: string;
  /** Where FIDO metadata BLOBs come from, instead of FIDO's (e.g. a BLOB a test made) */
  metadata?: MetadataProvider;
  /** The application's logger (e.g. loggerOptions writing to a stream the test reads); default: none. */
  logger?: FastifyServerOptions['logger'];
  /** The clock of the OpenID Provider's request limits, when it must differ from `clock` (services.ts). */
  oidcRateLimitClock?: Clock;
}

/** The real application on a real loopback port, over a fresh database of the given kind. */
export async function startTestServer(options: TestServerOptions): Promise<TestServer> {
  const testDatabase: TestDatabase | undefined = options.databaseUrl ? undefined : await createTestDatabase(options.kind);
  const databaseUrl = options.databaseUrl ?? testDatabase!.url;
  const masterKeyEnv: Record<string, string> = options.kind === 'postgres' ? { KEYWAY_MASTER_KEY: TEST_MASTER_KEY } : {};
  const config = loadConfig({ PORT: '0', KEYWAY_DATABASE_URL: databaseUrl, KEYWAY_LOG_LEVEL: 'silent', ...masterKeyEnv, ...options.env });
  const clock = options.clock ?? systemClock;
  const { database, masterKey } = await openKeywayDatabase(config, clock, options.statementCounter ? { statementCounter: options.statementCounter } : {});
  const services = createServices({
    config,
    database,
    clock,
    masterKey,
    stepTypes: options.stepTypes,
    metadata: options.metadata,
    oidcRateLimitClock: options.oidcRateLimitClock,
  });
  const app = await buildApp({
    config,
    database,
    services,
    logger: options.logger ?? false,
    ...(options.consoleDist ? { consoleDist: options.consoleDist } : {}),
  });
  const address = await app.listen({ port: 0, host: '127.0.0.1' });
  const http = new HttpClient(address);

  const token = async (clientId: string, clientSecret: string, scope?: string): Promise<string> => {
    const form = new URLSearchParams({ grant_type: 'client_credentials', client_id: clientId, client_secret: clientSecret, ...(scope ? { scope } : {}) });
    const response = await fetch(`${address}/oauth2/token`, { method: 'POST', body: form });
    if (response.status !== 200) throw new Error(`token request failed: ${response.status} ${await response.text()}`);
    return ((await response.json()) as { access_token: string }).access_token;
  };

  return {
    kind: options.kind,
    url: address,
    config,
    database,
    masterKey,
    services,
    app,
    http,
    token,
    async tenant(id: string) {
      const created = await services.tenancy.initTenant(id);
      const accessToken = await token(created.clientId, created.clientSecret);
      return { ...created, token: accessToken, api: http.withToken(accessToken) };
    },
    async close() {
      await stopBackgroundJobs(services);
      await app.close();
      await database.close();
      await testDatabase?.drop();
    },
  };
}
