// A client's login journey that signs in with an e-mail one-time code (general.emailOtp), on both databases, with a
// real SMTP listener: a wrong code, then the right one → the browser's session is opened for the address's owner, and
// the client's ID token says how (RFC 8176 amr `otp`, never a key's `hwk`/`swk`).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import * as oidc from 'openid-client';
import { DATABASE_KINDS } from '../support/databases.ts';
import { startSmtpListener, type SmtpListener } from '../support/smtp-listener.ts';
import { OidcWorld, STORE, codeFlow, expectStatus } from './oidc-fixture.ts';

const OWNER = 'lin@example.com';

for (const kind of DATABASE_KINDS) {
  describe(`OpenID Provider login journey with an e-mail code on ${kind}`, () => {
    let smtp: SmtpListener;
    let world: OidcWorld;
    let userId: string;

    before(async () => {
      smtp = await startSmtpListener();
      world = await OidcWorld.create(kind, smtp.env);
      await expectStatus(world.acme.api.post('/api/journeys', { journeyId: 'otp-sign-in' }), 201);
      const definition = {
        schemaVersion: 1,
        store: STORE,
        start: 'otp',
        access: { public: true },
        variables: { signedInAs: { default: null }, method: { default: null } },
        steps: [
          {
            id: 'otp',
            type: 'general.emailOtp',
            parameters: { emailAddress: OWNER, maxAttempts: 3 },
            outcomes: { success: 'note', failed: 'no', expired: 'no', cancel: 'no' },
          },
          // Later steps read the user context (Mosaic's @policy.userContext()): who, and how they signed in.
          {
            id: 'note',
            type: 'general.setVariables',
            parameters: { variables: { signedInAs: '${user.userId}', method: '${_authentication.amr}' } },
            outcomes: { success: 'done' },
          },
          { id: 'done', type: 'general.end', parameters: { result: 'success' } },
          { id: 'no', type: 'general.end', parameters: { result: 'rejection', code: 'JOURNEY_REJECTED' } },
        ],
      };
      await expectStatus(world.acme.api.request('PUT', '/api/journeys/otp-sign-in/draft', { definition }), 200);
      await expectStatus(world.acme.api.post('/api/journeys/otp-sign-in/publish'), 201);
      userId = (await expectStatus(world.acme.api.post(`/api/identity-store/stores/${STORE}/users`, { userKey: 'lin', email: OWNER }), 201)).body.id;
    });
    after(async () => {
      await world?.close();
      await smtp?.close();
    });

    test('a wrong code, then the right one: the browser session is opened for the owner and the ID token has amr otp', async () => {
      const client = await world.register({ name: 'Code app', loginJourney: 'otp-sign-in' });
      const config = await world.relyingParty(client);
      const browser = world.browser();
      const flow = await codeFlow(config);
      const shown = await world.navigate(browser, flow.url);
      const runner = new URL(shown.page!.url);
      const sessionId = new URLSearchParams(runner.hash.slice(1)).get('session')!;
      const returnTo = runner.searchParams.get('return_to')!;
      assert.ok(sessionId && returnTo, runner.href);

      const current = await expectStatus(browser.request('GET', `/acme/journeys/sessions/${sessionId}`), 200);
      assert.equal(current.body.journeyStepId, 'otp', JSON.stringify(current.body));
      assert.equal(await world.server.services.emailOutbox.tick(), 1);
      const mail = await smtp.waitFor(1);
      assert.deepEqual(mail.to, [OWNER]);
      const code = /Your code: (\d{6})/.exec(mail.text)![1]!;
      const wrong = String((Number(code) + 1) % 1_000_000).padStart(6, '0');
      const again = await expectStatus(
        browser.request('POST', `/acme/journeys/sessions/${current.body.sessionId}/submit`, { clientResponseOptionId: 'client_input', data: { code: wrong } }),
        200,
      );
      assert.equal(again.body.data.previousError.code, 'OTP_INVALID');
      // Not signed in yet: the interaction stays open.
      assert.equal((await world.navigate(browser, returnTo)).page?.status, 409);
      const done = await expectStatus(
        browser.request('POST', `/acme/journeys/sessions/${again.body.sessionId}/submit`, { clientResponseOptionId: 'client_input', data: { code } }),
        200,
      );
      assert.equal(done.body.journeyStepId, 'success', JSON.stringify(done.body));
      const instance = await world.db.selectFrom('journey_instances').select('vars').where('status', '=', 'succeeded').executeTakeFirstOrThrow();
      const vars = JSON.parse(instance.vars) as { signedInAs: string; method: string[] };
      assert.equal(vars.signedInAs, userId);
      assert.deepEqual(vars.method, ['otp']);

      const back = await world.navigate(browser, returnTo);
      assert.ok(back.location, JSON.stringify(back));
      const tokens = await oidc.authorizationCodeGrant(config, new URL(back.location), {
        pkceCodeVerifier: flow.verifier,
        expectedState: flow.state,
        expectedNonce: flow.nonce,
      });
      assert.equal(tokens.claims()!.sub, userId);
      assert.deepEqual(tokens.claims()!.amr, ['otp']);
      // The store's browser session: opened for the owner, without a passkey, remembering how (migration 030).
      assert.ok(browser.cookies.has('keyway_session'));
      const sessions = await world.db.selectFrom('selfservice_sessions').select(['user_id', 'credential_id', 'amr']).where('revoked_at', 'is', null).execute();
      assert.deepEqual(
        sessions.map((row) => ({ ...row })),
        [{ user_id: userId, credential_id: null, amr: '["otp"]' }],
      );
      const audited = await world.db.selectFrom('audit_events').select(['details']).where('action', '=', 'journey.success').execute();
      assert.deepEqual(
        audited.map((row) => JSON.parse(row.details ?? '{}').amr),
        [['otp']],
      );
      // SSO from that session: a silent request answers a code whose token still says otp.
      const silent = await codeFlow(config, { prompt: 'none' });
      const quiet = await world.navigate(browser, silent.url);
      const next = await oidc.authorizationCodeGrant(config, new URL(quiet.location!), {
        pkceCodeVerifier: silent.verifier,
        expectedState: silent.state,
        expectedNonce: silent.nonce,
      });
      assert.deepEqual(next.claims()!.amr, ['otp']);
    });
  });
}
