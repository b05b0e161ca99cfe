// What a Custom Page V2 step lets its page run, on both databases: the step hands the runner `ceremonies`, the
// passkey requests Start Passkey Registration / Authentication of the journey started and that are not completed —
// read from `_identityStore`, never from the definition's sessionData or constants — and the SDK's bridge runs only
// those (packages/web/test/journey-bridge.test.ts). No definition can store client data under `_identityStore` to pose
// as one: a page's Form data key and the Mosaic output variables may not name an engine-owned root.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { loginFormStep } from '../../src/journeys/steps/mosaic/login-form.ts';
import { registerPasskeysStep } from '../../src/journeys/steps/mosaic/register-passkeys.ts';
import { completePasskeyAuthenticationStep } from '../../src/journeys/steps/trustx/complete-passkey-authentication.ts';
import { customPageV2Step } from '../../src/journeys/steps/trustx/custom-page-v2.ts';
import { startPasskeyAuthenticationStep } from '../../src/journeys/steps/trustx/start-passkey-authentication.ts';
import { startPasskeyRegistrationStep } from '../../src/journeys/steps/trustx/start-passkey-registration.ts';
import type { CeremonyWorld } from '../passkeys/ceremony-fixture.ts';
import { DATABASE_KINDS } from '../support/databases.ts';
import { SoftAuthenticator } from '../support/soft-authenticator.ts';
import { CTX, JourneyRun, outcomeOf, presented, RP_ID, STORE, stepWorld } from './steps-fixture.ts';

const AUTH = ['_identityStore', 'passkeys', 'authentications', 'passkeyAuth1', 'currentPasskeyAuthenticationRecord'] as const;
const REG = ['_identityStore', 'passkeys', 'registrations', 'passkeyReg1', 'currentPasskeyRegistrationRecord'] as const;
const START_AUTH = { authenticationPolicy: 'default', passkeyAuthenticationKey: 'passkeyAuth1', relyingPartyId: RP_ID, storeName: STORE };
const START_REG = { passkeyRegistrationKey: 'passkeyReg1', registrationPolicy: 'default', relyingPartyId: RP_ID, storeName: STORE };
// A request the page was given by whoever wrote the definition (e.g. a console sign-in challenge they fetched).
const FOREIGN = { challenge: 'Y29uc29sZS1zaWduLWluLWNoYWxsZW5nZQ', rpId: RP_ID, userVerification: 'required' };
const PAGE = { pageName: 'passkey-page', sessionData: { request: FOREIGN }, constants: { request: FOREIGN } };

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- test convenience (the soft authenticator takes the JSON as is)
const requestAt = (journey: JourneyRun, path: readonly string[], field: string): any =>
  (journey.at(...path) as Record<string, { clientRequest: unknown }>)[field]!.clientRequest;

