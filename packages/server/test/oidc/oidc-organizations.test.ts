import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import * as oidc from 'openid-client';
import { DATABASE_KINDS } from '../support/databases.ts';
import { SoftAuthenticator } from '../support/soft-authenticator.ts';
import { authorize, codeFlow, OidcWorld, REDIRECT_URI, STORE, type Browser, type RegisteredClient } from './oidc-fixture.ts';

const ORGS = `/api/identity-store/stores/${STORE}/organizations`;

for (const kind of DATABASE_KINDS) {
  describe(`OpenID Provider organizations on ${kind}`, () => {
    let world: OidcWorld;
    let client: RegisteredClient;
    let config: oidc.Configuration;
    let browser: Browser;
    const authenticator = new SoftAuthenticator();
    let adaId: string;

    const createOrg = async (name: string, policy: Record<string, unknown> = {}) => (await world.acme.api.post(ORGS, { name, policy })).body as { id: string };
    const addMember = async (orgId: string, userId: string, roles: string[]) =>
      assert.equal((await world.acme.api.post(`${ORGS}/${orgId}/members`, { userId, roles })).status, 201);

    /** An authorization request of `who` for the organization; answers where the provider sent the browser back. */
    const authorizeFor = async (organization: string | undefined, who = browser, signIn?: () => Promise<unknown>) => {
      const flow = await codeFlow(config, { scope: 'openid organization', ...(organization ? { organization } : {}) });
      const { location } = await authorize(world, who, flow.url, signIn);
      return { flow, callback: new URL(location) };
    };

    before(async () => {
      world = await OidcWorld.create(kind);
      client = await world.register({ scopes: ['openid', 'profile', 'email', 'offline_access', 'organization'] });
      config = await world.relyingParty(client);
      browser = world.browser();
    });
    after(() => world.close());

    test('a member: org_id and org_roles in the ID token and from userinfo; without the parameter, none', async () => {
      const org = await createOrg('Globex');
      const { flow, callback } = await authorizeFor(org.id, browser, async () => {
        adaId = (await world.signUp(browser, 'ada@example.com', authenticator)).user.id;
        await addMember(org.id, adaId, ['admin']);
      });
      assert.equal(callback.origin + callback.pathname, REDIRECT_URI, callback.href);
      const tokens = await oidc.authorizationCodeGrant(config, callback, {
        pkceCodeVerifier: flow.verifier,
        expectedState: flow.state,
        expectedNonce: flow.nonce,
      });
      const claims = tokens.claims()!;
      assert.equal(claims.sub, adaId);
      assert.equal(claims.org_id, org.id);
      assert.deepEqual(claims.org_roles, ['admin']);
      const userinfo = await oidc.fetchUserInfo(config, tokens.access_token, adaId);
      assert.equal(userinfo.org_id, org.id);

      const plain = await authorizeFor(undefined);
      const plainTokens = await oidc.authorizationCodeGrant(config, plain.callback, {
        pkceCodeVerifier: plain.flow.verifier,
        expectedState: plain.flow.state,
        expectedNonce: plain.flow.nonce,
      });
      assert.equal(plainTokens.claims()!.org_id, undefined);

      // A member with a live session is signed in silently (prompt=none), with the claims.
      const silent = await codeFlow(config, { scope: 'openid organization', organization: org.id, prompt: 'none' });
      const answered = await world.navigate(browser, silent.url);
      const silentTokens = await oidc.authorizationCodeGrant(config, new URL(answered.location!), {
        pkceCodeVerifier: silent.verifier,
        expectedState: silent.state,
        expectedNonce: silent.nonce,
      });
      assert.equal(silentTokens.claims()!.org_id, org.id);
    });

    test('someone not a member is refused (access_denied naming the code), even with a live session', async () => {
      const other = await createOrg('Initech');
      const { callback } = await authorizeFor(other.id);
      assert.equal(callback.searchParams.get('error'), 'access_denied', callback.href);
      assert.equal(callback.searchParams.get('error_description'), 'ORGANIZATION_MEMBERSHIP_REQUIRED');
      // Silently, a non-member is not signed in either.
      const silent = await codeFlow(config, { scope: 'openid organization', organization: other.id, prompt: 'none' });
      assert.equal(new URL((await world.navigate(browser, silent.url)).location!).searchParams.get('error'), 'login_required');
      const malformed = await authorizeFor('not an id!');
      assert.equal(malformed.callback.searchParams.get('error'), 'invalid_request');
    });

    test('policy: a device-bound-only organization refuses a session opened with a synced passkey', async () => {
      const bound = await createOrg('Bound', { deviceBoundOnly: true });
      const synced = new SoftAuthenticator({ backupEligible: true, backupState: true, incrementSignCount: false });
      const bobBrowser = world.browser();
      const { callback } = await authorizeFor(bound.id, bobBrowser, async () => {
        const bob = (await world.signUp(bobBrowser, 'bob@example.com', synced)).user.id;
        await addMember(bound.id, bob, []);
      });
      assert.equal(callback.searchParams.get('error'), 'access_denied', callback.href);
      assert.equal(callback.searchParams.get('error_description'), 'ORGANIZATION_SYNCED_PASSKEY_REFUSED');
      // Ada's passkey is device-bound: admitted.
      await addMember(bound.id, adaId, ['dev']);
      const admitted = await authorizeFor(bound.id);
      const tokens = await oidc.authorizationCodeGrant(config, admitted.callback, {
        pkceCodeVerifier: admitted.flow.verifier,
        expectedState: admitted.flow.state,
        expectedNonce: admitted.flow.nonce,
      });
      assert.deepEqual([tokens.claims()!.org_id, tokens.claims()!.org_roles], [bound.id, ['dev']]);
    });

    test('the claims parameter does not name an organization: org_id with a value, without the parameter, is ignored', async () => {
      // A member whose synced passkey the organization's policy refuses: only the `organization` parameter runs that check.
      const strict = await createOrg('Strict', { deviceBoundOnly: true });
      const synced = new SoftAuthenticator({ backupEligible: true, backupState: true, incrementSignCount: false });
      const carolBrowser = world.browser();
      let carol = '';
      const named = JSON.stringify({
        id_token: { org_id: { value: strict.id }, org_roles: null },
        userinfo: { org_id: { value: strict.id }, org_roles: null },
      });
      const flow = await codeFlow(config, { scope: 'openid organization', claims: named });
      const { location } = await authorize(world, carolBrowser, flow.url, async () => {
        carol = (await world.signUp(carolBrowser, 'carol@example.com', synced)).user.id;
        await addMember(strict.id, carol, ['admin']);
      });
      const tokens = await oidc.authorizationCodeGrant(config, new URL(location), {
        pkceCodeVerifier: flow.verifier,
        expectedState: flow.state,
        expectedNonce: flow.nonce,
      });
      assert.equal(tokens.claims()!.sub, carol);
      assert.equal(tokens.claims()!.org_id, undefined);
      assert.equal(tokens.claims()!.org_roles, undefined);
      const userinfo = await oidc.fetchUserInfo(config, tokens.access_token, carol);
      assert.equal(userinfo.org_id, undefined);
      assert.equal(userinfo.org_roles, undefined);
      // With the parameter, the policy refuses this sign-in.
      const refused = await authorizeFor(strict.id, carolBrowser);
      assert.equal(refused.callback.searchParams.get('error_description'), 'ORGANIZATION_SYNCED_PASSKEY_REFUSED');
    });
  });
}
