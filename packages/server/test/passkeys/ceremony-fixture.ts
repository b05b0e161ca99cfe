// Shared set-up for the ceremony and passkey API tests: a real server on one database kind with a tenant, a store, a
// relying party and a handful of policies, plus helpers that drive the exact TrustX ceremony endpoints and snapshot the
// tables a ceremony may change (so a test can assert that a failed completion changed nothing).
import assert from 'node:assert/strict';
import type { AuthenticationResponseJSON, RegistrationResponseJSON } from '@simplewebauthn/server';
import type { Clock } from '../../src/shared/clock.ts';
import type { DatabaseKind } from '../support/databases.ts';
import type { ApiResponse, HttpClient } from '../support/http-client.ts';
import type { AuthenticationDefects, RegistrationDefects, SoftAuthenticator } from '../support/soft-authenticator.ts';
import { startTestServer, type TenantFixture, type TestServer } from '../support/test-server.ts';

export const RP_ID = 'login.keyway.test';
export const ORIGIN = 'https://login.keyway.test';
export const CTX = { origin: ORIGIN };
export const STORE = 'customers';
export const API = `/api/identity-store/stores/${STORE}`;

/** Registration policies the tests use, by name. */
export const REGISTRATION_POLICIES = {
  default: {},
  'uv-required': { userVerification: 'required' },
  'device-bound': { allowSyncedPasskeys: false },
  'es256-only': { algorithms: [-7] },
  short: { timeout: 60_000 },
  packed: { attestation: 'direct' },
} as const;

/** Authentication policies the tests use, by name. */
export const AUTHENTICATION_POLICIES = {
  default: {},
  'uv-required': { userVerification: 'required' },
  short: { timeout: 60_000 },
  'named-only': { allowDiscoverable: false },
} as const;

export type RegistrationPolicyName = keyof typeof REGISTRATION_POLICIES;
export type AuthenticationPolicyName = keyof typeof AUTHENTICATION_POLICIES;

/** What a ceremony may change: compared before and after a refused completion. */
export interface Snapshot {
  credentials: unknown[];
  sessions: unknown[];
  auditEvents: number;
  users: unknown[];
}

export class CeremonyWorld {
  readonly server: TestServer;
  readonly acme: TenantFixture;

  private constructor(server: TestServer, acme: TenantFixture) {
    this.server = server;
    this.acme = acme;
  }

  static async create(kind: DatabaseKind, clock?: Clock): Promise<CeremonyWorld> {
    const server = await startTestServer({ kind, ...(clock ? { clock } : {}) });
    const acme = await server.tenant('acme');
    const world = new CeremonyWorld(server, acme);
    await world.expectStatus(acme.api.post('/api/identity-store/stores', { name: STORE }), 201);
    await world.expectStatus(acme.api.post(`${API}/passkeys/relyingParties`, { id: RP_ID, name: 'Keyway Test', origins: [ORIGIN] }), 201);
    for (const [name, settings] of Object.entries(REGISTRATION_POLICIES)) {
      await world.expectStatus(acme.api.post(`${API}/passkeys/registrationPolicies`, { name, ...settings }), 201);
    }
    for (const [name, settings] of Object.entries(AUTHENTICATION_POLICIES)) {
      await world.expectStatus(acme.api.post(`${API}/passkeys/authenticationPolicies`, { name, ...settings }), 201);
    }
    return world;
  }

  close(): Promise<void> {
    return this.server.close();
  }

  get db() {
    return this.server.database.db;
  }

  async expectStatus(response: Promise<ApiResponse>, status: number): Promise<ApiResponse> {
    const answered = await response;
    assert.equal(answered.status, status, JSON.stringify(answered.body));
    return answered;
  }

  /** Adds a user through the API; answers its id. */
  async createUser(userKey: string, fields: Record<string, unknown> = {}): Promise<{ id: string; externalId: string }> {
    const created = await this.expectStatus(this.acme.api.post(`${API}/users`, { userKey, ...fields }), 201);
    return created.body;
  }

  startRegistration(userId: string, policy: RegistrationPolicyName = 'default', body: unknown = {}, api: HttpClient = this.acme.api): Promise<ApiResponse> {
    return api.post(`${API}/users/${userId}/passkeys/relyingParties/${RP_ID}/registrations/${policy}`, body);
  }

