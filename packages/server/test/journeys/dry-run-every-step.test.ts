import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import { ManualClock } from '../../src/shared/clock.ts';
import { DATABASE_KINDS } from '../support/databases.ts';
import { snapshotDatabase } from '../support/database-snapshot.ts';
import type { ApiResponse } from '../support/http-client.ts';
import { startSmtpListener, type SmtpListener } from '../support/smtp-listener.ts';
import { startTestServer, type TenantFixture, type TestServer } from '../support/test-server.ts';
import { definition, endReject, endSuccess, publish, setUpTenant, STORE } from './engine-fixture.ts';

// The dry-run answers every step type of /api/journeys/step-types as the operator chooses (the Mosaic Login Form and
// Passkey Authentication, Custom Page V2, e-mail codes, device status), optionally as an existing user, and nothing
// it does leaves the sandbox: no table changes, no mail reaches the SMTP server.

interface TraceEntry {
  stepId: string;
  type: string;
  outcome: string;
  variables: Record<string, unknown>;
}
interface DryRun {
  result: { status: string; code?: string; stepId?: string; detail?: string };
  trace: TraceEntry[];
}

const SIGN_IN = 'mosaic-passkey-sign-in';
const REGISTRATION = 'mosaic-passkey-registration';
const ALICE = { userKey: 'alice' };
const path = (trace: TraceEntry[]) => trace.map((entry) => `${entry.stepId}:${entry.outcome}`);
const RP = { relyingPartyId: 'app.example.com', registrationPolicy: 'default', authenticationPolicy: 'default' };

/** One journey per step type the templates do not show: each type's own steps, answered as a user would. */
const OWN_JOURNEYS: Record<string, { journeyId: string; definition: Record<string, unknown>; script: Record<string, unknown> }> = {
  'general.emailOtp': {
    journeyId: 'try-email-code',
    definition: definition(
      [
        { id: 'code', type: 'general.emailOtp', outcomes: { success: 'done', failed: 'rejected', expired: 'rejected', cancel: 'rejected' } },
        endSuccess(),
        endReject(),
      ],
      { start: 'code' },
    ),
    script: { code: 'succeeds' },
  },
  'general.selectOrganization': {
    journeyId: 'try-organization',
    definition: definition([{ id: 'org', type: 'general.selectOrganization', outcomes: { success: 'done' } }, endSuccess()], { start: 'org' }),
    script: {},
  },
  'general.subJourney': {
    journeyId: 'try-sub-journey',
    definition: definition(
      [{ id: 'inner', type: 'general.subJourney', parameters: { journeyId: 'try-email-code' }, outcomes: { success: 'done' } }, endSuccess()],
      {
        start: 'inner',
      },
    ),
    script: {},
  },
  'trustx.customPageV2': {
    journeyId: 'try-page',
    definition: definition(
      [
        {
          id: 'consentPage',
          type: 'trustx.customPageV2',
          parameters: { pageName: 'consent' },
          outcomes: { success: 'done', cancel: 'rejected', timeout: 'rejected' },
        },
        endSuccess(),
        endReject(),
      ],
      { start: 'consentPage' },
    ),
    script: { consentPage: { agreed: true } },
  },
  'mosaic.knownDeviceStatus': {
    journeyId: 'try-device',
    definition: definition(
      [
        { id: 'device', type: 'mosaic.knownDeviceStatus', outcomes: { knownForThisUser: 'done', knownForAnotherUser: 'rejected', unknown: 'rejected' } },
        endSuccess(),
        endReject(),
      ],
      { start: 'device' },
    ),
    script: { device: { deviceStatus: 'knownForThisUser' } },
  },
  'mosaic.registerPasskeys': {
    journeyId: 'try-bound-registration',
    definition: definition(
      [
        {
          id: 'register',
          type: 'mosaic.registerPasskeys',
          parameters: { bindDevice: true, relyingPartyId: RP.relyingPartyId, registrationPolicy: RP.registrationPolicy },
          outcomes: { success: 'done', failure: 'rejected', cancel: 'rejected' },
        },
        endSuccess(),
        endReject(),
      ],
      { start: 'register' },
    ),
    script: { register: 'succeeds' },
  },
};

