import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Type } from '@sinclair/typebox';
import { DRY_RUN_LIMITS } from '../../src/journeys/dry-run/dry-run-limiter.ts';
import { DRY_RUN_MAX_MS, DRY_RUN_MAX_STEPS } from '../../src/journeys/dry-run/journey-dry-run.ts';
import { defineStepType } from '../../src/journeys/step-type.ts';
import { ManualClock } from '../../src/shared/clock.ts';
import { DATABASE_KINDS } from '../support/databases.ts';
import { snapshotDatabase } from '../support/database-snapshot.ts';
import type { ApiResponse } from '../support/http-client.ts';
import { startTestServer, type TenantFixture, type TestServer } from '../support/test-server.ts';
import { definition, endSuccess, publish, setUpTenant, startPublic, STORE } from './engine-fixture.ts';

// POST /api/journeys/{journeyId}/dry-run: the real steps and branching, a sandboxed port, nothing stored.

interface TraceEntry {
  stepId: string;
  type: string;
  outcome: string;
  variables: Record<string, unknown>;
}

const REGISTRATION = 'trustx-passkey-registration';
const AUTHENTICATION = 'trustx-passkey-authentication';
const DETAILS = { registrationDetails: { userName: 'bob', displayName: 'Bob Builder' } };

const path = (trace: TraceEntry[]) => trace.map((entry) => `${entry.stepId}:${entry.outcome}`);

