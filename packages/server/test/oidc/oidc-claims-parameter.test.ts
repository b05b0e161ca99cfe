// The `claims` request parameter (OpenID Connect Core §5.5) on both databases: a client gets a claim it names only
// when the claim belongs to one of its registered scopes (the same bound as for `scope`); the others are dropped
// without an error (§5.5.1), from the grant, the ID token and userinfo, for first- and third-party clients alike; a
// third-party client's consent screen names what the claims it may have disclose (§3.1.2.4).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import * as oidc from 'openid-client';
import { DATABASE_KINDS } from '../support/databases.ts';
import { SoftAuthenticator } from '../support/soft-authenticator.ts';
import { OidcWorld, codeFlow, type Browser } from './oidc-fixture.ts';

/** Asks for the e-mail, phone and address claims by name, and the username at userinfo. */
const BEYOND_OPENID = JSON.stringify({
  id_token: { email: null, phone_number: { essential: true }, address: null },
  userinfo: { email: null, phone_number: null, address: null, preferred_username: null },
});
const STANDARD_BEYOND_OPENID = ['email', 'email_verified', 'phone_number', 'phone_number_verified', 'address', 'preferred_username', 'name'];

for (const kind of DATABASE_KINDS) {
  describe(`the claims parameter within the registered scopes on ${kind}`, () => {
    let world: OidcWorld;
    let browser: Browser;
    let userId: string;

    before(async () => {
      world = await OidcWorld.create(kind);
      browser = world.browser();
      const authenticator = new SoftAuthenticator();
      userId = (await world.signUp(browser, 'ada@example.com', authenticator)).user.id;
      await world.db
        .updateTable('users')
        .set({ email: 'ada@example.com', first_name: 'Ada', attributes: JSON.stringify({ phoneNumber: '+15551234', address: '1 Main St' }) })
        .where('id', '=', userId)
        .execute();
    });
    after(() => world.close());

    /** The code flow of a signed-in browser; a consent screen, if shown, is answered with Allow. */
    const tokensFor = async (config: oidc.Configuration, extra: Record<string, string>) => {
      const flow = await codeFlow(config, extra);
      let answered = await world.navigate(browser, flow.url);
      if (answered.page) answered = await world.submit(browser, answered.page.body.match(/action="([^"]+\/consent)"/)![1]!);
      assert.ok(answered.location, JSON.stringify(answered));
      return oidc.authorizationCodeGrant(config, new URL(answered.location), {
        pkceCodeVerifier: flow.verifier,
        expectedState: flow.state,
        expectedNonce: flow.nonce,
      });
    };

    const grantOf = async (grantId: string) => {
      const row = await world.db.selectFrom('oidc_state').select('payload').where('model', '=', 'Grant').where('id', '=', grantId).executeTakeFirstOrThrow();
      return JSON.parse(row.payload) as { openid?: { scope?: string; claims?: string[] } };
    };

    test('a client registered with openid only: the scope email is refused, and naming the claims gets none of them', async () => {
      const client = await world.register({ name: 'Narrow', scopes: ['openid'] });
      const config = await world.relyingParty(client);
      const refused = await world.navigate(browser, (await codeFlow(config, { scope: 'openid email' })).url);
      assert.equal(new URL(refused.location!).searchParams.get('error'), 'invalid_scope');

      const tokens = await tokensFor(config, { scope: 'openid', claims: BEYOND_OPENID });
      assert.equal(tokens.scope, 'openid');
      const claims = tokens.claims()!;
      assert.equal(claims.sub, userId);
      for (const claim of STANDARD_BEYOND_OPENID) assert.equal(claims[claim], undefined, `ID token: ${claim}`);
      const info = await oidc.fetchUserInfo(config, tokens.access_token, userId);
      for (const claim of STANDARD_BEYOND_OPENID) assert.equal(info[claim], undefined, `userinfo: ${claim}`);
      assert.deepEqual(Object.keys(info).sort(), ['external_id', 'store', 'sub']);
      // Nothing beyond openid was stored in the grant either.
      const grants = await world.db.selectFrom('oidc_state').select('id').where('model', '=', 'Grant').where('client_id', '=', client.clientId).execute();
      assert.equal(grants.length, 1);
      const grant = await grantOf(grants[0]!.id);
      assert.equal(grant.openid?.scope, 'openid');
      assert.deepEqual(grant.openid?.claims?.filter((claim) => STANDARD_BEYOND_OPENID.includes(claim)) ?? [], []);
    });

    test('a claim of a registered scope can still be named without the scope: email without phone', async () => {
      const client = await world.register({ name: 'Mail', scopes: ['openid', 'email'] });
      const config = await world.relyingParty(client);
      const tokens = await tokensFor(config, { scope: 'openid', claims: BEYOND_OPENID });
      assert.equal(tokens.scope, 'openid');
      const claims = tokens.claims()!;
      assert.equal(claims.email, 'ada@example.com');
      assert.equal(claims.phone_number, undefined);
      assert.equal(claims.address, undefined);
      const info = await oidc.fetchUserInfo(config, tokens.access_token, userId);
      assert.equal(info.email, 'ada@example.com');
      assert.equal(info.phone_number, undefined);
      assert.equal(info.preferred_username, undefined);
      // Claims of no scope and of openid are named as before (auth_time is always there: require_auth_time).
      const named = await tokensFor(config, { scope: 'openid', claims: JSON.stringify({ id_token: { auth_time: { essential: true }, store: null } }) });
      assert.equal(named.claims()!.store, 'customers');
      assert.equal(typeof named.claims()!.auth_time, 'number');
    });

    test('a third-party client: the consent screen names the registered scopes’ claims it asks for by name, and only those are given', async () => {
      const third = await world.register({ name: 'Third party', scopes: ['openid', 'email'], firstParty: false });
      const config = await world.relyingParty(third);
      const flow = await codeFlow(config, { scope: 'openid', claims: BEYOND_OPENID });
      const shown = await world.navigate(browser, flow.url);
      assert.ok(shown.page, JSON.stringify(shown));
      const items = [...shown.page.body.matchAll(/<li>([^<]*)<\/li>/g)].map((match) => match[1]);
      assert.deepEqual(items, ['Your identity (a user identifier)', 'Your e-mail address']);
      const allowed = await world.submit(browser, shown.page.body.match(/action="([^"]+\/consent)"/)![1]!);
      const tokens = await oidc.authorizationCodeGrant(config, new URL(allowed.location!), {
        pkceCodeVerifier: flow.verifier,
        expectedState: flow.state,
        expectedNonce: flow.nonce,
      });
      assert.equal(tokens.scope, 'openid');
      assert.equal(tokens.claims()!.email, 'ada@example.com');
      assert.equal(tokens.claims()!.phone_number, undefined);
      assert.equal(tokens.claims()!.address, undefined);
      assert.equal((await oidc.fetchUserInfo(config, tokens.access_token, userId)).phone_number, undefined);

      // A third-party client registered with openid only: the screen offers nothing beyond the identity.
      const narrow = await world.relyingParty(await world.register({ name: 'Narrow third', scopes: ['openid'], firstParty: false }));
      const screen = await world.navigate(browser, (await codeFlow(narrow, { scope: 'openid', claims: BEYOND_OPENID })).url);
      assert.deepEqual(
        [...screen.page!.body.matchAll(/<li>([^<]*)<\/li>/g)].map((match) => match[1]),
        ['Your identity (a user identifier)'],
      );
    });

    test('a grant and an access token stored with a claim beyond the registered scopes (before this bound) release none of it', async () => {
      const client = await world.register({ name: 'Earlier', scopes: ['openid'] });
      const config = await world.relyingParty(client);
      const tokens = await tokensFor(config, { scope: 'openid' });
      // As the provider stored them before: the claims granted and requested for userinfo.
      for (const model of ['Grant', 'AccessToken']) {
        const rows = await world.db
          .selectFrom('oidc_state')
          .select(['id', 'payload'])
          .where('model', '=', model)
          .where('client_id', '=', client.clientId)
          .execute();
        assert.ok(rows.length > 0, model);
        for (const row of rows) {
          const payload = JSON.parse(row.payload) as Record<string, unknown>;
          if (model === 'Grant') payload.openid = { scope: 'openid', claims: ['phone_number', 'email'] };
          else payload.claims = { userinfo: { phone_number: null, email: null } };
          await world.db
            .updateTable('oidc_state')
            .set({ payload: JSON.stringify(payload) })
            .where('model', '=', model)
            .where('id', '=', row.id)
            .execute();
        }
      }
      const info = await oidc.fetchUserInfo(config, tokens.access_token, userId);
      assert.equal(info.sub, userId);
      assert.equal(info.phone_number, undefined);
      assert.equal(info.email, undefined);
    });

    test('a claims parameter member that is neither null nor an object is refused (invalid_request, §5.5)', async () => {
      const config = await world.relyingParty(await world.register({ name: 'Malformed' }));
      const refused = await world.navigate(browser, (await codeFlow(config, { scope: 'openid', claims: JSON.stringify({ id_token: { email: true } }) })).url);
      const error = new URL(refused.location!).searchParams;
      assert.equal(error.get('error'), 'invalid_request');
      assert.equal(error.get('error_description'), 'claims.id_token members must be null or objects');
    });
  });
}