for (const kind of DATABASE_KINDS) {
  describe(`dry-run of every step type on ${kind}`, () => {
    let server: TestServer;
    let admin: TenantFixture;
    let smtp: SmtpListener;
    const clock = new ManualClock(new Date());

    /** A dry-run, checked to change no table (not by a row or a byte) and to send no mail. */
    async function dryRun(journeyId: string, body: Record<string, unknown>): Promise<ApiResponse> {
      const before = await snapshotDatabase(server.database);
      const response = await admin.api.post(`/api/journeys/${journeyId}/dry-run`, body);
      assert.deepEqual(await snapshotDatabase(server.database), before, 'a dry-run changes no table');
      assert.equal(smtp.mails.length, 0, 'a dry-run sends no mail');
      return response;
    }

    async function tried(journeyId: string, body: Record<string, unknown>): Promise<DryRun> {
      const response = await dryRun(journeyId, body);
      assert.equal(response.status, 200, JSON.stringify(response.body));
      return response.body as DryRun;
    }

    before(async () => {
      smtp = await startSmtpListener();
      server = await startTestServer({ kind, clock, env: smtp.env });
      ({ admin } = await setUpTenant(server));
      const api = `/api/identity-store/stores/${STORE}/passkeys`;
      assert.equal((await admin.api.post(`${api}/registrationPolicies`, { name: 'default', userVerification: 'required' })).status, 201);
      assert.equal((await admin.api.post(`${api}/authenticationPolicies`, { name: 'default', userVerification: 'required' })).status, 201);
      assert.equal((await admin.api.post('/api/journeys/templates/install', { store: STORE })).status, 200);
      const page = await admin.api.post('/api/custom-pages', { name: 'consent', html: '<html><head></head><body><p>OK?</p></body></html>' });
      assert.equal(page.status, 201, JSON.stringify(page.body));
      assert.equal((await admin.api.post('/api/custom-pages/consent/versions/1/publish')).status, 200);
      for (const own of Object.values(OWN_JOURNEYS)) await publish(admin, own.journeyId, own.definition);
    });
    // Each test in a fresh minute of the per-tenant dry-run budget (dry-run-limiter.ts).
    beforeEach(() => clock.advance(61_000));
    after(async () => {
      await server.close();
      await smtp.close();
    });

    test('every step type of /api/journeys/step-types runs in a dry-run to the end the answers lead to (none is refused or stopped)', async () => {
      const types = ((await admin.api.get('/api/journeys/step-types')).body.items as { type: string }[]).map((s) => s.type);
      const seen = new Set<string>();
      const runs: [string, Record<string, unknown>][] = [
        ['trustx-passkey-registration', { script: { registrationDetails: { userName: 'bob', displayName: 'Bob' } } }],
        ['trustx-passkey-authentication', { script: { signIn: { userName: 'alice' } } }],
        [SIGN_IN, { startUser: ALICE, script: { loginForm: ['unknownCredential', 'succeeds'] } }],
        [REGISTRATION, { startUser: ALICE, script: {} }],
        ...Object.values(OWN_JOURNEYS).map((own): [string, Record<string, unknown>] => [own.journeyId, { startUser: ALICE, script: own.script }]),
      ];
      for (const [journeyId, body] of runs) {
        const { result, trace } = await tried(journeyId, body);
        assert.notEqual(result.status, 'stopped', `${journeyId}: ${JSON.stringify(result)}`);
        for (const entry of trace) seen.add(entry.type);
      }
      assert.deepEqual(
        types.filter((type) => !seen.has(type)),
        [],
        'each step type ran in one of the dry-runs',
      );
    });

    test('Mosaic sign-in as an existing user: the Login Form’s passkey succeeds; unknown credential takes the failure branch and retries', async () => {
      const signedIn = await tried(SIGN_IN, { startUser: ALICE, script: { loginForm: 'succeeds' } });
      assert.deepEqual(path(signedIn.trace), ['loginForm:passkeys', 'passkeyAuthentication:success', 'end:success']);
      assert.deepEqual(signedIn.result, { status: 'success', stepId: 'end' });
      assert.equal((signedIn.trace.at(-1)!.variables.user as { externalId: string }).externalId, 'ext-alice');

      const retried = await tried(SIGN_IN, { startUser: ALICE, script: { loginForm: ['unknownCredential', 'succeeds'] } });
      assert.deepEqual(path(retried.trace), [
        'loginForm:passkeys',
        'passkeyAuthentication:failure',
        'countFailure:success',
        'retryAllowed:true',
        'loginForm:passkeys',
        'passkeyAuthentication:success',
        'end:success',
      ]);
      assert.equal((retried.trace[1]!.variables.authenticationError as { code: string }).code, 'CREDENTIAL_NOT_ALLOWED');

      const unverified = await tried(SIGN_IN, { startUser: ALICE, script: { loginForm: 'failsUserVerification' } });
      assert.deepEqual(unverified.result, { status: 'rejection', code: 'PASSKEY_AUTHENTICATION_FAILED', stepId: 'failed' });
      assert.equal(unverified.trace.filter((entry) => entry.outcome === 'failure').length, 3, 'three attempts, each refused by the real verifier');

      const cancelled = await tried(SIGN_IN, { startUser: ALICE, script: { loginForm: 'userCancels' } });
      assert.deepEqual(path(cancelled.trace), ['loginForm:cancel', 'cancelled:rejection']);
    });

    test('a sign-in that names nobody, without a user to run as: stopped with DRY_RUN_NO_PASSKEY; an unknown start user is 404; running as a user needs the permission to read them', async () => {
      const nobody = await tried(SIGN_IN, { script: { loginForm: 'succeeds' } });
      assert.equal(nobody.result.status, 'stopped');
      assert.equal(nobody.result.code, 'DRY_RUN_NO_PASSKEY');
      assert.equal(nobody.result.stepId, 'loginForm');

      const unknown = await dryRun(SIGN_IN, { startUser: { userKey: 'nobody' }, script: {} });
      assert.equal(unknown.status, 404);
      assert.equal(unknown.body.code, 'USER_NOT_FOUND');
      // Running as a user shows their variables: it needs the permission reading that user needs.
      const editor = server.http.withToken(
        await server.token(admin.clientId, admin.clientSecret, 'TNT#acme#Journeys:updateDraft TNT#acme#IdentityStore:getUser'),
      );
      const byKey = await editor.post(`/api/journeys/${SIGN_IN}/dry-run`, { startUser: ALICE, script: {} });
      assert.equal(byKey.status, 403);
      assert.equal(byKey.body.code, 'FORBIDDEN');
      assert.match(byKey.body.detail, /IdentityStore:listUsers/);
      const byExternalId = await editor.post(`/api/journeys/${SIGN_IN}/dry-run`, { startUser: { externalId: 'ext-alice' }, script: {} });
      assert.equal(byExternalId.body.code, 'FORBIDDEN');
      assert.match(byExternalId.body.detail, /IdentityStore:getUserByExtId/);
      const alice = (await admin.api.get(`/api/identity-store/stores/${STORE}/users?userKey=alice`)).body.items[0].id as string;
      const byId = await editor.post(`/api/journeys/${SIGN_IN}/dry-run`, { startUser: { userId: alice }, script: {} });
      assert.equal(byId.status, 200, JSON.stringify(byId.body));
      assert.equal(byId.body.result.status, 'success');

      const malformed = await dryRun(SIGN_IN, { startUser: { name: 'alice' }, script: {} });
      assert.equal(malformed.status, 400);
      assert.equal(malformed.body.code, 'VALIDATION_FAILED');
    });

    test('Mosaic registration after sign-in: needs the user to run as; a cancel retries through the counter', async () => {
      const registered = await tried(REGISTRATION, { startUser: ALICE, script: { registerPasskeys: ['userCancels', 'succeeds'] } });
      assert.deepEqual(path(registered.trace), [
        'registerPasskeys:cancel',
        'countCancel:success',
        'retryAllowed:true',
        'registerPasskeys:success',
        'end:success',
      ]);
      const alone = await tried(REGISTRATION, { script: {} });
      assert.deepEqual(path(alone.trace), ['registerPasskeys:failure', 'failed:rejection']);
      assert.equal((alone.trace[0]!.variables.registrationError as { code: string }).code, 'USER_NOT_FOUND');
    });

    test('e-mail code: the code that would have been sent is typed (succeeds) or mistyped (wrongCode) — no mail leaves', async () => {
      const right = await tried('try-email-code', { startUser: ALICE, script: { code: 'succeeds' } });
      assert.deepEqual(path(right.trace), ['code:success', 'done:success']);
      const wrongThenRight = await tried('try-email-code', { startUser: ALICE, script: { code: ['wrongCode', 'succeeds'] } });
      assert.deepEqual(path(wrongThenRight.trace), ['code:success', 'done:success']);
      const wrong = await tried('try-email-code', { startUser: ALICE, script: { code: ['wrongCode', 'wrongCode', 'wrongCode'] } });
      assert.deepEqual(path(wrong.trace), ['code:failed', 'rejected:rejection']);
      const once = await tried('try-email-code', { startUser: ALICE, script: { code: 'wrongCode' } });
      assert.equal(once.result.code, 'DRY_RUN_INPUT_REFUSED', 'a single wrong code would be asked for again and again');
    });

    test('Custom Page V2: the test input is the page’s answer; cancel and time-out take their outcomes; no page is served', async () => {
      const answered = await tried('try-page', { script: { consentPage: { agreed: true } } });
      assert.deepEqual(path(answered.trace), ['consentPage:success', 'done:success']);
      assert.deepEqual(answered.trace[0]!.variables.consentPage, { agreed: true });
      assert.deepEqual(path((await tried('try-page', { script: { consentPage: 'userCancels' } })).trace), ['consentPage:cancel', 'rejected:rejection']);
      assert.deepEqual(path((await tried('try-page', { script: { consentPage: 'timesOut' } })).trace), ['consentPage:timeout', 'rejected:rejection']);
    });

    test('Known Device Status: the operator picks the status; Bind Device registers with the run’s own device key', async () => {
      for (const [deviceStatus, end] of [
        ['knownForThisUser', 'done:success'],
        ['knownForAnotherUser', 'rejected:rejection'],
        ['unknown', 'rejected:rejection'],
      ]) {
        const run = await tried('try-device', { startUser: ALICE, script: { device: { deviceStatus } } });
        assert.deepEqual(path(run.trace), [`device:${deviceStatus}`, end]);
      }
      const bound = await tried('try-bound-registration', { startUser: ALICE, script: { register: 'succeeds' } });
      assert.deepEqual(path(bound.trace), ['register:success', 'done:success']);
    });

    test('answers that do not fit the step are refused with JOURNEY_DRY_RUN_SCRIPT_INVALID, naming the step', async () => {
      for (const [journeyId, script] of [
        [SIGN_IN, { loginForm: 'wrongCode' }],
        ['try-device', { device: { deviceStatus: 'trusted' } }],
        ['try-page', { consentPage: 'failsUserVerification' }],
        [SIGN_IN, { passkeyAuthentication: 'succeeds' }],
      ] as const) {
        const refused = await dryRun(journeyId, { startUser: ALICE, script });
        assert.equal(refused.status, 400, JSON.stringify(refused.body));
        assert.equal(refused.body.code, 'JOURNEY_DRY_RUN_SCRIPT_INVALID');
        assert.equal(refused.body.errors[0].field, `/script/${Object.keys(script)[0]}`);
      }
    });
  });
}