for (const kind of DATABASE_KINDS) {
  describe(`journey dry-run on ${kind}`, () => {
    let server: TestServer;
    let admin: TenantFixture;
    const clock = new ManualClock(new Date());

    /** Runs a dry-run and checks that no table changed, not by a row or a byte. */
    async function dryRun(journeyId: string, body: Record<string, unknown>, api = admin.api): Promise<ApiResponse> {
      const before = await snapshotDatabase(server.database);
      const response = await api.post(`/api/journeys/${journeyId}/dry-run`, body);
      assert.deepEqual(await snapshotDatabase(server.database), before, 'a dry-run changes no table');
      return response;
    }

    /** Publishes the definition as `journeyId`; answers the id. */
    async function publishedAs(journeyId: string, body: Record<string, unknown>): Promise<string> {
      await publish(admin, journeyId, body);
      return journeyId;
    }

    async function tried(journeyId: string, script: Record<string, unknown>): Promise<{ result: Record<string, unknown>; trace: TraceEntry[] }> {
      const response = await dryRun(journeyId, { script });
      assert.equal(response.status, 200, JSON.stringify(response.body));
      assert.deepEqual(Object.keys(response.body).sort(), ['result', 'trace']);
      return response.body;
    }

    before(async () => {
      server = await startTestServer({ kind, clock });
      ({ admin } = await setUpTenant(server));
      const api = `/api/identity-store/stores/${STORE}/passkeys`;
      assert.equal((await admin.api.post(`${api}/registrationPolicies`, { name: 'default', userVerification: 'required' })).status, 201);
      assert.equal((await admin.api.post(`${api}/authenticationPolicies`, { name: 'default', userVerification: 'required' })).status, 201);
      const installed = await admin.api.post('/api/journeys/templates/install', { store: STORE });
      assert.equal(installed.status, 200, JSON.stringify(installed.body));
    });
    after(() => server.close());

    test('succeeds: the whole registration path, form input in the variables, a user and a passkey that exist only in the run', async () => {
      const { result, trace } = await tried(REGISTRATION, { ...DETAILS, registrationForm: 'succeeds' });
      assert.deepEqual(result, { status: 'success', stepId: 'end' });
      assert.deepEqual(path(trace), [
        'registrationDetails:success',
        'addUser:success',
        'startRegistration:success',
        'registrationForm:success',
        'completeRegistration:success',
        'decide:PASSED',
        'end:success',
      ]);
      assert.equal(trace[0]!.type, 'trustx.customDataForm');
      assert.deepEqual(trace[0]!.variables.registrationDetails, { userName: 'bob', displayName: 'Bob Builder' });
      const completed = trace[4]!.variables;
      const user = completed.user as { userId: string; status: string };
      assert.equal(user.status, 'active', 'the pending user of Add User is active after its first passkey, in the run');
      const record = (
        completed._identityStore as { passkeys: { registrations: { passkeyReg1: { currentPasskeyRegistrationRecord: Record<string, unknown> } } } }
      ).passkeys.registrations.passkeyReg1.currentPasskeyRegistrationRecord;
      assert.equal(record.status, 'completed');
      assert.equal((await admin.api.get(`/api/identity-store/stores/${STORE}/users/${user.userId}`)).status, 404, 'the user never existed outside the run');
      const listed = await admin.api.get(`/api/identity-store/stores/${STORE}/users?userKey=bob`);
      assert.deepEqual(listed.body.items, []);
    });

    test('userCancels takes the retry branch; a list answers the visits in turn', async () => {
      const cancelled = await tried(REGISTRATION, { ...DETAILS, registrationForm: 'userCancels', retry: 'userCancels' });
      assert.deepEqual(path(cancelled.trace).slice(3), [
        'registrationForm:success',
        'completeRegistration:User cancelled',
        'retry:cancel',
        'rejected:rejection',
      ]);
      assert.deepEqual(cancelled.result, { status: 'rejection', code: 'USER_CANCELLED', stepId: 'rejected' });

      const retried = await tried(REGISTRATION, { ...DETAILS, registrationForm: ['userCancels', 'succeeds'], retry: {} });
      assert.deepEqual(path(retried.trace).slice(3), [
        'registrationForm:success',
        'completeRegistration:User cancelled',
        'retry:success',
        'registrationForm:success',
        'completeRegistration:success',
        'decide:PASSED',
        'end:success',
      ]);
      assert.equal(retried.result.status, 'success');
    });

    test('timesOut takes the timeout outcome; failsUserVerification is refused by the real verifier under a policy that requires it', async () => {
      const timedOut = await tried(REGISTRATION, { ...DETAILS, registrationForm: 'timesOut' });
      // The template wires timeout to the decider, which records no failed check for a timeout: the same path as a real run.
      assert.deepEqual(path(timedOut.trace).slice(3), ['registrationForm:timeout', 'decide:PASSED', 'end:success']);

      const unverified = await tried(REGISTRATION, { ...DETAILS, registrationForm: 'failsUserVerification' });
      assert.deepEqual(path(unverified.trace).slice(3), [
        'registrationForm:success',
        'completeRegistration:Failed ID Store Service Call',
        'decide:FAILED',
        'failed:rejection',
      ]);
      const error = (
        unverified.trace[4]!.variables._identityStore as {
          addUserError?: unknown;
          passkeys: { registrations: { passkeyReg1: { currentPasskeyRegistrationRecord: { error: { code: string } } } } };
        }
      ).passkeys.registrations.passkeyReg1.currentPasskeyRegistrationRecord.error;
      assert.equal(error.code, 'USER_VERIFICATION_REQUIRED');
    });

    test('a real user is seen read-only: a taken username takes the Add User failure branch', async () => {
      const taken = await tried(REGISTRATION, { registrationDetails: { userName: 'alice', displayName: 'Alice' } });
      assert.deepEqual(path(taken.trace), ['registrationDetails:success', 'addUser:Failed to add the user', 'usernameTaken:true', 'taken:rejection']);
      assert.equal(taken.result.code, 'IDENTIFIER_TAKEN');
    });

    test('sign-in: succeeds with the authenticator’s own passkey for a real user; unknownCredential is refused', async () => {
      const signedIn = await tried(AUTHENTICATION, { signIn: { userName: 'alice' }, authenticationForm: 'succeeds' });
      assert.deepEqual(path(signedIn.trace).slice(1), [
        'startAuthentication:success',
        'authenticationForm:success',
        'completeAuthentication:success',
        'decide:PASSED',
        'end:success',
      ]);
      assert.equal((signedIn.trace.at(-1)!.variables.user as { userKey?: string; externalId: string }).externalId, 'ext-alice');

      const unknown = await tried(AUTHENTICATION, { signIn: { userName: 'alice' }, authenticationForm: 'unknownCredential' });
      assert.deepEqual(path(unknown.trace).slice(2), [
        'authenticationForm:success',
        'completeAuthentication:Failed ID Store Service Call',
        'decide:FAILED',
        'failed:rejection',
      ]);
      const unverified = await tried(AUTHENTICATION, { signIn: { userName: 'alice' }, authenticationForm: 'failsUserVerification' });
      assert.equal(unverified.result.code, 'PASSKEY_AUTHENTICATION_FAILED');
      const cancelled = await tried(AUTHENTICATION, { signIn: { userName: 'alice' }, authenticationForm: 'userCancels', retry: 'userCancels' });
      assert.ok(path(cancelled.trace).includes('completeAuthentication:User cancelled'));
    });

    test('the definition in the body is tried instead of the draft; without one the draft, else the latest version', async () => {
      const own = definition(
        [{ id: 'greet', type: 'general.setVariables', parameters: { variables: { greeting: 'hello' } }, outcomes: { success: 'done' } }, endSuccess()],
        { start: 'greet', variables: { greeting: { type: 'string' } } },
      );
      const response = await dryRun(REGISTRATION, { definition: own, script: {} });
      assert.equal(response.status, 200, JSON.stringify(response.body));
      assert.deepEqual(path(response.body.trace), ['greet:success', 'done:success']);
      assert.equal(response.body.trace[0].variables.greeting, 'hello');
      assert.equal(response.body.result.code, 'JOURNEY_NO_USER', 'a success without a user fails, as the engine’s completion does');

      assert.equal((await admin.api.post('/api/journeys', { journeyId: 'drafted', definition: own })).status, 201);
      const draft = await dryRun('drafted', { script: {} });
      assert.equal(draft.status, 200, JSON.stringify(draft.body));
      assert.deepEqual(path(draft.body.trace), ['greet:success', 'done:success']);
    });

    test('errors: unknown journey 404, invalid definition 400 with its problems, unknown step 400, unfitting answer 400, each with its code', async () => {
      const missing = await dryRun('nope', { script: {} });
      assert.equal(missing.status, 404);
      assert.equal(missing.body.code, 'JOURNEY_NOT_FOUND');

      const invalid = await dryRun(REGISTRATION, { definition: { schemaVersion: 1, store: STORE, start: 'ghost', steps: [] }, script: {} });
      assert.equal(invalid.status, 400);
      assert.equal(invalid.body.code, 'JOURNEY_DEFINITION_INVALID');
      assert.ok(invalid.body.errors.length > 0, JSON.stringify(invalid.body));

      const unknownStep = await dryRun(REGISTRATION, { script: { ghost: 'succeeds' } });
      assert.equal(unknownStep.status, 400);
      assert.equal(unknownStep.body.code, 'JOURNEY_DRY_RUN_UNKNOWN_STEP');
      assert.deepEqual(unknownStep.body.errors, [{ field: '/script/ghost', message: 'no step with this id' }]);

      const unfitting = await dryRun(REGISTRATION, { script: { registrationForm: 'unknownCredential' } });
      assert.equal(unfitting.status, 400);
      assert.equal(unfitting.body.code, 'JOURNEY_DRY_RUN_SCRIPT_INVALID');
      const serverSide = await dryRun(REGISTRATION, { script: { addUser: 'succeeds' } });
      assert.equal(serverSide.body.code, 'JOURNEY_DRY_RUN_SCRIPT_INVALID');

      const badBehaviour = await dryRun(REGISTRATION, { script: { registrationForm: 'explodes' } });
      assert.equal(badBehaviour.status, 400);
      assert.equal(badBehaviour.body.code, 'VALIDATION_FAILED');
    });

    test('another tenant’s journey is not found; a caller without Journeys:updateDraft is refused', async () => {
      const other = await server.tenant('other');
      const foreign = await dryRun(REGISTRATION, { script: {} }, other.api);
      assert.equal(foreign.status, 404);
      assert.equal(foreign.body.code, 'JOURNEY_NOT_FOUND');

      const reader = server.http.withToken(await server.token(admin.clientId, admin.clientSecret, 'TNT#acme#Journeys:get TNT#acme#Journeys:validate'));
      const refused = await dryRun(REGISTRATION, { script: {} }, reader);
      assert.equal(refused.status, 403);
      assert.equal(refused.body.code, 'FORBIDDEN');
      assert.match(refused.body.detail, /Journeys:updateDraft/);
    });

    test('the auditor’s leak: with only Journeys:updateDraft, a real user a step or the script names is not found, exactly as an absent one, and nothing of them is shown', async () => {
      clock.advance(61_000); // a fresh minute of the dry-run budget
      const editor = server.http.withToken(await server.token(admin.clientId, admin.clientSecret, 'TNT#acme#Journeys:updateDraft'));
      const alice = (await admin.api.get(`/api/identity-store/stores/${STORE}/users?userKey=alice`)).body.items[0] as { id: string };
      const secrets = ['alice@example.com', 'ext-alice', alice.id];
      /** The response with the run's random instance id removed and `name` written as `alice`, to compare two runs. */
      const comparable = (body: unknown, name: string) =>
        JSON.stringify(body)
          .replaceAll(/"instanceId":"dry-run-[^"]+"/g, '"instanceId":""')
          .replaceAll(name, 'alice');
      const runs = async (journeyId: string, named: string, unknown: string, build: (name: string) => Record<string, unknown>) => {
        const hidden = await dryRun(journeyId, build(named), editor);
        assert.equal(hidden.status, 200, JSON.stringify(hidden.body));
        // What the caller wrote itself comes back in the "not found"; nothing else of the user does.
        for (const secret of secrets.filter((s) => s !== named))
          assert.ok(!JSON.stringify(hidden.body).includes(secret), `${journeyId}: ${secret} is not shown`);
        const absent = await dryRun(journeyId, build(unknown), editor);
        assert.equal(comparable(hidden.body, named), comparable(absent.body, unknown), `${journeyId}: ${named} looks exactly like an absent user`);
        return hidden.body as { result: Record<string, unknown>; trace: TraceEntry[] };
      };

      // The script names alice at the template's sign-in form (User Key → the store's users).
      const signIn = await runs(AUTHENTICATION, 'alice', 'nobody', (name) => ({ script: { signIn: { userName: name }, authenticationForm: 'succeeds' } }));
      assert.deepEqual(path(signIn.trace).slice(0, 2), ['signIn:success', 'startAuthentication:Failed ID Store Service Call']);
      assert.equal(signIn.result.code, 'PASSKEY_AUTHENTICATION_FAILED');
      const record = (
        signIn.trace[1]!.variables._identityStore as {
          passkeys: { authentications: { passkeyAuth1: { currentPasskeyAuthenticationRecord: { error: unknown } } } };
        }
      ).passkeys.authentications.passkeyAuth1.currentPasskeyAuthenticationRecord;
      assert.deepEqual(record.error, { code: 'USER_NOT_FOUND', detail: 'No user with userKey alice in store customers' });

      // A definition in the body names alice by a constant, by key, by id and by external id.
      const naming = (user: Record<string, unknown>) => ({
        definition: definition(
          [
            {
              id: 'start',
              type: 'trustx.startPasskeyRegistration',
              parameters: { storeName: STORE, relyingPartyId: 'app.example.com', registrationPolicy: 'default', passkeyRegistrationKey: 'r', ...user },
              outcomes: { success: 'done', 'Failed ID Store Service Call': 'done' },
            },
            endSuccess(),
          ],
          { start: 'start' },
        ),
        script: {},
      });
      const errorOf = (trace: TraceEntry[]) =>
        (trace[0]!.variables._identityStore as { passkeys: { registrations: { r: { currentPasskeyRegistrationRecord: { error: { code: string } } } } } })
          .passkeys.registrations.r.currentPasskeyRegistrationRecord.error;
      const byKey = await runs(REGISTRATION, 'alice', 'nobody', (name) => naming({ userKey: name }));
      assert.equal(errorOf(byKey.trace).code, 'USER_NOT_FOUND');
      const byId = await runs(REGISTRATION, alice.id, `${alice.id.slice(0, -4)}zzzz`, (id) => naming({ userId: id }));
      assert.equal(errorOf(byId.trace).code, 'USER_NOT_FOUND');
      const byExternalId = await runs(REGISTRATION, 'ext-alice', 'ext-nobody', (externalId) => naming({ userExternalId: externalId }));
      assert.equal(errorOf(byExternalId.trace).code, 'USER_NOT_FOUND');

      // A taken user key is free in the run: trying alice's tells nothing either (the same path as a free one).
      const signUp = (name: string) => dryRun(REGISTRATION, { script: { registrationDetails: { userName: name, displayName: 'A' } } }, editor);
      const [taken, free] = [await signUp('alice'), await signUp('nobody')];
      assert.deepEqual(taken.body.result, { status: 'success', stepId: 'end' });
      assert.deepEqual(path(taken.body.trace), path(free.body.trace));
      for (const secret of secrets) assert.ok(!JSON.stringify(taken.body).includes(secret), `sign-up: ${secret} is not shown`);
    });

    test('with the permission to read users, the run shows the real user a step names, as the identity API would', async () => {
      clock.advance(61_000); // a fresh minute of the dry-run budget
      const tokenFor = async (scope: string) => server.http.withToken(await server.token(admin.clientId, admin.clientSecret, scope));
      const lister = await tokenFor('TNT#acme#Journeys:updateDraft TNT#acme#IdentityStore:listUsers');
      const signIn = await dryRun(AUTHENTICATION, { script: { signIn: { userName: 'alice' }, authenticationForm: 'succeeds' } }, lister);
      assert.equal(signIn.status, 200, JSON.stringify(signIn.body));
      assert.equal(signIn.body.result.status, 'success');
      assert.equal((signIn.body.trace.at(-1).variables.user as { externalId: string; email: string }).email, 'alice@example.com');
      // Reading by id needs IdentityStore:getUser; by user key, listing (the step looks the key up).
      const alice = (await admin.api.get(`/api/identity-store/stores/${STORE}/users?userKey=alice`)).body.items[0] as { id: string };
      const byId = (scope: string) =>
        tokenFor(scope).then((api) =>
          dryRun(
            REGISTRATION,
            {
              definition: definition(
                [
                  {
                    id: 'start',
                    type: 'trustx.startPasskeyRegistration',
                    parameters: {
                      storeName: STORE,
                      relyingPartyId: 'app.example.com',
                      registrationPolicy: 'default',
                      passkeyRegistrationKey: 'r',
                      userId: alice.id,
                    },
                    outcomes: { success: 'done', 'Failed ID Store Service Call': 'done' },
                  },
                  endSuccess(),
                ],
                { start: 'start' },
              ),
              script: {},
            },
            api,
          ),
        );
      const reader = await byId('TNT#acme#Journeys:updateDraft TNT#acme#IdentityStore:getUser');
      assert.equal(reader.body.trace[0].outcome, 'success', JSON.stringify(reader.body));
      assert.match(JSON.stringify(reader.body.trace[0].variables), /alice@example\.com/, 'the options name the user, as the ceremony would');
      const listerById = await byId('TNT#acme#Journeys:updateDraft TNT#acme#IdentityStore:listUsers');
      assert.equal(listerById.body.trace[0].outcome, 'Failed ID Store Service Call');
      const signUp = await dryRun(REGISTRATION, { script: { registrationDetails: { userName: 'alice', displayName: 'A' } } }, lister);
      assert.equal(signUp.body.result.code, 'IDENTIFIER_TAKEN', 'a caller who may list users sees the key taken, as the real run would');
    });

    test('an e-mail code on a server without SMTP fails in the run as it would for real, instead of "succeeding"', async () => {
      const otp = definition(
        [
          {
            id: 'code',
            type: 'general.emailOtp',
            parameters: { emailAddress: 'someone@example.com' },
            outcomes: { success: 'done', failed: 'done', expired: 'done', cancel: 'done' },
          },
          endSuccess(),
        ],
        { start: 'code' },
      );
      const real = await startPublic(server, await publishedAs('otp-without-smtp', otp));
      const tried = await dryRun('otp-without-smtp', { definition: otp, script: { code: 'succeeds' } });
      assert.equal(real.status, 200, JSON.stringify(real.body));
      assert.deepEqual([real.body.journeyStepId, real.body.data], ['rejection', { code: 'EMAIL_NOT_CONFIGURED', stepId: 'code' }]);
      assert.equal(tried.status, 200, JSON.stringify(tried.body));
      assert.deepEqual(tried.body.result, { status: 'rejection', code: 'EMAIL_NOT_CONFIGURED', stepId: 'code' });
      assert.deepEqual(path(tried.body.trace), ['code:rejection']);
    });

    test(`rate-limited per tenant: ${DRY_RUN_LIMITS.perMinute} a minute, then 429 RATE_LIMITED with Retry-After until the minute is over`, async () => {
      clock.advance(61_000);
      const quick = { definition: definition([endSuccess()], { start: 'done' }), script: {} };
      for (let i = 0; i < DRY_RUN_LIMITS.perMinute; i += 1) assert.equal((await dryRun(REGISTRATION, quick)).status, 200);
      const limited = await dryRun(REGISTRATION, quick);
      assert.equal(limited.status, 429);
      assert.equal(limited.body.code, 'RATE_LIMITED');
      assert.equal(limited.headers.get('retry-after'), '60');
      const other = await server.tenant('calm');
      assert.equal((await dryRun(REGISTRATION, quick, other.api)).body.code, 'JOURNEY_NOT_FOUND', 'another tenant has its own budget');
      clock.advance(60_000);
      assert.equal((await dryRun(REGISTRATION, quick)).status, 200);
    });
  });

  describe(`journey dry-run bounds inside a chain of server-side steps on ${kind}`, () => {
    let server: TestServer;
    let admin: TenantFixture;
    const clock = new ManualClock(new Date());
    /** A server-side step that takes three seconds (of the injected clock). */
    const slowStep = defineStepType({
      type: 'test.slow',
      title: 'Test slow step',
      family: 'general',
      parameterSchema: Type.Object({}, { additionalProperties: false }),
      outcomes: ['next'],
      clientFacing: false,
      run() {
        clock.advance(3_000);
        return Promise.resolve({ kind: 'outcome', outcome: 'next' });
      },
    });

    before(async () => {
      server = await startTestServer({ kind, clock, stepTypes: [slowStep] });
      ({ admin } = await setUpTenant(server));
    });
    after(() => server.close());

    async function tryDefinition(journeyId: string, body: Record<string, unknown>): Promise<{ result: Record<string, unknown>; trace: TraceEntry[] }> {
      assert.equal((await admin.api.post('/api/journeys', { journeyId })).status, 201);
      const before = await snapshotDatabase(server.database);
      const response = await admin.api.post(`/api/journeys/${journeyId}/dry-run`, { definition: body, script: {} });
      assert.equal(response.status, 200, JSON.stringify(response.body));
      assert.deepEqual(await snapshotDatabase(server.database), before, 'a dry-run changes no table');
      return response.body;
    }

    test('the auditor’s loop of slow expressions ends with JOURNEY_EXPRESSION_BUDGET_EXCEEDED, as a real start does, within its first loops', async () => {
      const hundred = `[${Array.from({ length: 100 }, (_, i) => i).join(', ')}]`;
      const slow = `\${${hundred}.exists(a, ${hundred}.exists(b, ${hundred}.exists(c, false)))}`;
      const four = Object.fromEntries(Array.from({ length: 4 }, (_, i) => [`v${i}`, slow]));
      const { result, trace } = await tryDefinition(
        'slow-expressions',
        definition(
          [
            { id: 'a', type: 'general.setVariables', parameters: { variables: four }, outcomes: { success: 'c' } },
            { id: 'c', type: 'general.condition', parameters: { condition: '${true}' }, outcomes: { true: 'a', false: 'done' } },
            endSuccess(),
          ],
          { variables: Object.fromEntries(Object.keys(four).map((name) => [name, { type: 'boolean' }])) },
        ),
      );
      assert.equal(result.status, 'rejection');
      assert.equal(result.code, 'JOURNEY_EXPRESSION_BUDGET_EXCEEDED');
      assert.equal(result.stepId, 'a');
      assert.deepEqual(trace.at(-1)!.stepId, 'a');
      assert.equal(trace.at(-1)!.outcome, 'failed');
      assert.ok(trace.length < DRY_RUN_MAX_STEPS, `${trace.length} steps ran; the step limit would have let ${DRY_RUN_MAX_STEPS}`);
    });

    test(`a chain of server-side steps is stopped at the dry-run’s time limit (${DRY_RUN_MAX_MS} ms) inside the chain, not at its step limit`, async () => {
      const { result, trace } = await tryDefinition(
        'slow-steps',
        definition([
          { id: 'slow', type: 'test.slow', outcomes: { next: 'c' } },
          { id: 'c', type: 'general.condition', parameters: { condition: '${true}' }, outcomes: { true: 'slow', false: 'done' } },
          endSuccess(),
        ]),
      );
      // 3 s a slow step: the fourth ends at 12 s, and the run stops before the step after it.
      assert.deepEqual(result, { status: 'stopped', code: 'DRY_RUN_TIME_LIMIT', stepId: 'c', detail: `the dry-run ran longer than ${DRY_RUN_MAX_MS} ms` });
      assert.deepEqual(path(trace), ['slow:next', 'c:true', 'slow:next', 'c:true', 'slow:next', 'c:true', 'slow:next']);
    });
  });
}
