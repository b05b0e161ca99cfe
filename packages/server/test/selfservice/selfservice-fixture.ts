// Shared set-up for the self-service tests: a real server on one database kind with a tenant, a store whose
// self-service is enabled (RP, registration and authentication policy), and a `Browser` that talks real HTTP the way
// a browser does: it keeps cookies (honouring Max-Age=0), sends its Origin, and can bind its socket to another
// loopback address (another client IP) or send X-Forwarded-For.
import type { MetadataProvider } from '../../src/passkeys/mds-blob.ts';
import assert from 'node:assert/strict';
import http from 'node:http';
import { parseSetCookie, type SetCookie } from 'cookie';
import { ManualClock } from '../../src/shared/clock.ts';
import { AuthenticatorDirectory } from '../../src/passkeys/authenticator-directory.ts';
import { revokeIssuedForUser } from '../../src/oidc/oidc-revocation.ts';
import { SelfServiceService, type SelfServiceDeps } from '../../src/selfservice/self-service-service.ts';
import type { StatementCounter } from '../../src/storage/statement-counter.ts';
import type { DatabaseKind } from '../support/databases.ts';
import type { ApiResponse } from '../support/http-client.ts';
import { SoftAuthenticator } from '../support/soft-authenticator.ts';
import { startTestServer, type TenantFixture, type TestServer } from '../support/test-server.ts';

export const RP_ID = 'keyway.test';
export const ORIGIN = 'https://login.keyway.test';
export const STORE = 'customers';
export const ADMIN = `/api/identity-store/stores/${STORE}`;
export const BASE = `/acme/identity/${STORE}`;
export const SELF_SERVICE = { enabled: true, relyingPartyId: RP_ID, registrationPolicy: 'default', authenticationPolicy: 'default', allowSignUp: true };

export interface BrowserOptions {
  origin?: string | undefined;
  /** Local address of the client socket (another client IP on loopback, e.g. 127.0.0.2) */
  localAddress?: string;
  /** Sent with every request (e.g. X-Forwarded-For, Sec-Fetch-Site) */
  headers?: Record<string, string>;
}

export interface BrowserResponse extends ApiResponse {
  /** The Set-Cookie headers of this response, parsed */
  setCookies: SetCookie[];
}

/** A cookie-keeping HTTP client over node:http (which can choose the local address). */
export class Browser {
  readonly baseUrl: string;
  readonly options: BrowserOptions;
  readonly cookies = new Map<string, string>();

  constructor(baseUrl: string, options: BrowserOptions = {}) {
    this.baseUrl = baseUrl;
    this.options = { origin: ORIGIN, ...options };
  }

  request(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<BrowserResponse> {
    return this.requestRaw(method, path, body === undefined ? undefined : JSON.stringify(body), headers);
  }

  /** A request whose body is sent as given (JSON unless `content-type` says otherwise, e.g. a form). */
  requestRaw(method: string, path: string, payload: string | undefined, headers: Record<string, string> = {}): Promise<BrowserResponse> {
    const url = new URL(this.baseUrl + path);
    const cookie = [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
    const sent: Record<string, string> = {
      ...(this.options.origin === undefined ? {} : { origin: this.options.origin }),
      ...(payload === undefined ? {} : { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(payload)) }),
      ...(cookie === '' ? {} : { cookie }),
      ...this.options.headers,
      ...headers,
    };
    return new Promise((resolve, reject) => {
      const req = http.request(
        {
          host: url.hostname,
          port: url.port,
          path: url.pathname + url.search,
          method,
          headers: sent,
          ...(this.options.localAddress ? { localAddress: this.options.localAddress } : {}),
          agent: false,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            const headersOut = new Headers();
            for (const [name, value] of Object.entries(res.headers)) {
              if (Array.isArray(value)) for (const v of value) headersOut.append(name, v);
              else if (value !== undefined) headersOut.set(name, value);
            }
            const setCookies = (res.headers['set-cookie'] ?? []).map((line) => parseSetCookie(line));
            for (const c of setCookies) {
              if (c.maxAge === 0 || c.value === '' || c.value === undefined) this.cookies.delete(c.name);
              else this.cookies.set(c.name, c.value);
            }
            const parsed = (res.headers['content-type'] ?? '').includes('json') && text !== '' ? (JSON.parse(text) as unknown) : text;
            resolve({ status: res.statusCode ?? 0, body: parsed, headers: headersOut, setCookies });
          });
        },
      );
      req.on('error', reject);
      if (payload !== undefined) req.write(payload);
      req.end();
    });
  }

  post(path: string, body?: unknown, headers?: Record<string, string>) {
    return this.request('POST', BASE + path, body ?? {}, headers);
  }
  get(path: string, headers?: Record<string, string>) {
    return this.request('GET', BASE + path, undefined, headers);
  }
  patch(path: string, body: unknown) {
    return this.request('PATCH', BASE + path, body);
  }
  delete(path: string) {
    return this.request('DELETE', BASE + path);
  }
}

