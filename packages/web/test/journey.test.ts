// The journey client over real HTTP against the real server, on both databases (the browser-only
// parts — WebAuthn, the custom page bridge, the hosted runner — are in e2e/journeys-runner.test.ts).
// A journey an API client started is continued by the client (no Origin needed, as from a backend),
// through the typed steps: only the step's actions, one answer per step object, typed errors.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setUpTenant, STORE } from '../../server/test/journeys/engine-fixture.ts';
import { DATABASE_KINDS } from '../../server/test/support/databases.ts';
import { startTestServer, type TenantFixture, type TestServer } from '../../server/test/support/test-server.ts';
import { KeywayServerError, KeywayUnsupportedError } from '../src/errors.ts';
import { KeywayFormInvalidError, KeywayStepAnsweredError, resumeJourney, submitClientResponse, type FormStep, type JourneyStep } from '../src/journey.ts';

function as<K extends JourneyStep['kind']>(step: JourneyStep, kind: K): Extract<JourneyStep, { kind: K }> {
  assert.equal(step.kind, kind, JSON.stringify(step));
  return step as Extract<JourneyStep, { kind: K }>;
}

for (const kind of DATABASE_KINDS) {
  describe(`@keyway/web journey client (${kind})`, () => {
    let server: TestServer;
    let admin: TenantFixture;
    let client: { baseUrl: string };

    before(async () => {
      server = await startTestServer({ kind });
      ({ admin } = await setUpTenant(server));
      const api = `/api/identity-store/stores/${STORE}/passkeys`;
      assert.equal((await admin.api.post(`${api}/registrationPolicies`, { name: 'default' })).status, 201);
      assert.equal((await admin.api.post(`${api}/authenticationPolicies`, { name: 'default' })).status, 201);
      assert.equal((await admin.api.post('/api/journeys/templates/install', { store: STORE })).status, 200);
      client = { baseUrl: `${server.url}/acme/` };
    });
    after(() => server.close());

    async function started(locale?: string): Promise<FormStep> {
      const response = await admin.api.post('/acme/journeys/trustx-passkey-registration/start', {});
      assert.equal(response.status, 200, JSON.stringify(response.body));
      return as(await resumeJourney({ ...client, ...(locale ? { locale } : {}), sessionId: response.body.sessionId }), 'form');
    }

    test('a form step: its form, the browser check (nothing sent), one answer, then a typed passkey step', async () => {
      const form = await started();
      assert.equal(form.journeyStepId, 'registrationDetails');
      assert.equal(form.form?.title, 'Create your account');
      assert.deepEqual(form.options, ['client_input', 'cancel']);
      assert.equal('register' in form, false, 'only the actions of a form step');

      await assert.rejects(form.submit({ userName: ' ', displayName: 'Bob' }), (error: unknown) => {
        assert.ok(error instanceof KeywayFormInvalidError);
        assert.equal(error.code, 'ERR_FORM_INVALID');
        assert.deepEqual(error.errors, [{ field: 'userName', code: 'missing', message: 'Username is required.' }]);
        return true;
      });
      assert.equal(form.answered, false, 'refused in the browser: the step is still open');
      const unchanged = as(await resumeJourney({ ...client, sessionId: form.sessionId }), 'form');
      assert.equal(unchanged.journeyStepId, 'registrationDetails', 'nothing reached the server: the session is still the current one');

      // Two clicks at once: the second is refused by the client before any request.
      const first = form.submit({ userName: 'dora', displayName: 'Dora' });
      await assert.rejects(form.submit({ userName: 'dora', displayName: 'Dora' }), KeywayStepAnsweredError);
      const next = as(await first, 'passkeyRegistrationForm');
      assert.equal(form.answered, true);
      await assert.rejects(
        form.cancel(),
        (error: unknown) => error instanceof KeywayStepAnsweredError && error.code === 'ERR_STEP_ANSWERED' && error.journeyStepId === 'registrationDetails',
      );

      assert.equal(next.journeyStepId, 'registrationForm');
      assert.equal(next.passkeyRegistrationKey, 'passkeyReg1');
      assert.ok(next.clientRequest.challenge);
      assert.equal(next.clientRequest.user.name, 'dora');
      assert.notEqual(next.sessionId, form.sessionId, 'the session id rotates');

      // cancel → Complete Passkey Registration says `User cancelled` → the retry form (a form step again).
      const retry = as(await next.cancel(), 'form');
      assert.equal(retry.form?.title, 'Passkey request cancelled');
      const again = as(await retry.submit({}), 'passkeyRegistrationForm');
      assert.equal(again.journeyStepId, 'registrationForm');

      // The old session is spent: the protocol call says so with its problem code.
      await assert.rejects(submitClientResponse({ ...client, sessionId: retry.sessionId, clientResponseOptionId: 'cancel' }), (error: unknown) => {
        assert.ok(error instanceof KeywayServerError);
        assert.equal(error.status, 409);
        assert.equal(error.problemCode, 'JOURNEY_STEP_ALREADY_SUBMITTED');
        return true;
      });
      // Cancel again, then cancel the retry form itself: the template's rejection, with its code.
      const retryAgain = as(await again.cancel(), 'form');
      const ended = await submitClientResponse({ ...client, sessionId: retryAgain.sessionId, clientResponseOptionId: 'cancel' });
      const end = as(ended, 'rejection');
      assert.equal(end.code, 'USER_CANCELLED');
      assert.equal(end.stepId, 'rejected');
    });

    test('a server refusal reopens the step; German texts with locale de', async () => {
      const form = await started('de');
      // The server's own check (the same rules): submitted as the raw protocol, the form comes back with its messages.
      const refused = as(
        await submitClientResponse({
          ...client,
          locale: 'de',
          sessionId: form.sessionId,
          journeyStepId: form.journeyStepId,
          clientResponseOptionId: 'client_input',
          data: { userName: '', displayName: 'x' },
        }),
        'form',
      );
      assert.deepEqual(refused.form?.errors, [{ field: 'userName', code: 'missing', message: 'Benutzername ist erforderlich.' }]);
      assert.equal(refused.form?.title, 'Konto anlegen', "the template's form has German texts");
      assert.equal(refused.form?.button?.label, 'Weiter');
      assert.deepEqual(refused.validate({ userName: '', displayName: 'x' }), refused.form?.errors, 'the browser check says the same');

      // A bad answer the server refuses with a 4xx keeps the step waiting: the step object can answer again.
      const other = await started();
      await assert.rejects(
        submitClientResponse({ ...client, sessionId: other.sessionId, clientResponseOptionId: 'client_input', data: 'not an object' }),
        (error: unknown) => error instanceof KeywayServerError && error.status === 400,
      );
      const next = await other.submit({ userName: 'erin', displayName: 'Erin' });
      assert.equal(next.kind, 'passkeyRegistrationForm');
    });

    test('Login Form autofill: offered by the step; where conditional mediation is missing autofill() refuses and the step stays open', async () => {
      const definition = {
        schemaVersion: 1,
        store: STORE,
        access: { public: true, apiClients: true },
        start: 'login',
        steps: [
          {
            id: 'login',
            type: 'mosaic.loginForm',
            parameters: { passkeyAutofill: true, relyingPartyId: 'app.example.com', authenticationPolicy: 'default' },
            outcomes: { passkeys: 'end', cancel: 'cancelled' },
          },
          { id: 'end', type: 'general.end', parameters: { result: 'success' } },
          { id: 'cancelled', type: 'general.end', parameters: { result: 'rejection', code: 'USER_CANCELLED' } },
        ],
      };
      assert.equal((await admin.api.post('/api/journeys', { journeyId: 'autofill-login' })).status, 201);
      assert.equal((await admin.api.request('PUT', '/api/journeys/autofill-login/draft', { definition })).status, 200);
      assert.equal((await admin.api.post('/api/journeys/autofill-login/publish')).status, 201);
      const response = await admin.api.post('/acme/journeys/autofill-login/start', {});
      assert.equal(response.status, 200, JSON.stringify(response.body));
      const login = as(await resumeJourney({ ...client, sessionId: response.body.sessionId }), 'loginForm');
      assert.equal(login.passkeys?.autofill, true);
      assert.deepEqual(login.passkeys?.clientRequest.allowCredentials ?? [], []);
      // Node has no PublicKeyCredential: the caller learns to show the plain form, and nothing was claimed or sent.
      await assert.rejects(login.autofill(), (error: unknown) => error instanceof KeywayUnsupportedError && error.code === 'ERR_UNSUPPORTED');
      assert.equal(login.answered, false);
      assert.equal(as(await login.cancel(), 'rejection').code, 'USER_CANCELLED');
      await assert.rejects(login.autofill(), KeywayStepAnsweredError);
    });
  });
}
