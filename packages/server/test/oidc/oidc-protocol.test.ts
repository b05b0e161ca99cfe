import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import * as oidc from 'openid-client';
import { parseDevicePublicKey } from '../../src/passkeys/device-key-proof.ts';
import { DATABASE_KINDS } from '../support/databases.ts';
import { SoftAuthenticator } from '../support/soft-authenticator.ts';
import { ISSUER, OidcWorld, ORIGIN, REDIRECT_URI, STORE, authorize, codeFlow, expectStatus, type Browser, type RegisteredClient } from './oidc-fixture.ts';

/** The OAuth error of a failed openid-client call. */
async function oauthError(call: Promise<unknown>): Promise<string> {
  try {
    await call;
  } catch (error) {
    const e = error as { error?: string; code?: string; cause?: { error?: string } };
    return e.error ?? e.cause?.error ?? e.code ?? String(error);
  }
  assert.fail('expected the call to fail');
}

for (const kind of DATABASE_KINDS) {
  describe(`OpenID Provider protocol on ${kind}`, () => {
    let world: OidcWorld;
    let client: RegisteredClient;
    let config: oidc.Configuration;
    let browser: Browser;
    let authenticator: SoftAuthenticator;
    let userId: string;

    before(async () => {
      world = await OidcWorld.create(kind);
      client = await world.register({ postLogoutRedirectUris: ['https://app.keyway.test/bye'] });
      config = await world.relyingParty(client);
      browser = world.browser();
      authenticator = new SoftAuthenticator();
    });
    after(() => world.close());

    /** A complete sign-in of `browser` for `config`'s client; answers the tokens. */
    const signIn = async (extra: Record<string, string> = {}, cfg = config, who = browser) => {
      const flow = await codeFlow(cfg, extra);
      const { location } = await authorize(world, who, flow.url, () => world.signIn(who, authenticator));
      return oidc.authorizationCodeGrant(cfg, new URL(location), { pkceCodeVerifier: flow.verifier, expectedState: flow.state, expectedNonce: flow.nonce });
    };

    test('code flow with PKCE: the store’s sign-in page, a new passkey, the code, the tokens, userinfo', async () => {
      const flow = await codeFlow(config, { prompt: 'consent' });
      const { location, signedIn } = await authorize(world, browser, flow.url, async () => {
        const signedUp = await world.signUp(browser, 'ada@example.com', authenticator);
        userId = signedUp.user.id;
      });
      assert.equal(signedIn, true);
      const tokens = await oidc.authorizationCodeGrant(config, new URL(location), {
        pkceCodeVerifier: flow.verifier,
        expectedState: flow.state,
        expectedNonce: flow.nonce,
      });
      const claims = tokens.claims()!;
      assert.equal(claims.iss, ISSUER);
      assert.equal(claims.sub, userId);
      assert.equal(claims.aud, client.clientId);
      assert.equal(claims.nonce, flow.nonce);
      assert.equal(typeof claims.auth_time, 'number');
      assert.equal(typeof claims.sid, 'string');
      // The soft authenticator's passkey is device-bound, its attestation `none`: proof of possession.
      assert.deepEqual(claims.amr, ['pop', 'user', 'mfa']);
      assert.equal(claims.acr, 'urn:keyway:acr:passkey');
      assert.ok(tokens.refresh_token, 'offline_access with prompt=consent gives a refresh token');
      const info = await oidc.fetchUserInfo(config, tokens.access_token, claims.sub);
      assert.equal(info.preferred_username, 'ada@example.com');
      assert.equal(info['store'], 'customers');
      // The code and tokens are in the database, and each issue is audited.
      const actions = (await world.db.selectFrom('audit_events').select('action').where('action', 'like', 'oidc.%').execute()).map((r) => r.action);
      assert.ok(
        actions.includes('oidc.authorizationCode.issue') && actions.includes('oidc.accessToken.issue') && actions.includes('oidc.refreshToken.issue'),
        actions.join(),
      );
      // The ID token is never stored: its issue is audited as the token endpoint answers it.
      const idTokens = await world.db.selectFrom('audit_events').select(['actor', 'target_id', 'details']).where('action', '=', 'oidc.idToken.issue').execute();
      assert.equal(idTokens.length, 1);
      assert.equal(idTokens[0]!.actor, `oidc-client:${client.clientId}`);
      assert.equal(idTokens[0]!.target_id, userId);
      assert.equal(JSON.parse(String(idTokens[0]!.details)).grantType, 'authorization_code');
    });

    test('login_hint goes to the store’s sign-in page, which pre-fills the identifier with it', async () => {
      const flow = await codeFlow(config, { login_hint: 'ada@example.com' });
      const shown = await world.navigate(world.browser(), flow.url);
      assert.ok(shown.page, JSON.stringify(shown));
      const signInPage = new URL(shown.page.url);
      assert.match(signInPage.pathname, /\/acme\/identity\/customers\/signin$/);
      assert.equal(signInPage.searchParams.get('login_hint'), 'ada@example.com');
      assert.match(signInPage.searchParams.get('return_to') ?? '', /^\/acme\/oidc\/interaction\//);
    });

    test('silent SSO: a signed-in browser gets a code with prompt=none; auth_time stays that of the sign-in', async () => {
      const tokens = await signIn({ prompt: 'none' });
      assert.equal(tokens.claims()!.sub, userId);
    });

    test('response_mode=form_post: the auto-submitting page runs only its own script (CSP hash), cannot be framed, sends no referrer', async () => {
      await signIn();
      const flow = await codeFlow(config, { prompt: 'none', response_mode: 'form_post' });
      let next = new URL(flow.url);
      let response = await browser.request('GET', next.pathname + next.search, undefined, { accept: 'text/html' });
      for (let hops = 0; response.status >= 300 && response.status < 400 && hops < 10; hops++) {
        next = new URL(response.headers.get('location')!, ORIGIN);
        response = await browser.request('GET', next.pathname + next.search, undefined, { accept: 'text/html' });
      }
      assert.equal(response.status, 200);
      const html = String(response.body);
      assert.ok(html.includes(`<form method="post" action="${REDIRECT_URI}">`), html);
      const script = /<script>([\s\S]*?)<\/script>/.exec(html)![1]!;
      const csp = response.headers.get('content-security-policy') ?? '';
      assert.match(csp, /default-src 'none'/);
      assert.match(csp, /frame-ancestors 'none'/);
      const scriptSrc = csp.split(';').find((directive) => directive.trim().startsWith('script-src'))!;
      assert.ok(scriptSrc.includes(`'sha256-${createHash('sha256').update(script).digest('base64')}'`), `${scriptSrc} allows the page's script`);
      assert.doesNotMatch(scriptSrc, /unsafe-inline/);
      assert.equal(response.headers.get('x-frame-options'), 'DENY');
      assert.equal(response.headers.get('x-content-type-options'), 'nosniff');
      assert.equal(response.headers.get('referrer-policy'), 'no-referrer');
    });

    test('prompt=none without a session answers login_required at the redirect URI', async () => {
      const flow = await codeFlow(config, { prompt: 'none' });
      const result = await world.navigate(world.browser(), flow.url);
      const callback = new URL(result.location!);
      assert.equal(callback.origin + callback.pathname, REDIRECT_URI);
      assert.equal(callback.searchParams.get('error'), 'login_required');
      assert.equal(callback.searchParams.get('state'), flow.state);
    });

    test('a browser signed in on the store’s hosted pages only: prompt=none is silent SSO from that session', async () => {
      const hosted = world.browser();
      const hostedAuthenticator = new SoftAuthenticator();
      const { user } = await world.signUp(hosted, 'hopper@example.com', hostedAuthenticator);
      /** A browser with only the hosted pages' session cookie (no OP session yet). */
      const hostedOnly = () => {
        const copy = world.browser();
        copy.cookies.set('keyway_session', hosted.cookies.get('keyway_session')!);
        return copy;
      };
      const flow = await codeFlow(config, { prompt: 'none' });
      assert.ok(hosted.cookies.has('keyway_session'));
      assert.ok(![...hosted.cookies.keys()].some((name) => name.startsWith('kw_oidc')), 'no OP session yet');
      const { location, signedIn } = await authorize(world, hosted, flow.url);
      assert.equal(signedIn, false);
      const tokens = await oidc.authorizationCodeGrant(config, new URL(location), {
        pkceCodeVerifier: flow.verifier,
        expectedState: flow.state,
        expectedNonce: flow.nonce,
      });
      const claims = tokens.claims()!;
      assert.equal(claims.sub, user.id);
      assert.deepEqual(claims.amr, ['pop', 'user', 'mfa']);
      assert.equal(claims.acr, 'urn:keyway:acr:passkey');
      const session = await world.db
        .selectFrom('selfservice_sessions')
        .select('authenticated_at')
        .where('user_id', '=', user.id)
        .where('revoked_at', 'is', null)
        .executeTakeFirstOrThrow();
      assert.equal(claims.auth_time, Math.floor(Number(session.authenticated_at) / 1000));

      // The rules of an interactive request hold: max_age=0 and an unmet acr_values cannot be silent.
      for (const extra of [{ max_age: '0' }, { acr_values: 'urn:keyway:acr:attested' }] as Record<string, string>[]) {
        const refused = await world.navigate(hostedOnly(), (await codeFlow(config, { prompt: 'none', ...extra })).url);
        assert.equal(new URL(refused.location!).searchParams.get('error'), 'login_required', JSON.stringify(extra));
      }
      // A class the passkey meets is silent too, and stated.
      const mfa = await codeFlow(config, { prompt: 'none', acr_values: 'urn:keyway:acr:mfa' });
      const mfaCallback = await authorize(world, hostedOnly(), mfa.url);
      const mfaTokens = await oidc.authorizationCodeGrant(config, new URL(mfaCallback.location), {
        pkceCodeVerifier: mfa.verifier,
        expectedState: mfa.state,
        expectedNonce: mfa.nonce,
      });
      assert.equal(mfaTokens.claims()!.acr, 'urn:keyway:acr:mfa');
      // A third-party client still needs consent: prompt=none answers consent_required.
      const third = await world.relyingParty(await world.register({ name: 'Third party', firstParty: false }));
      const consent = await world.navigate(hostedOnly(), (await codeFlow(third, { prompt: 'none' })).url);
      assert.equal(new URL(consent.location!).searchParams.get('error'), 'consent_required');
      // Signed out on the hosted pages: login_required again.
      assert.ok((await hosted.post('/logout', {})).status < 300);
      const ended = await world.navigate(hosted, (await codeFlow(config, { prompt: 'none' })).url);
      assert.equal(new URL(ended.location!).searchParams.get('error'), 'login_required');
    });

    test('prompt=login asks for the passkey again, and auth_time moves', async () => {
      const before = (await signIn({ prompt: 'none' })).claims()!.auth_time!;
      await new Promise((resolve) => setImmediate(resolve));
      const flow = await codeFlow(config, { prompt: 'login' });
      // Right after the last sign-in, usually within the same second (oidc-provider dates the request in whole seconds):
      // that sign-in is from before the request, and does not count.
      const { location, signedIn } = await authorize(world, browser, flow.url, () => world.signIn(browser, authenticator));
      assert.equal(signedIn, true, 'the sign-in page was shown although a session existed');
      const tokens = await oidc.authorizationCodeGrant(config, new URL(location), {
        pkceCodeVerifier: flow.verifier,
        expectedState: flow.state,
        expectedNonce: flow.nonce,
      });
      assert.ok(tokens.claims()!.auth_time! >= before);
    });

    test('max_age: auth_time is stated; max_age=0 asks for the passkey again, a generous one does not', async () => {
      const generous = await codeFlow(config, { max_age: '3600' });
      const silent = await authorize(world, browser, generous.url);
      const kept = await oidc.authorizationCodeGrant(config, new URL(silent.location), {
        pkceCodeVerifier: generous.verifier,
        expectedState: generous.state,
        expectedNonce: generous.nonce,
        maxAge: 3600,
      });
      assert.equal(typeof kept.claims()!.auth_time, 'number');
      await world.db
        .updateTable('selfservice_sessions')
        .set({ authenticated_at: Date.now() - 5000 })
        .where('revoked_at', 'is', null)
        .execute();
      const strict = await codeFlow(config, { max_age: '0' });
      const { location, signedIn } = await authorize(world, browser, strict.url, () => world.signIn(browser, authenticator));
      assert.equal(signedIn, true);
      const tokens = await oidc.authorizationCodeGrant(config, new URL(location), {
        pkceCodeVerifier: strict.verifier,
        expectedState: strict.state,
        expectedNonce: strict.nonce,
      });
      assert.ok(Math.floor(Date.now() / 1000) - tokens.claims()!.auth_time! <= 5);
    });

    test('an unknown or mismatching redirect_uri is an error page, never a redirect', async () => {
      for (const redirect of ['https://evil.example/callback', `${REDIRECT_URI}/`, `${REDIRECT_URI}?x=1`, 'https://app.keyway.test/Callback']) {
        const flow = await codeFlow(config, { redirect_uri: redirect });
        const result = await world.navigate(browser, flow.url);
        assert.equal(result.location, undefined, redirect);
        assert.equal(result.page!.status, 400, redirect);
        assert.match(result.page!.body, /data-error="invalid_redirect_uri"/, redirect);
      }
    });

    test('ui_locales (Core §3.1.2.1): the sign-in page and the consent screen in the first language Keyway has pages in', async () => {
      const discovery = (await (await world.publicFetch(`${ISSUER}/.well-known/openid-configuration`)).json()) as { ui_locales_supported: string[] };
      assert.deepEqual(discovery.ui_locales_supported, ['en', 'de', 'fr', 'es']);
      const fresh = world.browser();
      const shown = await world.navigate(fresh, (await codeFlow(config, { ui_locales: 'ja fr-CA de' })).url);
      assert.equal(new URL(shown.page!.url).searchParams.get('lang'), 'fr');
      // A third-party client's consent screen for a signed-in browser, whatever its Accept-Language says.
      await world.signUp(fresh, 'locales@example.com');
      const third = await world.relyingParty(await world.register({ name: 'Tiers', firstParty: false }));
      const consent = await world.navigate(fresh, (await codeFlow(third, { ui_locales: 'de-CH' })).url);
      assert.match(consent.page!.body, /<html lang="de">/);
      assert.match(consent.page!.body, /Tiers möchte Sie anmelden/);
    });

    test('an interaction this browser does not hold: an error page in its language, with no script allowed', async () => {
      const response = await world.publicFetch(`${ISSUER}/oidc/interaction/not-this-one?lang=fr`, { headers: { accept: 'text/html' } });
      assert.equal(response.status, 400);
      assert.match(response.headers.get('content-security-policy') ?? '', /script-src 'none'/);
      assert.equal(response.headers.get('content-language'), 'fr');
      assert.equal(response.headers.get('cache-control'), 'no-store');
      const body = await response.text();
      assert.match(body, /data-error="invalid_request"/);
      assert.match(body, /Cette connexion est terminée ou a expiré/);
    });

    test('a PKCE verifier that does not match the challenge is refused', async () => {
      const flow = await codeFlow(config, { prompt: 'none' });
      const { location } = await authorize(world, browser, flow.url);
      const error = await oauthError(
        oidc.authorizationCodeGrant(config, new URL(location), {
          pkceCodeVerifier: oidc.randomPKCECodeVerifier(),
          expectedState: flow.state,
          expectedNonce: flow.nonce,
        }),
      );
      assert.equal(error, 'invalid_grant');
    });

    test('a code used twice: the second use is refused and the tokens of the first are revoked', async () => {
      const flow = await codeFlow(config, { prompt: 'consent' });
      const { location } = await authorize(world, browser, flow.url);
      const checks = { pkceCodeVerifier: flow.verifier, expectedState: flow.state, expectedNonce: flow.nonce };
      const tokens = await oidc.authorizationCodeGrant(config, new URL(location), checks);
      assert.equal((await oidc.tokenIntrospection(config, tokens.access_token)).active, true);
      assert.equal(await oauthError(oidc.authorizationCodeGrant(config, new URL(location), checks)), 'invalid_grant');
      assert.equal((await oidc.tokenIntrospection(config, tokens.access_token)).active, false);
      assert.equal((await oidc.tokenIntrospection(config, tokens.refresh_token!)).active, false);
      const revoked = await world.db
        .selectFrom('audit_events')
        .select(['action', 'details'])
        .where('action', 'in', ['oidc.accessToken.revoke', 'oidc.refreshToken.revoke'])
        .execute();
      assert.ok(
        revoked.some((event) => event.action === 'oidc.accessToken.revoke' && String(event.details).includes('grantRevoked')),
        JSON.stringify(revoked),
      );
    });

    test('a third-party client asks for consent: Deny answers access_denied, Allow answers a code; first-party ones never ask', async () => {
      const third = await world.register({ name: 'Third party', firstParty: false });
      const thirdConfig = await world.relyingParty(third);
      const flow = await codeFlow(thirdConfig);
      const shown = await world.navigate(browser, flow.url);
      assert.ok(shown.page, JSON.stringify(shown));
      assert.match(shown.page.body, /Third party wants to sign you in/);
      const deny = shown.page.body.match(/action="([^"]+\/abort)"/)![1]!;
      const denied = await world.submit(browser, deny);
      assert.equal(new URL(denied.location!).searchParams.get('error'), 'access_denied');
      const again = await codeFlow(thirdConfig);
      const consent = await world.navigate(browser, again.url);
      const allow = consent.page!.body.match(/action="([^"]+\/consent)"/)![1]!;
      const allowed = await world.submit(browser, allow);
      const tokens = await oidc.authorizationCodeGrant(thirdConfig, new URL(allowed.location!), {
        pkceCodeVerifier: again.verifier,
        expectedState: again.state,
        expectedNonce: again.nonce,
      });
      assert.equal(tokens.claims()!.sub, userId);
      // Once given, the grant is remembered: no consent screen the next time.
      const silent = await codeFlow(thirdConfig, { prompt: 'none' });
      assert.ok(new URL((await authorize(world, browser, silent.url)).location).searchParams.get('code'));
    });

    test('an expired code is refused', async () => {
      const flow = await codeFlow(config, { prompt: 'none' });
      const { location } = await authorize(world, browser, flow.url);
      const code = new URL(location).searchParams.get('code')!;
      const updated = await world.db
        .updateTable('oidc_state')
        .set({ expires_at: Date.now() - 1 })
        .where('model', '=', 'AuthorizationCode')
        .where('id', '=', code)
        .executeTakeFirst();
      assert.equal(Number(updated.numUpdatedRows), 1);
      const error = await oauthError(
        oidc.authorizationCodeGrant(config, new URL(location), { pkceCodeVerifier: flow.verifier, expectedState: flow.state, expectedNonce: flow.nonce }),
      );
      assert.equal(error, 'invalid_grant');
    });

    test('refresh rotation: each use answers a new refresh token; reusing an old one revokes the whole family', async () => {
      const first = await signIn({ prompt: 'consent' });
      const second = await oidc.refreshTokenGrant(config, first.refresh_token!);
      assert.notEqual(second.refresh_token, first.refresh_token);
      assert.equal((await oidc.tokenIntrospection(config, second.access_token)).active, true);
      assert.equal(await oauthError(oidc.refreshTokenGrant(config, first.refresh_token!)), 'invalid_grant');
      assert.equal(await oauthError(oidc.refreshTokenGrant(config, second.refresh_token!)), 'invalid_grant');
      assert.equal((await oidc.tokenIntrospection(config, second.access_token)).active, false);
      // The refresh answered a new ID token too, audited; the family's revocation is audited per kind.
      const refreshed = await world.db.selectFrom('audit_events').select('details').where('action', '=', 'oidc.idToken.issue').execute();
      assert.ok(refreshed.some((event) => JSON.parse(String(event.details)).grantType === 'refresh_token'));
      const grantId = JSON.parse(String(refreshed.at(-1)!.details)).grantId as string;
      const revoked = await world.db.selectFrom('audit_events').select(['action', 'details']).where('action', 'like', 'oidc.%.revoke').execute();
      for (const kind of ['accessToken', 'refreshToken']) {
        assert.ok(
          revoked.some((event) => event.action === `oidc.${kind}.revoke` && JSON.parse(String(event.details)).grantId === grantId),
          `${kind}: ${JSON.stringify(revoked)}`,
        );
      }
    });

    test('introspection (RFC 7662): the token’s own client and confidential clients of its store only', async () => {
      const tokens = await signIn({ prompt: 'consent' });
      const introspect = async (cfg: oidc.Configuration) => oidc.tokenIntrospection(cfg, tokens.access_token);
      const own = await introspect(config);
      assert.equal(own.active, true);
      assert.equal(own.client_id, client.clientId);
      assert.equal(own.sub, userId);
      // An API of the same store (a confidential client) may check the token it is handed.
      const sameStore = await world.relyingParty(await world.register({ name: 'Same store API' }));
      assert.equal((await introspect(sameStore)).active, true);
      // A public client's identity is not proven; a client of another store serves other users: nothing to learn.
      const spa = await world.relyingParty(await world.register({ name: 'Introspecting SPA', public: true }));
      await expectStatus(world.acme.api.post('/api/identity-store/stores', { name: 'partners', displayName: 'Partners' }), 201);
      const otherStore = await world.relyingParty(await world.register({ name: 'Partner API', store: 'partners' }));
      for (const cfg of [spa, otherStore]) assert.deepEqual(await introspect(cfg), { active: false });
      // The refusal changed nothing: the token is still live for its own client.
      assert.equal((await introspect(config)).active, true);
      // A user locked since: their token is no longer active, for anyone; active again when they are.
      const user = `/api/identity-store/stores/customers/users/${userId}`;
      for (const [status, active] of [
        ['locked', false],
        ['disabled', false],
        ['active', true],
      ] as const) {
        await expectStatus(world.acme.api.patch(user, { status }), 200);
        assert.equal((await introspect(config)).active, active, status);
        assert.equal((await introspect(sameStore)).active, active, status);
      }
    });

    test('revocation (RFC 7009): a revoked refresh token no longer refreshes', async () => {
      const tokens = await signIn({ prompt: 'consent' });
      await oidc.tokenRevocation(config, tokens.refresh_token!);
      assert.equal(await oauthError(oidc.refreshTokenGrant(config, tokens.refresh_token!)), 'invalid_grant');
    });

    test('claims by scope: openid alone gives no profile or e-mail; email adds the e-mail', async () => {
      await world.db.updateTable('users').set({ email: 'ada@example.com', first_name: 'Ada', last_name: 'Lovelace' }).where('id', '=', userId).execute();
      const bare = await signIn({ prompt: 'none', scope: 'openid' });
      const bareInfo = await oidc.fetchUserInfo(config, bare.access_token, userId);
      assert.equal(bareInfo.email, undefined);
      assert.equal(bareInfo.given_name, undefined);
      const withEmail = await signIn({ prompt: 'none', scope: 'openid email profile' });
      const info = await oidc.fetchUserInfo(config, withEmail.access_token, userId);
      assert.equal(info.email, 'ada@example.com');
      assert.equal(info.email_verified, false);
      assert.equal(info.given_name, 'Ada');
      assert.equal(info.family_name, 'Lovelace');
      assert.equal(info.name, 'Ada Lovelace');
    });

    test('CORS at the token endpoint only for the origins of the client’s redirect URIs (a SPA exchanging its code)', async () => {
      const spa = await world.register({ public: true, name: 'CORS SPA' });
      const tokenRequest = (origin: string) =>
        world.publicFetch(`${ISSUER}/oidc/token`, {
          method: 'POST',
          headers: { origin, 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: 'x', client_id: spa.clientId }).toString(),
        });
      assert.equal((await tokenRequest('https://app.keyway.test')).headers.get('access-control-allow-origin'), 'https://app.keyway.test');
      assert.equal((await tokenRequest('https://evil.example')).headers.get('access-control-allow-origin'), null);
    });

    test('userinfo needs a valid bearer access token', async () => {
      const response = await world.publicFetch(`${ISSUER}/oidc/userinfo`, { headers: { authorization: 'Bearer not-a-token' } });
      assert.equal(response.status, 401);
    });

    test('a public client must send PKCE', async () => {
      const spa = await world.register({ public: true, name: 'SPA' });
      const spaConfig = await world.relyingParty(spa);
      const url = oidc.buildAuthorizationUrl(spaConfig, { redirect_uri: REDIRECT_URI, scope: 'openid', state: 's1' });
      const result = await world.navigate(browser, url.href);
      const callback = new URL(result.location!);
      assert.equal(callback.searchParams.get('error'), 'invalid_request');
      assert.match(callback.searchParams.get('error_description') ?? '', /PKCE/);
      // S256 only (RFC 7636 §4.2: plain is for clients that cannot hash), for public and confidential clients alike.
      for (const cfg of [spaConfig, config]) {
        const plain = oidc.buildAuthorizationUrl(cfg, {
          redirect_uri: REDIRECT_URI,
          scope: 'openid',
          state: 's2',
          code_challenge: oidc.randomPKCECodeVerifier(),
          code_challenge_method: 'plain',
        });
        const refused = new URL((await world.navigate(browser, plain.href)).location!);
        assert.equal(refused.searchParams.get('error'), 'invalid_request');
        assert.match(refused.searchParams.get('error_description') ?? '', /code_challenge_method/);
      }
    });

    test('no implicit or hybrid response types, no password or client-credentials grant at the provider', async () => {
      const url = oidc.buildAuthorizationUrl(config, { redirect_uri: REDIRECT_URI, scope: 'openid', response_type: 'id_token token', nonce: 'n', state: 's' });
      const result = await world.navigate(browser, url.href);
      // The error goes back in the fragment, as the requested response type would have.
      assert.equal(new URLSearchParams(new URL(result.location!).hash.slice(1)).get('error'), 'unsupported_response_type');
      for (const grant of ['password', 'client_credentials']) {
        const response = await world.publicFetch(`${ISSUER}/oidc/token`, {
          method: 'POST',
          headers: {
            'content-type': 'application/x-www-form-urlencoded',
            authorization: `Basic ${Buffer.from(`${client.clientId}:${client.clientSecret}`).toString('base64')}`,
          },
          body: new URLSearchParams({ grant_type: grant, username: 'ada', password: 'x' }).toString(),
        });
        assert.equal(response.status, 400);
        assert.equal(((await response.json()) as { error: string }).error, 'unsupported_grant_type');
      }
    });

    test('a wrong client secret is refused; the stored secret is a hash', async () => {
      const response = await world.publicFetch(`${ISSUER}/oidc/token`, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          authorization: `Basic ${Buffer.from(`${client.clientId}:kwos_wrong`).toString('base64')}`,
        },
        body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: 'whatever' }).toString(),
      });
      assert.equal(response.status, 401);
      assert.equal(((await response.json()) as { error: string }).error, 'invalid_client');
      const row = await world.db.selectFrom('oidc_clients').select('secret_hash').where('id', '=', client.clientId).executeTakeFirstOrThrow();
      assert.match(row.secret_hash!, /^scrypt\$/);
      assert.ok(!row.secret_hash!.includes(client.clientSecret!));
    });

    test('acr_values that the passkey used does not meet: unmet_authentication_requirements', async () => {
      const flow = await codeFlow(config, { acr_values: 'urn:keyway:acr:attested' });
      const { location } = await authorize(world, browser, flow.url, () => world.signIn(browser, authenticator));
      const callback = new URL(location);
      assert.equal(callback.searchParams.get('error'), 'unmet_authentication_requirements');
      // A class the passkey meets is stated in the ID token.
      const tokens = await signIn({ acr_values: 'urn:keyway:acr:attested urn:keyway:acr:mfa' });
      assert.equal(tokens.claims()!.acr, 'urn:keyway:acr:mfa');
    });

    test('a tenant’s client at another tenant’s issuer is refused (an error page, no redirect)', async () => {
      await world.server.tenant('globex');
      const foreign = await world.relyingParty(client, `${ORIGIN}/globex`);
      const flow = await codeFlow(foreign);
      const result = await world.navigate(world.browser(), flow.url);
      assert.equal(result.location, undefined);
      assert.equal(result.page!.status, 400);
      assert.match(result.page!.body, /data-error="invalid_client"/);
    });

    test('pushed authorization requests (RFC 9126): the request_uri starts the same flow', async () => {
      const verifier = oidc.randomPKCECodeVerifier();
      const url = await oidc.buildAuthorizationUrlWithPAR(config, {
        redirect_uri: REDIRECT_URI,
        scope: 'openid',
        code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
        state: 'par-state',
        prompt: 'none',
      });
      assert.ok(url.searchParams.get('request_uri')?.startsWith('urn:ietf:params:oauth:request_uri:'));
      const { location } = await authorize(world, browser, url.href);
      const tokens = await oidc.authorizationCodeGrant(config, new URL(location), { pkceCodeVerifier: verifier, expectedState: 'par-state' });
      assert.equal(tokens.claims()!.sub, userId);
    });

    test('pairwise subjects: a pairwise client sees its own stable sub, not the user id', async () => {
      const pairwise = await world.register({ name: 'Pairwise', subjectType: 'pairwise' });
      const pairwiseConfig = await world.relyingParty(pairwise);
      const one = (await signIn({ prompt: 'none' }, pairwiseConfig)).claims()!.sub;
      const two = (await signIn({ prompt: 'none' }, pairwiseConfig)).claims()!.sub;
      assert.equal(one, two);
      assert.notEqual(one, userId);
      // Another sector (the host of the redirect URIs): another sub for the same user; userinfo answers the same one.
      const elsewhere = 'https://other.keyway.test/callback';
      const otherConfig = await world.relyingParty(await world.register({ name: 'Pairwise elsewhere', subjectType: 'pairwise', redirectUris: [elsewhere] }));
      const tokens = await signIn({ prompt: 'none', redirect_uri: elsewhere }, otherConfig);
      const three = tokens.claims()!.sub;
      assert.notEqual(three, one);
      assert.notEqual(three, userId);
      assert.equal((await oidc.fetchUserInfo(otherConfig, tokens.access_token, three)).sub, three);
      // The tokens still name the user underneath: the audit log records who signed in.
      const issued = await world.db
        .selectFrom('audit_events')
        .select('target_id')
        .where('action', '=', 'oidc.idToken.issue')
        .orderBy('id', 'desc')
        .executeTakeFirstOrThrow();
      assert.equal(issued.target_id, userId);
    });

    test('pairwise clients get no external_id or device_keys (the same at every client, Core §8, §17.3); a public-subject client does', async () => {
      const { external_id: externalId } = await world.db.selectFrom('users').select('external_id').where('id', '=', userId).executeTakeFirstOrThrow();
      assert.ok(externalId);
      const key = await parseDevicePublicKey(generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'jwk' }));
      await world.server.services.devices.bind({ tenantId: 'acme', actor: 'test' }, { storeName: STORE, userId, credentialId: null, key });
      // Asked for by name too: the claims parameter does not bring them back.
      const named = JSON.stringify({ id_token: { external_id: null, device_keys: null }, userinfo: { external_id: null, device_keys: null } });

      const publicTokens = await signIn({ prompt: 'none', scope: 'openid', claims: named });
      assert.equal(publicTokens.claims()!.external_id, externalId);
      assert.deepEqual(publicTokens.claims()!.device_keys, [key.keyId]);
      const publicInfo = await oidc.fetchUserInfo(config, publicTokens.access_token, userId);
      assert.equal(publicInfo.external_id, externalId);
      assert.deepEqual(publicInfo.device_keys, [key.keyId]);

      const subs = new Set<string>();
      for (const [name, redirectUri] of [
        ['Pairwise one', 'https://one.keyway.test/callback'],
        ['Pairwise two', 'https://two.keyway.test/callback'],
      ] as const) {
        const pairwiseConfig = await world.relyingParty(await world.register({ name, subjectType: 'pairwise', redirectUris: [redirectUri] }));
        for (const extra of [{ scope: 'openid' }, { scope: 'openid', claims: named }] as Record<string, string>[]) {
          const tokens = await signIn({ prompt: 'none', redirect_uri: redirectUri, ...extra }, pairwiseConfig);
          const claims = tokens.claims()!;
          subs.add(claims.sub);
          assert.equal(claims.external_id, undefined, name);
          assert.equal(claims.device_keys, undefined, name);
          const info = await oidc.fetchUserInfo(pairwiseConfig, tokens.access_token, claims.sub);
          assert.deepEqual(Object.keys(info).sort(), ['store', 'sub'], name);
        }
      }
      assert.equal(subs.size, 2, 'one stable sub per sector');
    });

    test('SSO across clients, and RP-initiated logout ends the session for every client and Keyway’s own', async () => {
      const other = await world.register({ name: 'Second app' });
      const otherConfig = await world.relyingParty(other);
      const ssoBrowser = world.browser();
      const ssoAuthenticator = new SoftAuthenticator();
      const firstFlow = await codeFlow(config);
      const first = await authorize(world, ssoBrowser, firstFlow.url, () => world.signUp(ssoBrowser, 'grace@example.com', ssoAuthenticator));
      const firstTokens = await oidc.authorizationCodeGrant(config, new URL(first.location), {
        pkceCodeVerifier: firstFlow.verifier,
        expectedState: firstFlow.state,
        expectedNonce: firstFlow.nonce,
      });
      // The second client signs in silently.
      const silent = await codeFlow(otherConfig, { prompt: 'none' });
      const second = await authorize(world, ssoBrowser, silent.url);
      assert.ok(new URL(second.location).searchParams.get('code'), second.location);

      const logout = oidc.buildEndSessionUrl(config, {
        id_token_hint: firstTokens.id_token!,
        post_logout_redirect_uri: 'https://app.keyway.test/bye',
        state: 'bye',
      });
      const confirm = await world.navigate(ssoBrowser, logout.href);
      const xsrf = confirm.page!.body.match(/name="xsrf" value="([^"]+)"/)![1]!;
      const done = await world.submit(ssoBrowser, '/acme/oidc/session/end/confirm', { xsrf, logout: 'yes' });
      assert.equal(done.location, 'https://app.keyway.test/bye?state=bye');
      const live = await world.db
        .selectFrom('selfservice_sessions')
        .select('id')
        .where('user_id', '=', String(firstTokens.claims()!.sub))
        .where('revoked_at', 'is', null)
        .execute();
      assert.equal(live.length, 0, 'Keyway’s browser session ended too');
      for (const cfg of [config, otherConfig]) {
        const flow = await codeFlow(cfg, { prompt: 'none' });
        const after = await world.navigate(ssoBrowser, flow.url);
        assert.equal(new URL(after.location!).searchParams.get('error'), 'login_required');
      }
    });

    test('signing out of Keyway’s own pages ends the OpenID Provider session too', async () => {
      const b = world.browser();
      const a = new SoftAuthenticator();
      const flow = await codeFlow(config);
      await authorize(world, b, flow.url, () => world.signUp(b, 'linus@example.com', a));
      const silent = await codeFlow(config, { prompt: 'none' });
      assert.ok(new URL((await authorize(world, b, silent.url)).location).searchParams.get('code'));
      assert.equal((await b.post('/logout', {})).status < 300, true);
      const again = await codeFlow(config, { prompt: 'none' });
      const after = await world.navigate(b, again.url);
      assert.equal(new URL(after.location!).searchParams.get('error'), 'login_required');
    });
  });
}