export interface WorldOptions {
  env?: Record<string, string>;
  clock?: ManualClock;
  /** Another node (or a restarted one) on an existing database */
  databaseUrl?: string;
  /** Skip creating the tenant, store and configuration (they exist in `databaseUrl`) */
  existing?: boolean;
  /** Counts the SQL statements and commits the server sends */
  statementCounter?: StatementCounter;
  /** Where FIDO metadata BLOBs come from, instead of FIDO's */
  metadata?: MetadataProvider;
}

export class SelfServiceWorld {
  readonly server: TestServer;
  readonly acme: TenantFixture | undefined;
  readonly clock: ManualClock;

  private constructor(server: TestServer, acme: TenantFixture | undefined, clock: ManualClock) {
    this.server = server;
    this.acme = acme;
    this.clock = clock;
  }

  static async create(kind: DatabaseKind, options: WorldOptions = {}): Promise<SelfServiceWorld> {
    const clock = options.clock ?? new ManualClock('2026-03-01T10:00:00Z');
    const server = await startTestServer({
      kind,
      clock,
      env: { KEYWAY_PUBLIC_URL: ORIGIN, KEYWAY_RATE_LIMIT_PER_IP: '100000', KEYWAY_RATE_LIMIT_PER_IDENTIFIER: '100000', ...options.env },
      ...(options.databaseUrl ? { databaseUrl: options.databaseUrl } : {}),
      ...(options.statementCounter ? { statementCounter: options.statementCounter } : {}),
      ...(options.metadata ? { metadata: options.metadata } : {}),
    });
    if (options.existing) return new SelfServiceWorld(server, undefined, clock);
    const acme = await server.tenant('acme');
    const world = new SelfServiceWorld(server, acme, clock);
    await expectStatus(acme.api.post('/api/identity-store/stores', { name: STORE, displayName: 'Customers' }), 201);
    await expectStatus(
      acme.api.post(`${ADMIN}/passkeys/relyingParties`, { id: RP_ID, name: 'Keyway Test', origins: [ORIGIN, 'https://app.keyway.test'] }),
      201,
    );
    await expectStatus(acme.api.post(`${ADMIN}/passkeys/registrationPolicies`, { name: 'default' }), 201);
    await expectStatus(acme.api.post(`${ADMIN}/passkeys/authenticationPolicies`, { name: 'default' }), 201);
    await expectStatus(acme.api.patch(ADMIN, { selfService: SELF_SERVICE }), 200);
    return world;
  }

  get api() {
    assert.ok(this.acme, 'this world has no admin client');
    return this.acme.api;
  }

  get db() {
    return this.server.database.db;
  }

  browser(options: BrowserOptions = {}): Browser {
    return new Browser(this.server.url, options);
  }

  close(): Promise<void> {
    return this.server.close();
  }

