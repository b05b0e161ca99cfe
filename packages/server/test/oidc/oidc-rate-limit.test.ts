// What an anonymous authorization request may cost, on both databases: requests that start an authorization (the
// authorization endpoint and PAR) are charged per client address and tenant before the provider does any work — one
// over the limit gets 429 with Retry-After (an error page for the browser, a JSON error for PAR) and stores nothing,
// while another address is still served; the authorization's resume is not charged; and free-text parameters over
// their bounds are refused with invalid_request before anything is stored.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import * as oidc from 'openid-client';
import { AUTHORIZATION_PARAMETER_LIMITS, AUTHORIZATION_PARAMETERS_TOTAL_LIMIT, oversizedParameter } from '../../src/oidc/oidc-parameter-limits.ts';
import { authorizationEndpointOf } from '../../src/oidc/oidc-routes.ts';
import { ManualClock } from '../../src/shared/clock.ts';
import { DATABASE_KINDS } from '../support/databases.ts';
import { Browser, OidcWorld, REDIRECT_URI, authorize, codeFlow, type RegisteredClient } from './oidc-fixture.ts';

const LIMIT = 3;

describe('authorization request bounds', () => {
  test('parameters: each free-text one within its bound, and all of them together', () => {
    assert.equal(oversizedParameter({ state: 's'.repeat(2048), nonce: 'n'.repeat(512), client_id: 'c' }), undefined);
    assert.equal(oversizedParameter({ state: 's'.repeat(2049) }), 'state must be at most 2048 bytes');
    // Counted in UTF-8 bytes: 683 three-byte characters are 2049 bytes.
    assert.equal(oversizedParameter({ state: '€'.repeat(683) }), 'state must be at most 2048 bytes');
    assert.equal(oversizedParameter({ login_hint: 'x'.repeat(513) }), 'login_hint must be at most 512 bytes');
    assert.equal(
      oversizedParameter({ resource: ['x'.repeat(5000), 'y'.repeat(4000)] }),
      `the authorization request's parameters must be at most 8192 bytes together`,
    );
    const eachAtItsBound = Object.fromEntries(Object.entries(AUTHORIZATION_PARAMETER_LIMITS).map(([name, limit]) => [name, 'a'.repeat(limit)]));
    assert.ok(Object.values(AUTHORIZATION_PARAMETER_LIMITS).reduce((a, b) => a + b) > AUTHORIZATION_PARAMETERS_TOTAL_LIMIT);
    assert.match(oversizedParameter(eachAtItsBound) ?? '', /together/);
    // Not a parameter with a bound of its own: only the total counts (and Object.prototype names are no bounds).
    assert.equal(oversizedParameter({ constructor: 'x'.repeat(100), redirect_uri: 'https://app.example/cb', max_age: undefined }), undefined);
  });

  test('the charged endpoints, as the provider routes them', () => {
    assert.equal(authorizationEndpointOf('GET', '/oidc/auth?client_id=x'), 'authorization');
    assert.equal(authorizationEndpointOf('HEAD', '/OIDC/Auth/'), 'authorization');
    assert.equal(authorizationEndpointOf('POST', '/oidc/par'), 'pushed');
    assert.equal(authorizationEndpointOf('OPTIONS', '/oidc/par'), undefined);
    assert.equal(authorizationEndpointOf('GET', '/oidc/auth/Jd8Wm2'), undefined, 'the resume');
    assert.equal(authorizationEndpointOf('POST', '/oidc/token'), undefined);
  });
});