for (const kind of DATABASE_KINDS) {
  describe(`the ceremonies a custom page may run, on ${kind}`, () => {
    let world: CeremonyWorld;
    let authenticator: SoftAuthenticator;
    let user: { id: string };
    before(async () => {
      world = await stepWorld(kind);
      await world.expectStatus(world.acme.api.post('/api/custom-pages', { name: 'passkey-page', html: '<p>Passkey</p>' }), 201);
      await world.expectStatus(world.acme.api.post('/api/custom-pages/passkey-page/versions/1/publish'), 200);
      authenticator = new SoftAuthenticator();
      user = await world.createUser('signer');
      await world.register(authenticator, user.id);
    });
    after(() => world.close());

    test('no ceremony started: none offered, whatever sessionData and constants hold', async () => {
      const shown = presented(await new JourneyRun(world).run(customPageV2Step, PAGE, 'page'));
      assert.deepEqual(shown.data.ceremonies, []);
      assert.deepEqual(shown.data.sessionData, { request: FOREIGN }, 'the page still gets its session data');
    });

    test('the started registration and authentication are offered as the ceremony service made them; a completed one no more', async () => {
      const journey = new JourneyRun(world);
      await journey.run(startPasskeyRegistrationStep, { ...START_REG, userId: user.id }, 'startReg');
      await journey.run(startPasskeyAuthenticationStep, { ...START_AUTH, userId: user.id }, 'startAuth');
      const registration = requestAt(journey, REG, 'startPasskeyRegistrationResponse');
      const authentication = requestAt(journey, AUTH, 'startPasskeyAuthenticationResponse');
      const shown = presented(await journey.run(customPageV2Step, PAGE, 'page'));
      assert.deepEqual(shown.data.ceremonies, [
        { kind: 'registration', key: 'passkeyReg1', clientRequest: registration },
        { kind: 'authentication', key: 'passkeyAuth1', clientRequest: authentication },
      ]);
      assert.notEqual(authentication.challenge, FOREIGN.challenge);
      // The page itself is served its session data and constants only.
      const served = await world.server.http.get(shown.data.page.url);
      assert.equal(served.status, 200);
      const embedded = /<script type="application\/json" id="keyway-page-data">(.*?)<\/script>/s.exec(served.body)![1]!;
      assert.deepEqual(Object.keys(JSON.parse(embedded)), ['sessionData', 'constants']);

      // A failed completion leaves the session usable (the page may try again); a completed one is spent.
      const forged = authenticator.authenticate(authentication, CTX, { badSignature: true });
      const complete = { passkeyAuthenticationKey: 'passkeyAuth1' };
      assert.equal(
        outcomeOf(await journey.run(completePasskeyAuthenticationStep, { ...complete, passkeyAuthenticationBrowserResponse: forged }, 'complete')),
        'Failed ID Store Service Call',
      );
      assert.deepEqual(
        presented(await journey.run(customPageV2Step, PAGE, 'page')).data.ceremonies.map((c: { key: string }) => c.key),
        ['passkeyReg1', 'passkeyAuth1'],
      );
      const response = authenticator.authenticate(authentication, CTX);
      assert.equal(
        outcomeOf(await journey.run(completePasskeyAuthenticationStep, { ...complete, passkeyAuthenticationBrowserResponse: response }, 'complete')),
        'success',
      );
      assert.deepEqual(presented(await journey.run(customPageV2Step, PAGE, 'page')).data.ceremonies, [
        { kind: 'registration', key: 'passkeyReg1', clientRequest: registration },
      ]);
    });

    test('no step may store client data under an engine-owned root (it could pose as a started ceremony)', () => {
      for (const name of ['_identityStore', 'user', '_journey', '_authentication', 'organization']) {
        assert.match(JourneyRun.schemaErrors(customPageV2Step, { pageName: 'passkey-page', formDataKey: name }).join(), /\/formDataKey must NOT be valid/);
        assert.match(
          JourneyRun.schemaErrors(loginFormStep, { relyingPartyId: RP_ID, authenticationPolicy: 'default', outputVariable: name }).join(),
          /\/outputVariable must NOT be valid/,
        );
        assert.match(JourneyRun.schemaErrors(registerPasskeysStep, { branchOutputVariable: name }).join(), /\/branchOutputVariable must NOT be valid/);
      }
      assert.deepEqual(JourneyRun.schemaErrors(customPageV2Step, { pageName: 'passkey-page', formDataKey: 'identityStore' }), []);
    });

    test('a definition storing a page’s answer under _identityStore cannot be published', async () => {
      await world.expectStatus(world.acme.api.post('/api/journeys', { journeyId: 'forge' }), 201);
      const steps = [
        { id: 'page', type: 'trustx.customPageV2', parameters: { pageName: 'passkey-page', formDataKey: '_identityStore' }, outcomes: { success: 'done' } },
        { id: 'done', type: 'general.end', parameters: { result: 'success' } },
      ];
      const saved = await world.expectStatus(
        world.acme.api.request('PUT', '/api/journeys/forge/draft', {
          definition: { schemaVersion: 1, store: STORE, start: 'page', access: { public: true }, steps },
        }),
        200,
      );
      assert.equal(saved.body.validation.valid, false);
      assert.deepEqual(
        saved.body.validation.problems.filter((p: { severity: string }) => p.severity === 'error'),
        [
          {
            severity: 'error',
            code: 'INVALID_PARAMETER',
            pointer: '/steps/0/parameters/formDataKey',
            message: 'Custom Page V2: /formDataKey must NOT be valid',
            stepId: 'page',
          },
        ],
      );
      const published = await world.acme.api.post('/api/journeys/forge/publish');
      assert.equal(published.status, 400, JSON.stringify(published.body));
      assert.equal(published.body.code, 'JOURNEY_DEFINITION_INVALID');
      assert.equal((await world.acme.api.get('/api/journeys/forge')).body.latestVersion, null);
    });
  });
}
