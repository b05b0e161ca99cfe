// A recovery that ends an account's other sign-ins ends its applications' sessions too, on both databases: whatever
// the OpenID Provider issued for the account (OP session, grant, access and refresh tokens) goes with the passkeys and
// browser sessions, so whoever held the account before cannot go on through a client.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import * as oidc from 'openid-client';
import { ADMIN, expectProblem } from '../selfservice/selfservice-fixture.ts';
import { DATABASE_KINDS } from '../support/databases.ts';
import { SoftAuthenticator } from '../support/soft-authenticator.ts';
import { ISSUER, ORIGIN, OidcWorld, authorize, codeFlow, expectStatus, type Browser } from './oidc-fixture.ts';

/** The OAuth error of a failed openid-client call, or `succeeded`. */
async function outcome(call: Promise<unknown>): Promise<string> {
  try {
    await call;
  } catch (error) {
    const e = error as { error?: string; cause?: { error?: string } };
    return e.error ?? e.cause?.error ?? String(error);
  }
  return 'succeeded';
}

for (const kind of DATABASE_KINDS) {
  describe(`recovery and the OpenID Provider on ${kind}`, () => {
    let world: OidcWorld;
    let config: oidc.Configuration;
    before(async () => {
      world = await OidcWorld.create(kind);
      config = await world.relyingParty(await world.register({ name: 'Recovered app' }));
    });
    after(() => world.close());

    /** A code flow in the browser, which has a live session already; the tokens it ends with (a refresh token too:
     * offline_access is honoured with prompt=consent, which a first-party client's grant answers silently). */
    const tokensFor = async (browser: Browser) => {
      const flow = await codeFlow(config, { prompt: 'consent' });
      const { location } = await authorize(world, browser, flow.url);
      return oidc.authorizationCodeGrant(config, new URL(location), { pkceCodeVerifier: flow.verifier, expectedState: flow.state, expectedNonce: flow.nonce });
    };
    const issuedFor = async (userId: string) =>
      (await world.db.selectFrom('oidc_state').select('model').where('account_id', '=', userId).execute()).map((row) => row.model).sort();
    const userinfo = async (accessToken: string) =>
      (await world.publicFetch(`${ISSUER}/oidc/userinfo`, { headers: { authorization: `Bearer ${accessToken}` } })).status;
    const recover = async (userId: string, revokeOthers: boolean) => {
      const created = await expectStatus(world.acme.api.post(`${ADMIN}/users/${userId}/recovery-links`, {}), 201);
      const token = new URL((created.body as { url: string }).url).hash.slice(1);
      const owner = world.browser();
      const begun = await expectStatus(owner.post('/recovery/begin', { token }), 200);
      const credential = new SoftAuthenticator().register((begun.body as { publicKey: never }).publicKey, { origin: ORIGIN });
      await expectStatus(owner.post('/recovery/finish', { token, credential, revokeOthers }), 201);
      return owner;
    };

    test('with the others ended: the holder’s refresh and access tokens and OP session stop; the owner signs in to the client anew', async () => {
      const holder = world.browser();
      const { user } = await world.signUp(holder, 'held@example.com');
      const held = await tokensFor(holder);
      assert.ok(held.refresh_token);
      assert.equal(await userinfo(held.access_token), 200);
      const before = await issuedFor(user.id);
      assert.ok(before.includes('Session') && before.includes('Grant') && before.includes('RefreshToken'), before.join());

      const owner = await recover(user.id, true);

      assert.deepEqual(await issuedFor(user.id), []);
      assert.equal(await outcome(oidc.refreshTokenGrant(config, held.refresh_token!)), 'invalid_grant');
      assert.equal(await userinfo(held.access_token), 401);
      // The holder's browser: no self-service session and no OP session to sign in from silently.
      await expectProblem(holder.get('/me'), 401, 'SESSION_REQUIRED');
      const silent = await world.navigate(holder, (await codeFlow(config, { prompt: 'none' })).url);
      assert.equal(new URL(silent.location!).searchParams.get('error'), 'login_required');
      // Audited against the user, with the reason.
      const events = await world.db
        .selectFrom('audit_events')
        .select(['action', 'target_type', 'details'])
        .where('target_id', '=', user.id)
        .where('action', 'in', ['oidc.accessToken.revoke', 'oidc.refreshToken.revoke'])
        .execute();
      assert.deepEqual(events.map((e) => [e.action, e.target_type, JSON.parse(String(e.details)).reason]).sort(), [
        ['oidc.accessToken.revoke', 'user', 'accountRecovered'],
        ['oidc.refreshToken.revoke', 'user', 'accountRecovered'],
      ]);
      // The owner, signed in by the recovery, gets the client's tokens for the same account.
      const own = await tokensFor(owner);
      assert.equal(own.claims()!.sub, user.id);
      assert.equal(await userinfo(own.access_token), 200);
    });

    test('without ending the others, the account’s client sessions stay', async () => {
      const browser = world.browser();
      const { user } = await world.signUp(browser, 'kept@example.com');
      const kept = await tokensFor(browser);
      const before = await issuedFor(user.id);
      await recover(user.id, false);
      assert.deepEqual(await issuedFor(user.id), before);
      assert.equal(await outcome(oidc.refreshTokenGrant(config, kept.refresh_token!)), 'succeeded');
    });
  });
}