for (const kind of DATABASE_KINDS) {
  describe(`OpenID Provider authorization requests, limited and bounded, on ${kind}`, () => {
    let world: OidcWorld;
    let client: RegisteredClient;
    let config: oidc.Configuration;

    before(async () => {
      // The provider runs on the real clock; its limits count on a clock of their own that stays in one minute window.
      world = await OidcWorld.create(
        kind,
        { KEYWAY_RATE_LIMIT_PER_IP: String(LIMIT), KEYWAY_RATE_LIMIT_TOKEN_PER_IP: String(LIMIT) },
        { oidcRateLimitClock: new ManualClock('2026-06-01T12:00:30Z') },
      );
      client = await world.register();
      config = await world.relyingParty(client);
    });
    after(() => world.close());

    const browserAt = (localAddress: string) => new Browser(world.server.url, { localAddress });
    /** The client's server: no Origin header (PAR allows CORS only from the client's redirect URIs' origins). */
    const serverAt = (localAddress: string) => new Browser(world.server.url, { localAddress, origin: undefined });
    const stored = async () =>
      Number(
        (
          await world.db
            .selectFrom('oidc_state')
            .select(sql<number>`count(*)`.as('n'))
            .executeTakeFirstOrThrow()
        ).n,
      );
    /** The authorization request's first answer (no redirects followed). */
    const authorizationRequest = (browser: Browser, url: string) => {
      const target = new URL(url);
      return browser.request('GET', target.pathname + target.search, undefined, { accept: 'text/html', 'accept-language': 'de' });
    };

    test('one address over its limit gets an error page with 429 and Retry-After and stores nothing; another address is served', async () => {
      const flooder = browserAt('127.0.3.1');
      for (let i = 0; i < LIMIT; i++) {
        const started = await authorizationRequest(flooder, (await codeFlow(config)).url);
        assert.equal(started.status, 303, 'to the interaction');
      }
      const before = await stored();
      const refused = await authorizationRequest(flooder, (await codeFlow(config)).url);
      assert.equal(refused.status, 429);
      const retryAfter = Number(refused.headers.get('retry-after'));
      assert.ok(retryAfter >= 1 && retryAfter <= 60, `Retry-After ${retryAfter}`);
      assert.match(refused.headers.get('content-type') ?? '', /^text\/html/);
      assert.equal(refused.headers.get('cache-control'), 'no-store');
      assert.match(refused.headers.get('content-security-policy') ?? '', /script-src 'none'/);
      const page = String(refused.body);
      assert.match(page, /data-error="temporarily_unavailable"/);
      assert.match(page, /Too many requests from this address/);
      assert.match(page, /<html lang="de"/);
      assert.match(page, /zu viele Anmeldeanfragen/);
      assert.equal(await stored(), before, 'the refused request stored no interaction');

      const other = await authorizationRequest(browserAt('127.0.3.2'), (await codeFlow(config)).url);
      assert.equal(other.status, 303);
    });

    test('a normal code flow works, and its resume is not charged: the address can start another', async () => {
      const browser = browserAt('127.0.3.10');
      const { authenticator } = await world.signUp(browser, 'rate-limited-ada@example.com');
      // The OIDC budget is its own: the sign-up's self-service calls did not spend it.
      const flow = await codeFlow(config);
      const { location } = await authorize(world, browser, flow.url, () => world.signIn(browser, authenticator));
      const tokens = await oidc.authorizationCodeGrant(config, new URL(location), {
        pkceCodeVerifier: flow.verifier,
        expectedState: flow.state,
        expectedNonce: flow.nonce,
      });
      assert.ok(tokens.claims()?.sub);
      const charged = await world.db
        .selectFrom('selfservice_rate_limits')
        .select('count')
        .where('key', '=', 'oidc-authorization|acme|127.0.3.10')
        .executeTakeFirstOrThrow();
      assert.equal(Number(charged.count), 1, 'the authorization request only, not its resume');
    });

    test('PAR over the limit: 429 with Retry-After and a JSON error, nothing stored', async () => {
      const push = async (address = '127.0.3.20') => {
        const flow = await codeFlow(config);
        const form = new URLSearchParams(new URL(flow.url).search);
        return serverAt(address).requestRaw('POST', '/acme/oidc/par', form.toString(), {
          'content-type': 'application/x-www-form-urlencoded',
          authorization: `Basic ${Buffer.from(`${client.clientId}:${client.clientSecret}`).toString('base64')}`,
        });
      };
      for (let i = 0; i < LIMIT; i++) assert.equal((await push()).status, 201);
      const before = await stored();
      const refused = await push();
      assert.equal(refused.status, 429);
      assert.ok(Number(refused.headers.get('retry-after')) >= 1);
      assert.equal((refused.body as { error: string }).error, 'temporarily_unavailable');
      assert.equal(await stored(), before);
      assert.equal((await push('127.0.3.21')).status, 201);
    });

    test('an over-long state is refused with invalid_request at the redirect URI, and nothing is stored', async () => {
      const browser = browserAt('127.0.3.30');
      const before = await stored();
      const flow = await codeFlow(config, { state: 's'.repeat(12_000) });
      const { location } = await world.navigate(browser, flow.url);
      assert.ok(location?.startsWith(REDIRECT_URI), `redirected to the client: ${location}`);
      const answer = new URL(location!);
      assert.equal(answer.searchParams.get('error'), 'invalid_request');
      assert.equal(answer.searchParams.get('error_description'), 'state must be at most 2048 bytes');
      assert.equal(await stored(), before, 'no interaction stored');

      // Within the bound, the same request starts an interaction.
      const within = await authorizationRequest(browser, (await codeFlow(config, { state: 's'.repeat(2048) })).url);
      assert.equal(within.status, 303);
      assert.equal(await stored(), before + 1);
    });

    test('an over-long parameter in a pushed request: 400 invalid_request, nothing stored', async () => {
      const before = await stored();
      const flow = await codeFlow(config, { login_hint: `${'a'.repeat(600)}@example.com` });
      const form = new URLSearchParams(new URL(flow.url).search);
      const refused = await serverAt('127.0.3.40').requestRaw('POST', '/acme/oidc/par', form.toString(), {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from(`${client.clientId}:${client.clientSecret}`).toString('base64')}`,
      });
      assert.equal(refused.status, 400);
      assert.deepEqual(refused.body, { error: 'invalid_request', error_description: 'login_hint must be at most 512 bytes' });
      assert.equal(await stored(), before);
    });
  });
}
