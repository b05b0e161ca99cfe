// TrustX authentication steps called directly with real services on both databases: Start Passkey Authentication
// (TrustX's _identityStore path; named and discoverable; refusals), Passkey Authentication Form (TrustX form with
// transient fields), Complete Passkey Authentication (success identifies the user and advances the counter, User
// cancelled with the retry loop, Failed ID Store Service Call changing nothing), and the Custom Page V2 path of the
// TrustX process: Session Data carries the clientRequest to the page, the page's answer is the browser response.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { compileValue, evaluateValue } from '../../src/journeys/compiled-journey.ts';
import { evaluationContext, ExpressionBudget } from '../../src/journeys/expressions.ts';
import { completePasskeyAuthenticationStep } from '../../src/journeys/steps/trustx/complete-passkey-authentication.ts';
import { customDataFormStep } from '../../src/journeys/steps/trustx/custom-data-form.ts';
import { customPageV2Step } from '../../src/journeys/steps/trustx/custom-page-v2.ts';
import { passkeyAuthenticationFormStep } from '../../src/journeys/steps/trustx/passkey-authentication-form.ts';
import { startPasskeyAuthenticationStep } from '../../src/journeys/steps/trustx/start-passkey-authentication.ts';
import type { CeremonyWorld } from '../passkeys/ceremony-fixture.ts';
import { DATABASE_KINDS } from '../support/databases.ts';
import { SoftAuthenticator } from '../support/soft-authenticator.ts';
import { SEED_AUTHENTICATION_FORM, SEED_RETRY_FORM } from './forms-fixtures.ts';
import { CTX, JourneyRun, outcomeOf, presented, publishForm, RP_ID, STORE, stepWorld } from './steps-fixture.ts';

const AUTH = ['_identityStore', 'passkeys', 'authentications', 'passkeyAuth1', 'currentPasskeyAuthenticationRecord'] as const;
const START = { authenticationPolicy: 'default', passkeyAuthenticationKey: 'passkeyAuth1', relyingPartyId: RP_ID, storeName: STORE };
const FORM = { passkeyAuthenticationKey: 'passkeyAuth1', dataFormName: 'seed-authentication', dataFormVersion: 1, formDataKey: 'authForm' };
const COMPLETE = { passkeyAuthenticationKey: 'passkeyAuth1' };
/** The TrustX authentication process custom page, with a script that uses the bridge. */
const SEED_PAGE = `<html lang="en">
<head>
<meta charset="UTF-8">
<title>Passkey Demo</title>
</head>
<body>
<form id="registration">
<h1>Authenticate with Passkey</h1>
<input id="name" name="name" placeholder="Name" value="john.doe" />
<input id="displayName" name="displayName" placeholder="Display Name" value="John Doe" />
<button type="submit">Authenticate</button>
</form>
</body>
</html>`;

