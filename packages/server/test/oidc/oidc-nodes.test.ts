// Any node can continue: the provider keeps nothing in memory that a request needs later. A sign-in begun on one
// node is finished, its code redeemed, its tokens refreshed and introspected on another node of the same database.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import * as oidc from 'openid-client';
import { DATABASE_KINDS } from '../support/databases.ts';
import { SoftAuthenticator } from '../support/soft-authenticator.ts';
import { startTestServer, type TestServer } from '../support/test-server.ts';
import { ORIGIN, OidcWorld, codeFlow, type RegisteredClient } from './oidc-fixture.ts';

for (const kind of DATABASE_KINDS) {
  describe(`OpenID Provider across nodes on ${kind}`, () => {
    let world: OidcWorld;
    let other: TestServer;
    let client: RegisteredClient;

    before(async () => {
      world = await OidcWorld.create(kind);
      other = await startTestServer({ kind, databaseUrl: world.server.config.databaseUrl, env: { KEYWAY_PUBLIC_URL: ORIGIN } });
      client = await world.register();
    });
    after(async () => {
      await other.close();
      await world.close();
    });

    test('authorize on one node, sign in and finish on the other, redeem and refresh back on the first', async () => {
      const toOther: oidc.CustomFetch = (url, options) => fetch(url.replace(ORIGIN, other.url), options as RequestInit);
      const configA = await world.relyingParty(client);
      const configB = await oidc.discovery(new URL(`${ORIGIN}/acme`), client.clientId, undefined, oidc.ClientSecretBasic(client.clientSecret!), {
        [oidc.customFetch]: toOther,
      });
      configB[oidc.customFetch] = toOther;

      const browser = world.browser();
      const flow = await codeFlow(configA, { prompt: 'consent' });
      const start = await world.navigate(browser, flow.url);
      assert.ok(start.page, 'node A shows the sign-in page');
      await world.signUp(browser, 'nodes@example.com', new SoftAuthenticator());
      // The same browser now talks to node B.
      const browserOnB = Object.assign(Object.create(Object.getPrototypeOf(browser) as object) as typeof browser, browser, { baseUrl: other.url });
      const back = await world.navigate(browserOnB, new URL(start.page.url).searchParams.get('return_to')!);
      assert.ok(back.location, JSON.stringify(back));
      const tokens = await oidc.authorizationCodeGrant(configB, new URL(back.location), {
        pkceCodeVerifier: flow.verifier,
        expectedState: flow.state,
        expectedNonce: flow.nonce,
      });
      const refreshed = await oidc.refreshTokenGrant(configA, tokens.refresh_token!);
      assert.equal((await oidc.tokenIntrospection(configB, refreshed.access_token)).active, true);
      assert.equal((await oidc.fetchUserInfo(configA, refreshed.access_token, tokens.claims()!.sub)).preferred_username, 'nodes@example.com');
    });
  });
}