  completeRegistration(userId: string, sessionId: string, response: RegistrationResponseJSON | unknown, api: HttpClient = this.acme.api): Promise<ApiResponse> {
    return api.post(`${API}/users/${userId}/passkeys/registrations/sessions/${sessionId}`, response);
  }

  startAuthentication(userId: string, policy: AuthenticationPolicyName = 'default', api: HttpClient = this.acme.api): Promise<ApiResponse> {
    return api.post(`${API}/users/${userId}/passkeys/relyingParties/${RP_ID}/authentications/${policy}`, {});
  }

  completeAuthentication(
    userId: string,
    sessionId: string,
    response: AuthenticationResponseJSON | unknown,
    api: HttpClient = this.acme.api,
  ): Promise<ApiResponse> {
    return api.post(`${API}/users/${userId}/passkeys/authentications/sessions/${sessionId}`, response);
  }

  /** A full registration through the API; answers the passkey record. */
  async register(
    authenticator: SoftAuthenticator,
    userId: string,
    policy: RegistrationPolicyName = 'default',
    defects: RegistrationDefects = {},
  ): Promise<Record<string, unknown> & { credentialId: string }> {
    const started = await this.expectStatus(this.startRegistration(userId, policy), 200);
    const response = authenticator.register(started.body.clientRequest, CTX, defects);
    return (await this.expectStatus(this.completeRegistration(userId, started.body.sessionId, response), 201)).body;
  }

  /** Starts a registration and has the authenticator answer it (with any defects); nothing is completed yet. */
  async registrationAttempt(authenticator: SoftAuthenticator, userId: string, policy: RegistrationPolicyName = 'default', defects: RegistrationDefects = {}) {
    const started = await this.expectStatus(this.startRegistration(userId, policy), 200);
    return {
      sessionId: started.body.sessionId as string,
      options: started.body.clientRequest,
      response: authenticator.register(started.body.clientRequest, CTX, defects),
    };
  }

  /** Starts an authentication and has the authenticator answer it (with any defects); nothing is completed yet. */
  async authenticationAttempt(
    authenticator: SoftAuthenticator,
    userId: string,
    policy: AuthenticationPolicyName = 'default',
    defects: AuthenticationDefects = {},
    credentialId?: string,
  ) {
    const started = await this.expectStatus(this.startAuthentication(userId, policy), 200);
    const options = started.body.clientRequest;
    // To answer with a credential the session did not list, the authenticator is shown no allow list.
    const shown = credentialId === undefined ? options : { ...options, allowCredentials: [] };
    const response = authenticator.authenticate(shown, { ...CTX, ...(credentialId === undefined ? {} : { credentialId }) }, defects);
    return { sessionId: started.body.sessionId as string, options, response };
  }

  async snapshot(): Promise<Snapshot> {
    const credentials = await this.db.selectFrom('credentials').selectAll().orderBy('id').execute();
    const sessions = await this.db.selectFrom('ceremony_sessions').select(['id', 'consumed_at']).orderBy('id').execute();
    const users = await this.db.selectFrom('users').select(['id', 'user_handle', 'status']).orderBy('id').execute();
    // A refusal is recorded (outcome failure, with its code) and changes nothing else.
    const audit = await this.db
      .selectFrom('audit_events')
      .select((eb) => eb.fn.countAll().as('n'))
      .where('outcome', '=', 'success')
      .executeTakeFirstOrThrow();
    return { credentials, sessions, users, auditEvents: Number(audit.n) };
  }

  /** Asserts the response is the given problem and that the database is exactly as in `before`. */
  async assertRejected(response: ApiResponse, status: number, code: string, before: Snapshot): Promise<void> {
    assert.equal(response.status, status, JSON.stringify(response.body));
    assert.equal(response.body.code, code, JSON.stringify(response.body));
    assert.equal(response.headers.get('content-type'), 'application/problem+json; charset=utf-8');
    assert.deepEqual(await this.snapshot(), before, 'a refused completion changes nothing');
  }

  async auditActions(): Promise<string[]> {
    const rows = await this.db.selectFrom('audit_events').select('action').orderBy('id').execute();
    return rows.map((r) => r.action);
  }
}
