import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { PublicKeyCredentialRequestOptionsJSON } from '@simplewebauthn/server';
import * as oidc from 'openid-client';
import { DATABASE_KINDS } from '../support/databases.ts';
import { SoftAuthenticator } from '../support/soft-authenticator.ts';
import { RP_ID, expectProblem } from '../selfservice/selfservice-fixture.ts';
import { OidcWorld, ORIGIN, STORE, codeFlow, expectStatus, type Browser } from './oidc-fixture.ts';

for (const kind of DATABASE_KINDS) {
  describe(`OpenID Provider login journey on ${kind}`, () => {
    let world: OidcWorld;
    const authenticator = new SoftAuthenticator();
    let userId: string;

    before(async () => {
      world = await OidcWorld.create(kind);
      await expectStatus(
        world.acme.api.post('/api/journeys/templates/install', { store: STORE, templates: ['mosaic-passkey-sign-in'], relyingPartyId: RP_ID }),
        200,
      );
      await expectStatus(world.acme.api.post('/api/journeys', { journeyId: 'always-no' }), 201);
      const refusing = {
        schemaVersion: 1,
        store: STORE,
        start: 'no',
        access: { public: true },
        steps: [{ id: 'no', type: 'general.end', parameters: { result: 'rejection', code: 'NOPE_REJECTED' } }],
      };
      await expectStatus(world.acme.api.request('PUT', '/api/journeys/always-no/draft', { definition: refusing }), 200);
      await expectStatus(world.acme.api.post('/api/journeys/always-no/publish'), 201);
      // Succeeds with a user it created, never authenticated: identified is not signed in.
      await expectStatus(world.acme.api.post('/api/journeys', { journeyId: 'adds-a-user' }), 201);
      const identifying = {
        schemaVersion: 1,
        store: STORE,
        start: 'form',
        access: { public: true },
        steps: [
          {
            id: 'form',
            type: 'mosaic.loginForm',
            parameters: { enablePasskeys: true, outputVariable: 'loginData', relyingPartyId: RP_ID, authenticationPolicy: 'default' },
            outcomes: { passkeys: 'add', cancel: 'add' },
          },
          { id: 'add', type: 'trustx.addUser', parameters: { storeName: STORE, userKey: 'mallory' }, outcomes: { success: 'done' } },
          { id: 'done', type: 'general.end', parameters: { result: 'success' } },
        ],
      };
      await expectStatus(world.acme.api.request('PUT', '/api/journeys/adds-a-user/draft', { definition: identifying }), 200);
      await expectStatus(world.acme.api.post('/api/journeys/adds-a-user/publish'), 201);
      // The user and their passkey exist already (signed up on the hosted pages in another browser).
      userId = (await world.signUp(world.browser(), 'ada@example.com', authenticator)).user.id;
    });
    after(() => world.close());

    /** Starts an authorization request in `browser`; answers the runner page's journey session and return_to. */
    const toRunner = async (browser: Browser, url: string) => {
      const shown = await world.navigate(browser, url);
      assert.ok(shown.page, JSON.stringify(shown));
      const runner = new URL(shown.page.url);
      assert.equal(runner.pathname.startsWith('/acme/journeys/'), true, runner.href);
      const sessionId = new URLSearchParams(runner.hash.slice(1)).get('session')!;
      const returnTo = runner.searchParams.get('return_to')!;
      assert.ok(sessionId && returnTo.startsWith('/acme/oidc/interaction/'), runner.href);
      return { sessionId, returnTo, journeyId: runner.pathname.split('/').pop() };
    };

    test('the client’s login journey runs in the hosted runner; its passkey sign-in opens the browser session and answers a code', async () => {
      const client = await world.register({ name: 'Journey app', loginJourney: 'mosaic-passkey-sign-in' });
      const config = await world.relyingParty(client);
      const browser = world.browser();
      const flow = await codeFlow(config);
      const { sessionId, returnTo, journeyId } = await toRunner(browser, flow.url);
      assert.equal(journeyId, 'mosaic-passkey-sign-in');

      // Not finished yet: the interaction stays open.
      assert.equal((await world.navigate(browser, returnTo)).page?.status, 409);

      // The journey, as the runner drives it: the login form's passkeys branch, answered by the authenticator.
      const current = await expectStatus(browser.request('GET', `/acme/journeys/sessions/${sessionId}`), 200);
      assert.equal(current.body.journeyStepId, 'loginForm', JSON.stringify(current.body));
      const assertion = authenticator.authenticate(current.body.data.passkeys.clientRequest as PublicKeyCredentialRequestOptionsJSON, { origin: ORIGIN });
      const done = await expectStatus(
        browser.request('POST', `/acme/journeys/sessions/${current.body.sessionId}/submit`, {
          clientResponseOptionId: 'passkeys',
          data: { webauthn_encoded_result: assertion },
        }),
        200,
      );
      assert.equal(done.body.journeyStepId, 'success', JSON.stringify(done.body));

      // Another browser (without this interaction's cookie) cannot resume it.
      const stranger = await world.navigate(world.browser(), returnTo);
      assert.equal(stranger.location, undefined);
      assert.equal(stranger.page?.status, 400);

      const back = await world.navigate(browser, returnTo);
      assert.ok(back.location, JSON.stringify(back));
      const tokens = await oidc.authorizationCodeGrant(config, new URL(back.location), {
        pkceCodeVerifier: flow.verifier,
        expectedState: flow.state,
        expectedNonce: flow.nonce,
      });
      assert.equal(tokens.claims()!.sub, userId);
      assert.deepEqual(tokens.claims()!.amr, ['pop', 'user', 'mfa']);
      // The browser now has the store's self-service session, opened for that user and audited.
      assert.ok(browser.cookies.has('keyway_session'));
      const opened = await world.db.selectFrom('audit_events').select(['target_id']).where('action', '=', 'oidc.journeyLogin').execute();
      assert.deepEqual(
        opened.map((row) => row.target_id),
        [userId],
      );
      // SSO: the next request is silent, no journey.
      const silent = await codeFlow(config, { prompt: 'none' });
      const again = await world.navigate(browser, silent.url);
      assert.ok(new URL(again.location!).searchParams.get('code'), JSON.stringify(again));
      // The resumption was used up with the interaction.
      assert.equal((await world.navigate(browser, returnTo)).page?.status, 400);
    });

    test('a runner link sent on drives nothing in another browser: only the browser that began the sign-in runs its journey', async () => {
      // Mallory begins a sign-in to the client and sends the runner's link (session id in its fragment) to Ada, hoping
      // Ada completes the journey with her passkey and so signs Mallory's browser in as Ada (RFC 9700 §4.1.1).
      const client = await world.register({ name: 'Forwarded app', loginJourney: 'mosaic-passkey-sign-in' });
      const config = await world.relyingParty(client);
      const mallory = world.browser();
      const flow = await codeFlow(config);
      const { sessionId, returnTo } = await toRunner(mallory, flow.url);
      const bound = mallory.cookies.get('keyway_journey_browser');
      assert.ok(bound, 'the browser that began the sign-in holds the journey cookie');
      const step = await expectStatus(mallory.request('GET', `/acme/journeys/sessions/${sessionId}`), 200);
      const assertion = authenticator.authenticate(step.body.data.passkeys.clientRequest as PublicKeyCredentialRequestOptionsJSON, { origin: ORIGIN });

      // Ada's browser (which has a journey cookie of its own from another sign-in) and a client without cookies see no
      // such session, and cannot answer it.
      const ada = world.browser();
      await toRunner(ada, (await codeFlow(config)).url);
      assert.notEqual(ada.cookies.get('keyway_journey_browser'), bound);
      for (const other of [ada, world.browser()]) {
        await expectProblem(other.request('GET', `/acme/journeys/sessions/${sessionId}`), 404, 'JOURNEY_SESSION_NOT_FOUND');
        await expectProblem(
          other.request('POST', `/acme/journeys/sessions/${sessionId}/submit`, {
            clientResponseOptionId: 'passkeys',
            data: { webauthn_encoded_result: assertion },
          }),
          404,
          'JOURNEY_SESSION_NOT_FOUND',
        );
      }
      await expectProblem(world.server.http.get(`/acme/journeys/sessions/${sessionId}`, { origin: ORIGIN }), 404, 'JOURNEY_SESSION_NOT_FOUND');
      // Nothing moved: the journey still waits at its first step, under the same session, and signs no one in.
      const still = await expectStatus(mallory.request('GET', `/acme/journeys/sessions/${sessionId}`), 200);
      assert.equal(still.body.journeyStepId, 'loginForm');
      assert.equal(still.body.sessionId, sessionId);
      assert.equal((await world.navigate(mallory, returnTo)).page?.status, 409);
      assert.equal(mallory.cookies.has('keyway_session'), false);

      // A second sign-in in the same browser keeps its cookie: two tabs signing in at once both work.
      const second = await toRunner(mallory, (await codeFlow(config)).url);
      assert.equal(mallory.cookies.get('keyway_journey_browser'), bound);
      assert.equal((await expectStatus(mallory.request('GET', `/acme/journeys/sessions/${second.sessionId}`), 200)).body.journeyStepId, 'loginForm');
      assert.equal((await expectStatus(mallory.request('GET', `/acme/journeys/sessions/${sessionId}`), 200)).body.journeyStepId, 'loginForm');
      // The instance keeps only the cookie's hash.
      const stored = await world.db.selectFrom('journey_instances').select('browser_binding').where('browser_binding', 'is not', null).execute();
      assert.ok(stored.length >= 3);
      assert.ok(stored.every((row) => row.browser_binding !== bound && /^[A-Za-z0-9_-]{43}$/.test(row.browser_binding!)));
    });

    test('a login journey that rejects signs no one in: access_denied at the client', async () => {
      const client = await world.register({ name: 'Cancelled app', loginJourney: 'mosaic-passkey-sign-in' });
      const config = await world.relyingParty(client);
      const browser = world.browser();
      const flow = await codeFlow(config);
      const { sessionId, returnTo } = await toRunner(browser, flow.url);
      const cancelled = await expectStatus(browser.request('POST', `/acme/journeys/sessions/${sessionId}/submit`, { clientResponseOptionId: 'cancel' }), 200);
      assert.equal(cancelled.body.journeyStepId, 'rejection', JSON.stringify(cancelled.body));
      const back = await world.navigate(browser, returnTo);
      assert.ok(back.location, JSON.stringify(back));
      const callback = new URL(back.location);
      assert.equal(callback.searchParams.get('error'), 'access_denied');
      assert.equal(callback.searchParams.get('state'), flow.state);
      assert.equal(browser.cookies.has('keyway_session'), false);
      const silent = await world.navigate(browser, (await codeFlow(config, { prompt: 'none' })).url);
      assert.equal(new URL(silent.location!).searchParams.get('error'), 'login_required');
    });

    test('a login journey that succeeds with a user it did not authenticate with a passkey: access_denied', async () => {
      const client = await world.register({ name: 'Identifying app', loginJourney: 'adds-a-user' });
      const config = await world.relyingParty(client);
      const browser = world.browser();
      const flow = await codeFlow(config);
      const { sessionId, returnTo } = await toRunner(browser, flow.url);
      const ended = await expectStatus(browser.request('POST', `/acme/journeys/sessions/${sessionId}/submit`, { clientResponseOptionId: 'cancel' }), 200);
      assert.equal(ended.body.journeyStepId, 'success', JSON.stringify(ended.body));
      assert.equal(ended.body.data.idToken, undefined);
      const back = await world.navigate(browser, returnTo);
      assert.ok(back.location, JSON.stringify(back));
      assert.equal(new URL(back.location).searchParams.get('error'), 'access_denied');
      assert.equal(browser.cookies.has('keyway_session'), false);
    });

    test('a login journey that ends before asking the browser anything: access_denied, no runner', async () => {
      const client = await world.register({ name: 'Refusing app', loginJourney: 'always-no' });
      const config = await world.relyingParty(client);
      const browser = world.browser();
      const flow = await codeFlow(config);
      const result = await world.navigate(browser, flow.url);
      assert.ok(result.location, JSON.stringify(result));
      assert.equal(new URL(result.location).searchParams.get('error'), 'access_denied');
      assert.equal(browser.cookies.has('keyway_session'), false);
    });
  });
}