for (const kind of DATABASE_KINDS) {
  describe(`TrustX authentication steps on ${kind}`, () => {
    let world: CeremonyWorld;
    let authenticator: SoftAuthenticator;
    let user: { id: string; externalId: string };
    let credentialId: string;
    before(async () => {
      world = await stepWorld(kind);
      await publishForm(world, 'seed-authentication', SEED_AUTHENTICATION_FORM);
      await publishForm(world, 'retry', SEED_RETRY_FORM);
      authenticator = new SoftAuthenticator();
      user = await world.createUser('signer', { externalId: 'ext-signer' });
      credentialId = (await world.register(authenticator, user.id)).credentialId;
    });
    after(() => world.close());

    const counter = async () =>
      Number((await world.db.selectFrom('credentials').select('sign_count').where('credential_id', '=', credentialId).executeTakeFirstOrThrow()).sign_count);

    test('TrustX authentication end to end: Start (by user ID) → Authentication Form (transient fields) → Complete → the journey’s user, counter advanced', async () => {
      const journey = new JourneyRun(world);
      assert.equal(outcomeOf(await journey.run(startPasskeyAuthenticationStep, { ...START, userId: user.id })), 'success');
      const record = journey.at(...AUTH) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- test convenience
      assert.deepEqual(Object.keys(record.startPasskeyAuthenticationResponse).sort(), ['clientRequest', 'sessionId']);
      const { clientRequest } = record.startPasskeyAuthenticationResponse;
      assert.deepEqual(
        clientRequest.allowCredentials.map((c: { id: string }) => c.id),
        [credentialId],
      );
      assert.equal(record.userId, user.id);

      const shown = presented(await journey.run(passkeyAuthenticationFormStep, FORM, 'form'));
      assert.deepEqual(shown.data.clientRequest, clientRequest);
      assert.equal(shown.data.form.title, 'AUTHENTICATION');
      assert.deepEqual(shown.data.form.button, { type: 'submit', label: 'Submit for Authentication' });
      const response = authenticator.authenticate(clientRequest, CTX);
      const before = await counter();
      assert.equal(
        outcomeOf(
          await journey.submit(
            passkeyAuthenticationFormStep,
            FORM,
            { clientResponseOptionId: 'client_input', data: { formData: { name: 'john.doe', displayName: 'John Doe' }, browserResponse: response } },
            'form',
          ),
        ),
        'success',
      );
      assert.deepEqual(journey.vars.authForm, {}, 'both fields are transient: nothing persisted');
      assert.equal(journey.vars.user, undefined, 'no user before the completion');

      assert.equal(outcomeOf(await journey.run(completePasskeyAuthenticationStep, COMPLETE, 'complete')), 'success');
      assert.deepEqual(journey.vars.user, { storeName: STORE, userId: user.id });
      const completed = journey.at(...AUTH) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- test convenience
      assert.equal(completed.status, 'completed');
      assert.equal(completed.completePasskeyAuthenticationResponse.user.id, user.id);
      assert.equal(completed.completePasskeyAuthenticationResponse.credential.credentialId, credentialId);
      assert.equal(completed.completePasskeyAuthenticationResponse.idToken, undefined, 'no bearer token in the journey’s variables');
      const authentication = journey.vars._authentication as Record<string, unknown>;
      assert.deepEqual(authentication.amr, ['pop', 'user', 'mfa'], 'the amr of the ceremony’s own ID token (UV set, device-bound, not attested)');
      assert.equal(authentication.credentialId, credentialId);
      assert.equal(authentication.deviceBound, true);
      assert.equal(authentication.attested, false);
      assert.match(authentication.authTime as string, /^\d{4}-\d\d-\d\dT/);
      assert.ok((await counter()) > before);
    });

    test('discoverable sign-in without a user: the credential names the user; by external ID and by user key too', async () => {
      const journey = new JourneyRun(world);
      assert.equal(outcomeOf(await journey.run(startPasskeyAuthenticationStep, START)), 'success');
      const record = journey.at(...AUTH) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- test convenience
      assert.equal(record.userId, null);
      assert.deepEqual(record.startPasskeyAuthenticationResponse.clientRequest.allowCredentials ?? [], []);
      const response = authenticator.authenticate(record.startPasskeyAuthenticationResponse.clientRequest, CTX);
      assert.equal(
        outcomeOf(await journey.run(completePasskeyAuthenticationStep, { ...COMPLETE, passkeyAuthenticationBrowserResponse: response }, 'complete')),
        'success',
      );
      assert.deepEqual(journey.vars.user, { storeName: STORE, userId: user.id });
      for (const named of [{ userExternalId: 'ext-signer' }, { userKey: 'signer' }]) {
        const other = new JourneyRun(world);
        assert.equal(outcomeOf(await other.run(startPasskeyAuthenticationStep, { ...START, ...named })), 'success');
        assert.equal((other.at(...AUTH) as { userId: string }).userId, user.id);
      }
    });

    test('Start refusals: no passkey, usernameless not allowed, unknown user/policy/RP — each “Failed ID Store Service Call” with its code', async () => {
      const bare = await world.createUser('no-passkeys');
      const cases: [Record<string, unknown>, string][] = [
        [{ ...START, userId: bare.id }, 'PASSKEY_NOT_FOUND'],
        [{ ...START, authenticationPolicy: 'named-only' }, 'DISCOVERABLE_NOT_ALLOWED'],
        [{ ...START, userId: 'nobody' }, 'USER_NOT_FOUND'],
        [{ ...START, userId: user.id, authenticationPolicy: 'nope' }, 'POLICY_NOT_FOUND'],
        [{ ...START, userId: user.id, relyingPartyId: 'nope.example' }, 'RELYING_PARTY_NOT_FOUND'],
      ];
      for (const [params, code] of cases) {
        const journey = new JourneyRun(world);
        assert.equal(outcomeOf(await journey.run(startPasskeyAuthenticationStep, params)), 'Failed ID Store Service Call', code);
        assert.equal((journey.at(...AUTH) as { error: { code: string } }).error.code, code);
        assert.deepEqual(journey.at('_process', 'failures'), [{ stepId: 'step', outcome: 'Failed ID Store Service Call', code }]);
      }
    });

    test('User cancelled → retry form → Authentication Form again → success', async () => {
      const journey = new JourneyRun(world);
      await journey.run(startPasskeyAuthenticationStep, { ...START, userId: user.id });
      presented(await journey.run(passkeyAuthenticationFormStep, FORM, 'form'));
      await journey.submit(passkeyAuthenticationFormStep, FORM, { clientResponseOptionId: 'cancel', data: null }, 'form');
      assert.equal(outcomeOf(await journey.run(completePasskeyAuthenticationStep, COMPLETE, 'complete')), 'User cancelled');
      presented(await journey.run(customDataFormStep, { dataFormName: 'retry' }, 'retry'));
      assert.equal(
        outcomeOf(await journey.submit(customDataFormStep, { dataFormName: 'retry' }, { clientResponseOptionId: 'client_input', data: {} }, 'retry')),
        'success',
      );
      const again = presented(await journey.run(passkeyAuthenticationFormStep, FORM, 'form'));
      const response = authenticator.authenticate(again.data.clientRequest, CTX);
      await journey.submit(
        passkeyAuthenticationFormStep,
        FORM,
        { clientResponseOptionId: 'client_input', data: { formData: { name: 'a', displayName: 'b' }, browserResponse: response } },
        'form',
      );
      assert.equal(outcomeOf(await journey.run(completePasskeyAuthenticationStep, COMPLETE, 'complete')), 'success');
      assert.deepEqual(journey.vars.user, { storeName: STORE, userId: user.id });
    });

    test('a forged assertion leaves by “Failed ID Store Service Call”; the counter and the journey’s user stay as they were', async () => {
      const journey = new JourneyRun(world);
      await journey.run(startPasskeyAuthenticationStep, { ...START, userId: user.id });
      // eslint-disable-next-line @typescript-eslint/no-explicit-any -- test convenience
      const clientRequest = (journey.at(...AUTH) as { startPasskeyAuthenticationResponse: { clientRequest: any } }).startPasskeyAuthenticationResponse
        .clientRequest;
      const forged = authenticator.authenticate(clientRequest, CTX, { badSignature: true });
      const before = await world.snapshot();
      const counterBefore = await counter();
      assert.equal(
        outcomeOf(await journey.run(completePasskeyAuthenticationStep, { ...COMPLETE, passkeyAuthenticationBrowserResponse: forged }, 'complete')),
        'Failed ID Store Service Call',
      );
      assert.equal((journey.at(...AUTH) as { error: { code: string } }).error.code, 'SIGNATURE_INVALID');
      assert.equal(journey.vars.user, undefined);
      assert.equal(await counter(), counterBefore);
      assert.deepEqual((await world.snapshot()).sessions, before.sessions, 'the session is not consumed by a failure');
    });

    test('Custom Page V2 (optional step 3 of the TrustX authentication process): Session Data carries the clientRequest into the sandboxed page; the page’s answer completes the sign-in', async () => {
      await world.expectStatus(world.acme.api.post('/api/custom-pages', { name: 'passkey-page', html: SEED_PAGE }), 201);
      await world.expectStatus(world.acme.api.post('/api/custom-pages/passkey-page/versions/1/publish'), 200);
      const journey = new JourneyRun(world);
      await journey.run(startPasskeyAuthenticationStep, { ...START, userId: user.id });
      // eslint-disable-next-line @typescript-eslint/no-explicit-any -- test convenience
      const clientRequest = (journey.at(...AUTH) as { startPasskeyAuthenticationResponse: { clientRequest: any } }).startPasskeyAuthenticationResponse
        .clientRequest;
      // The TrustX process's Session Data entry, evaluated by the engine's expression library before the step runs.
      const written = {
        pageName: 'passkey-page',
        sessionData: {
          passkeyAuthClientRequest:
            '${_identityStore.passkeys.authentications["passkeyAuth1"].currentPasskeyAuthenticationRecord.startPasskeyAuthenticationResponse.clientRequest}',
        },
        constants: { brand: 'Acme' },
        formDataKey: 'passkeyPage',
        timeoutSeconds: 120,
      };
      const pageParams = evaluateValue(compileValue(written), evaluationContext(journey.vars), new ExpressionBudget()) as typeof written & {
        sessionData: { passkeyAuthClientRequest: unknown };
      };
      assert.deepEqual(pageParams.sessionData, { passkeyAuthClientRequest: clientRequest });
      const shown = presented(await journey.run(customPageV2Step, pageParams, 'page'));
      assert.deepEqual(shown.options, ['client_input', 'cancel']);
      assert.equal(shown.data.page.name, 'passkey-page');
      assert.equal(shown.data.page.version, 1);
      assert.match(shown.data.page.url, /^\/acme\/journeys\/pages\/[A-Za-z0-9_-]{22}$/);
      assert.deepEqual(shown.data.sessionData, { passkeyAuthClientRequest: clientRequest });
      assert.equal(customPageV2Step.timeoutSeconds!(pageParams), 120);

      const served = await world.server.http.get(shown.data.page.url);
      assert.equal(served.status, 200);
      assert.match(served.headers.get('content-security-policy')!, /^sandbox allow-scripts allow-forms; default-src 'none';/);
      const embedded = /<script type="application\/json" id="keyway-page-data">(.*?)<\/script>/s.exec(served.body)![1]!;
      assert.deepEqual(JSON.parse(embedded), { sessionData: { passkeyAuthClientRequest: clientRequest }, constants: { brand: 'Acme' } });

      const response = authenticator.authenticate(clientRequest, CTX);
      assert.equal(
        outcomeOf(
          await journey.submit(
            customPageV2Step,
            pageParams,
            { clientResponseOptionId: 'client_input', data: { credential: response, name: 'john.doe' } },
            'page',
          ),
        ),
        'success',
      );
      assert.deepEqual(journey.vars.passkeyPage, { credential: response, name: 'john.doe' });
      assert.equal((await world.server.http.get(shown.data.page.url)).status, 404, 'an answered step’s page is served no more');
      // Complete's “Passkey Authentication Browser Response” = ${passkeyPage.credential}
      const completeParams = evaluateValue(
        compileValue({ ...COMPLETE, passkeyAuthenticationBrowserResponse: '${passkeyPage.credential}' }),
        evaluationContext(journey.vars),
        new ExpressionBudget(),
      ) as Record<string, unknown>;
      assert.deepEqual(completeParams.passkeyAuthenticationBrowserResponse, response);
      assert.equal(outcomeOf(await journey.run(completePasskeyAuthenticationStep, completeParams, 'complete')), 'success');
      assert.deepEqual(journey.vars.user, { storeName: STORE, userId: user.id });

      const reshown = presented(await journey.run(customPageV2Step, pageParams, 'page'));
      const shownAgain = presented(await journey.run(customPageV2Step, pageParams, 'page'));
      assert.equal((await world.server.http.get(reshown.data.page.url)).status, 404, 'showing the step again replaces its URL');
      assert.equal((await world.server.http.get(shownAgain.data.page.url)).status, 200);
      assert.equal(outcomeOf(await journey.submit(customPageV2Step, pageParams, { clientResponseOptionId: 'cancel', data: null }, 'page')), 'cancel');
      assert.equal((await world.server.http.get(shownAgain.data.page.url)).status, 404);
      assert.deepEqual(journey.vars.passkeyPage, { cancelled: true });
      await assert.rejects(
        journey.submit(customPageV2Step, pageParams, { clientResponseOptionId: 'client_input', data: { blob: 'x'.repeat(70_000) } }, 'page'),
        { code: 'VALIDATION_FAILED' },
      );
      await assert.rejects(journey.run(customPageV2Step, { pageName: 'no-such-page' }, 'page'), { code: 'PAGE_NOT_FOUND' });
    });
  });
}
