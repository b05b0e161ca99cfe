import assert from 'node:assert/strict';
import { KeywayError } from '../../src/errors/keyway-error.ts';
import { authenticatedUser, identifiedUser } from '../../src/journeys/journey-identity.ts';
import { Type } from '@sinclair/typebox';
import { defineStepType } from '../../src/journeys/step-type.ts';
import type { ApiResponse } from '../support/http-client.ts';
import type { TenantFixture, TestServer } from '../support/test-server.ts';

export const ORIGIN = 'https://app.example.com';
export const STORE = 'customers';

/**
 * A client-facing probe step for engine tests: presents its evaluated parameters, and on submit
 * leaves by the outcome the client names in `data.outcome` (or re-presents on `again`, or refuses
 * input with `data.bad`; `data.user` identifies a user, `data.authenticated` as if by a passkey). It counts its submits so tests can prove a step never runs twice.
 */
export const probeCalls = { submits: 0, runs: 0 };
let release: (() => void) | undefined;
let gate: Promise<void> | undefined;
/** Makes the next probe submits wait until `open()` (to hold two submits in flight together). */
export function holdSubmits(): { open: () => void } {
  gate = new Promise((resolve) => {
    release = resolve;
  });
  return { open: () => release?.() };
}

/** Pass to startTestServer as `stepTypes: [probeStep]`. */
export const probeStep = defineStepType({
  type: 'test.prompt',
  title: 'Test prompt',
  family: 'general',
  parameterSchema: Type.Object(
    { message: Type.Optional(Type.Unknown()), timeoutSeconds: Type.Optional(Type.Integer({ minimum: 1 })) },
    { additionalProperties: false },
  ),
  outcomes: ['next', 'other'],
  clientFacing: true,
  timeoutSeconds: (params) => params.timeoutSeconds,
  async run(ctx, params) {
    probeCalls.runs += 1;
    return {
      kind: 'present',
      data: { message: params.message ?? null, user: ctx.user ?? null, origin: ctx.origin, locale: ctx.locale },
      options: ['client_input', 'cancel'],
    };
  },
  async submit(_ctx, params, input) {
    probeCalls.submits += 1;
    if (gate) await gate;
    const data = (input.data ?? {}) as {
      outcome?: string;
      bad?: boolean;
      again?: boolean;
      set?: Record<string, unknown>;
      user?: string;
      authenticated?: boolean;
    };
    if (data.bad) throw new KeywayError('VALIDATION_FAILED', 'data: refused by the probe', { errors: [{ field: '/data', message: 'refused' }] });
    if (data.again) return { kind: 'present', data: { message: params.message ?? null, again: true }, options: ['client_input'] };
    const updates = [
      ...Object.entries(data.set ?? {}).map(([name, value]) => ({ path: [name], value })),
      ...(data.user ? [identifiedUser({ storeName: STORE, userId: data.user })] : []),
      // Stands in for a passkey ceremony of that user (a test seam: real steps verify one).
      ...(data.user && data.authenticated
        ? [
            authenticatedUser({
              userId: data.user,
              amr: ['pop', 'user'],
              credentialId: 'probe-credential',
              attested: false,
              deviceBound: true,
              authTime: new Date(0).toISOString(),
            }),
          ]
        : []),
    ];
    return { kind: 'outcome', outcome: input.clientResponseOptionId === 'cancel' ? 'other' : (data.outcome ?? 'next'), updates };
  },
});

/** A tenant with store `customers` whose relying party allows ORIGIN, plus a user. */
export async function setUpTenant(server: TestServer, tenant = 'acme'): Promise<{ admin: TenantFixture; userId: string }> {
  const admin = await server.tenant(tenant);
  assert.equal((await admin.api.post('/api/identity-store/stores', { name: STORE })).status, 201);
  const rp = await admin.api.post(`/api/identity-store/stores/${STORE}/passkeys/relyingParties`, { id: 'app.example.com', name: 'Example', origins: [ORIGIN] });
  assert.equal(rp.status, 201, JSON.stringify(rp.body));
  const user = await admin.api.post(`/api/identity-store/stores/${STORE}/users`, { userKey: 'alice', externalId: 'ext-alice', email: 'alice@example.com' });
  assert.equal(user.status, 201, JSON.stringify(user.body));
  return { admin, userId: user.body.id as string };
}

/** Creates (or redrafts) a journey and publishes it; answers the version number. */
export async function publish(admin: TenantFixture, journeyId: string, definition: Record<string, unknown>): Promise<number> {
  const existing = await admin.api.get(`/api/journeys/${journeyId}`);
  if (existing.status === 404) assert.equal((await admin.api.post('/api/journeys', { journeyId })).status, 201);
  const draft = await admin.api.request('PUT', `/api/journeys/${journeyId}/draft`, { definition });
  assert.equal(draft.status, 200, JSON.stringify(draft.body));
  const published = await admin.api.post(`/api/journeys/${journeyId}/publish`);
  assert.equal(published.status, 201, JSON.stringify(published.body));
  return published.body.version as number;
}

export function definition(steps: unknown[], extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { schemaVersion: 1, store: STORE, start: (steps[0] as { id: string }).id, access: { public: true }, steps, ...extra };
}

export const endSuccess = (id = 'done') => ({ id, type: 'general.end', parameters: { result: 'success' } });
export const endReject = (id = 'rejected', code = 'NOPE_REJECTED') => ({ id, type: 'general.end', parameters: { result: 'rejection', code } });

/** Public start from the allowed origin. */
export function startPublic(server: TestServer, journeyId: string, body: unknown = {}, origin = ORIGIN, tenant = 'acme'): Promise<ApiResponse> {
  return server.http.post(`/${tenant}/journeys/${journeyId}/start`, body, { origin });
}

export function submit(server: TestServer, sessionId: string, body: unknown, origin = ORIGIN, tenant = 'acme'): Promise<ApiResponse> {
  return server.http.post(`/${tenant}/journeys/sessions/${sessionId}/submit`, body, { origin });
}

export async function instanceRows(server: TestServer) {
  return server.database.db.selectFrom('journey_instances').selectAll().orderBy('id').execute();
}