  /** Sign-up through the public API: begin, the authenticator creates the passkey, finish. */
  async signUp(browser: Browser, identifier: string, authenticator = new SoftAuthenticator(), displayName?: string) {
    const begun = await expectStatus(browser.post('/register/webauthn/begin', { identifier, ...(displayName ? { displayName } : {}) }), 200);
    const credential = authenticator.register(begun.body.publicKey, { origin: ORIGIN });
    const finished = await expectStatus(browser.post('/register/webauthn/finish', credential), 201);
    return {
      authenticator,
      credentialId: credential.id as string,
      user: finished.body.user as { id: string; userKey: string; displayName: string },
      response: finished,
    };
  }

  /** Sign-in through the public API, identifier-first when an identifier is given, else usernameless. */
  async signIn(browser: Browser, authenticator: SoftAuthenticator, identifier?: string, credentialId?: string) {
    const options = await expectStatus(browser.post('/login/webauthn/options', identifier === undefined ? {} : { identifier }), 200);
    const assertion = authenticator.authenticate(options.body.publicKey, { origin: ORIGIN, ...(credentialId ? { credentialId } : {}) });
    return expectStatus(browser.post('/login/webauthn/finish', assertion), 200);
  }

  async auditActions(): Promise<string[]> {
    const rows = await this.db.selectFrom('audit_events').select('action').orderBy('id').execute();
    return rows.map((r) => r.action);
  }

  /** Row counts of everything a public request may change. */
  /**
   * A self-service service over this world's database and services with some dependencies replaced (a test's own
   * seam: an identity port that races, metadata that cannot load). Not the one the HTTP server uses.
   */
  selfServiceWith(replaced: Partial<SelfServiceDeps>): SelfServiceService {
    const services = this.server.services;
    return new SelfServiceService({
      db: this.db,
      clock: this.clock,
      identity: services.identity,
      ceremonies: services.ceremonies,
      credentials: services.credentials,
      relyingParties: services.relyingParties,
      policies: services.policies,
      authenticators: new AuthenticatorDirectory({
        db: this.db,
        clock: this.clock,
        metadata: { get: async () => Promise.reject(new Error('no metadata here')) },
      }),
      publicUrl: ORIGIN,
      rateLimitPerIp: 100,
      rateLimitPerIdentifier: 100,
      masterKey: this.server.masterKey,
      email: services.email,
      endClientSessions: revokeIssuedForUser,
      ...replaced,
    });
  }

  async counts(): Promise<Record<string, number>> {
    const tables = [
      'users',
      'credentials',
      'ceremony_sessions',
      'selfservice_flows',
      'selfservice_sessions',
      'selfservice_recovery_links',
      'audit_events',
    ] as const;
    const out: Record<string, number> = {};
    for (const table of tables) {
      // A refused ceremony is recorded (outcome failure, with its code) and changes nothing else.
      const row =
        table === 'audit_events'
          ? await this.db
              .selectFrom('audit_events')
              .select((eb) => eb.fn.countAll().as('n'))
              .where('outcome', '=', 'success')
              .executeTakeFirstOrThrow()
          : await this.db
              .selectFrom(table)
              .select((eb) => eb.fn.countAll().as('n'))
              .executeTakeFirstOrThrow();
      out[table] = Number(row.n);
    }
    const revoked = await this.db
      .selectFrom('selfservice_sessions')
      .select((eb) => eb.fn.countAll().as('n'))
      .where('revoked_at', 'is not', null)
      .executeTakeFirstOrThrow();
    out.revokedSessions = Number(revoked.n);
    return out;
  }
}

export async function expectStatus<T extends ApiResponse>(response: Promise<T>, status: number): Promise<T> {
  const answered = await response;
  assert.equal(answered.status, status, JSON.stringify(answered.body));
  return answered;
}

export async function expectProblem<T extends ApiResponse>(response: Promise<T>, status: number, code: string): Promise<T> {
  const answered = await response;
  assert.equal(answered.status, status, JSON.stringify(answered.body));
  assert.equal(answered.body.code, code, JSON.stringify(answered.body));
  assert.equal(answered.headers.get('content-type'), 'application/problem+json; charset=utf-8');
  return answered;
}
