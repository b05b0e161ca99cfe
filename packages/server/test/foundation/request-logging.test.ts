// Request log lines carry no personal data and no secret from URLs: the route pattern, the path with only the values of
// configuration names (tenant, store, journey, client, …), the query's parameter names with only harmless values
// (response_type, client_id, scope, limit, …), the status; the client's address unless KEYWAY_LOG_CLIENT_IP=false.
// The server logs JSON lines (the production format) to a stream the test reads, while it runs an OpenID Connect
// sign-in with login_hint, a logout with id_token_hint, the admin API's user searches and a journey session's GET.
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import * as oidc from 'openid-client';
import { loggerOptions } from '../../src/logging/log-output.ts';
import { HIDDEN_PARAMS, LOGGED_PARAMS, requestSerializer, type LoggedRequest } from '../../src/logging/request-log.ts';
import { withoutEmailAddresses } from '../../src/logging/scrub-text.ts';
import { definition, endSuccess, probeStep, publish } from '../journeys/engine-fixture.ts';
import { ORIGIN, OidcWorld, authorize, codeFlow, expectStatus } from '../oidc/oidc-fixture.ts';
import { ADMIN } from '../selfservice/selfservice-fixture.ts';

interface Line {
  msg?: string;
  req?: { method: string; url: string; route?: string; host?: string; remoteAddress?: string };
  res?: { statusCode: number };
}

/** A writable that keeps every line written to it. */
function capture(): { stream: Writable; lines: string[] } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(
        ...chunk
          .toString('utf8')
          .split('\n')
          .filter((line) => line !== ''),
      );
      done();
    },
  });
  return { stream, lines };
}

describe('request log lines on a live server (JSON logger, KEYWAY_LOG_CLIENT_IP=false)', () => {
  const { stream, lines } = capture();
  let world: OidcWorld;
  const secrets: Record<string, string> = {};

  before(async () => {
    world = await OidcWorld.create('sqlite', {}, { logger: loggerOptions({ logLevel: 'info', logClientIp: false }, 'json', stream), stepTypes: [probeStep] });
  });
  after(() => world?.close());

  /** Answers once the server has logged a request sent after all the others (lines are written as answers go). */
  async function settled(): Promise<Line[]> {
    const marker = `log-test-${Date.now()}`;
    await fetch(`${world.server.url}/healthz`, { headers: { 'x-request-id': marker } });
    for (let waited = 0; !lines.some((line) => line.includes(marker)); waited += 10) {
      assert.ok(waited < 5000, 'the last request was logged');
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    return lines.map((line) => JSON.parse(line) as Line);
  }

  test('an OpenID Connect sign-in with login_hint, a logout with id_token_hint, user searches, a journey session', async () => {
    const email = 'grace.hopper@example.com';
    const client = await world.register({ postLogoutRedirectUris: ['https://app.keyway.test/bye'] });
    const config = await world.relyingParty(client);
    const browser = world.browser();
    const flow = await codeFlow(config, { login_hint: email });
    const signedIn = await authorize(world, browser, flow.url, () => world.signUp(browser, email));
    const code = new URL(signedIn.location).searchParams.get('code')!;
    const tokens = await oidc.authorizationCodeGrant(config, new URL(signedIn.location), {
      pkceCodeVerifier: flow.verifier,
      expectedState: flow.state,
      expectedNonce: flow.nonce,
    });
    const userId = String(tokens.claims()!.sub);
    const logout = oidc.buildEndSessionUrl(config, {
      id_token_hint: tokens.id_token!,
      post_logout_redirect_uri: 'https://app.keyway.test/bye',
      state: 'bye-state-42',
    });
    const confirm = await world.navigate(browser, logout.href);
    assert.equal(confirm.page?.status, 200, 'the logout confirmation page');
    Object.assign(secrets, {
      email,
      emailEscaped: encodeURIComponent(email),
      state: flow.state,
      nonce: flow.nonce,
      idToken: tokens.id_token!,
      idTokenSignature: tokens.id_token!.split('.')[2]!,
      code,
      userId,
      logoutState: 'bye-state-42',
    });

    // The admin API: by e-mail, a search, and a user by an external id that is an e-mail address.
    const externalId = 'g.hopper@navy.example';
    await expectStatus(world.acme.api.patch(`${ADMIN}/users/${userId}`, { externalId }), 200);
    await expectStatus(world.acme.api.get(`${ADMIN}/users?email=${encodeURIComponent(email)}&limit=5`), 200);
    await expectStatus(world.acme.api.get(`${ADMIN}/users?q=hopper`), 200);
    await expectStatus(world.acme.api.get(`${ADMIN}/users/${encodeURIComponent(externalId)}/ext`), 200);
    Object.assign(secrets, { externalId, externalIdEscaped: encodeURIComponent(externalId), search: 'hopper' });

    // A journey session read by its id, a bearer credential for a journey not bound to a browser.
    await publish(world.acme, 'ask', definition([{ id: 'ask', type: 'test.prompt', outcomes: { next: 'done' } }, endSuccess()]));
    const started = await expectStatus(world.server.http.post('/acme/journeys/ask/start', {}, { origin: ORIGIN }), 200);
    const sessionId = String(started.body.sessionId);
    await expectStatus(world.server.http.get(`/acme/journeys/sessions/${sessionId}`, { origin: ORIGIN }), 200);
    secrets.journeySession = sessionId;

    const logged = await settled();
    const text = lines.join('\n');
    for (const [what, secret] of Object.entries(secrets)) assert.ok(!text.includes(secret), `no ${what} (${secret}) in the log`);
    // The client (this test, on 127.0.0.1) is nowhere; the server's own address is only its Host and listening line.
    for (const line of logged) {
      assert.equal(line.req?.remoteAddress, undefined);
      const { req, ...rest } = line;
      if (rest.msg?.startsWith('Server listening at ')) continue;
      assert.ok(!JSON.stringify({ ...rest, req: { ...req, host: undefined } }).includes('127.0.0.1'), JSON.stringify(line));
    }
    assert.ok(!text.includes('remotePort'));

    const requests = logged.filter((line) => line.req !== undefined && line.res !== undefined);
    const find = (method: string, url: string | RegExp) =>
      requests.find((line) => line.req!.method === method && (typeof url === 'string' ? line.req!.url === url : url.test(line.req!.url)));
    const authorization = find('GET', /^\/acme\/oidc\/auth\?/);
    assert.ok(authorization, requests.map((line) => line.req!.url).join('\n'));
    assert.equal(authorization.req!.route, '/:tenantId/oidc/*');
    const query = new Map(
      authorization
        .req!.url.split('?')[1]!
        .split('&')
        .map((pair) => pair.split('=') as [string, string]),
    );
    assert.equal(query.get('client_id'), client.clientId);
    assert.equal(query.get('response_type'), 'code');
    assert.equal(query.get('scope'), 'openid+profile+email+offline_access');
    assert.equal(query.get('code_challenge_method'), 'S256');
    for (const hidden of ['login_hint', 'state', 'nonce', 'redirect_uri', 'code_challenge']) assert.equal(query.get(hidden), '[redacted]', hidden);
    assert.equal(authorization.res!.statusCode, 303);

    // The store's sign-in page the provider sent the browser to, with the hint and where to return.
    const signInPage = find('GET', /^\/acme\/identity\/customers\/signin\?/);
    assert.ok(signInPage);
    assert.match(signInPage.req!.url, /login_hint=\[redacted\]/);
    assert.equal(signInPage.req!.route, '/:tenantId/identity/:storeName/signin');

    const interaction = find('GET', /^\/acme\/oidc\/interaction\//);
    assert.equal(interaction?.req!.url, '/acme/oidc/interaction/:uid');
    const resumed = find('GET', /^\/acme\/oidc\/auth\/\*$/);
    assert.ok(resumed, 'the resumed authorization: its interaction id is not a word');

    const endSession = find('GET', /^\/acme\/oidc\/session\/end\?/);
    assert.equal(
      endSession?.req!.url,
      `/acme/oidc/session/end?id_token_hint=[redacted]&post_logout_redirect_uri=[redacted]&state=[redacted]&client_id=${client.clientId}`,
    );
    assert.equal(endSession.res!.statusCode, 200);

    const byEmail = find('GET', /\/users\?email=/);
    assert.equal(byEmail?.req!.url, '/api/identity-store/stores/customers/users?email=[redacted]&limit=5');
    assert.equal(byEmail.req!.route, '/api/identity-store/stores/:storeName/users');
    assert.equal(byEmail.res!.statusCode, 200);
    assert.equal(find('GET', /\/users\?q=/)?.req!.url, '/api/identity-store/stores/customers/users?q=[redacted]');
    const byExternalId = find('GET', /\/ext$/);
    assert.equal(byExternalId?.req!.url, '/api/identity-store/stores/customers/users/:userExtId/ext');
    assert.equal(byExternalId.res!.statusCode, 200);
    const patched = find('PATCH', /\/users\//);
    assert.equal(patched?.req!.url, '/api/identity-store/stores/customers/users/:userId');

    const journeySession = find('GET', /^\/acme\/journeys\/sessions\//);
    assert.equal(journeySession?.req!.url, '/acme/journeys/sessions/:sessionId');
    assert.equal(journeySession.req!.route, '/:tenantId/journeys/sessions/:sessionId');
    assert.equal(journeySession.res!.statusCode, 200);
    assert.equal(find('POST', '/acme/journeys/ask/start')?.res!.statusCode, 200);
  });

  test('every route parameter of the application is either logged or hidden by name', () => {
    const routes = world.server.app.printRoutes({ commonPrefix: false });
    const names = new Set([...routes.matchAll(/:([A-Za-z0-9_]+)/g)].map((match) => match[1]!));
    assert.ok(names.size > 10, routes);
    const unclassified = [...names].filter((name) => !LOGGED_PARAMS.has(name) && !HIDDEN_PARAMS.has(name));
    assert.deepEqual(unclassified, [], 'decide for each new route parameter whether its value may be logged (logging/request-log.ts)');
  });
});

describe('the request serializer', () => {
  const request = (fields: Partial<LoggedRequest>): LoggedRequest => ({ method: 'GET', host: 'login.example.com', ip: '203.0.113.7', params: {}, ...fields });
  const logged = requestSerializer({ clientIp: true });

  test('the client address is logged by default (it is personal data: KEYWAY_LOG_CLIENT_IP=false leaves it out)', () => {
    assert.deepEqual(logged(request({ url: '/healthz', routeOptions: { url: '/healthz' } })), {
      method: 'GET',
      url: '/healthz',
      route: '/healthz',
      host: 'login.example.com',
      remoteAddress: '203.0.113.7',
    });
    assert.equal(requestSerializer({ clientIp: false })(request({ url: '/healthz' })).remoteAddress, undefined);
  });

  test('a path no route matches keeps its plain lower-case words only', () => {
    assert.equal(logged(request({ url: '/no-such-route' })).url, '/no-such-route');
    assert.equal(logged(request({ url: '/acme/users/grace.hopper%40example.com/x?email=a@b.example' })).url, '/acme/users/*/x?email=[redacted]');
    assert.equal(logged(request({ url: '/acme/users/grace.hopper@example.com' })).url, '/acme/users/*');
    assert.equal(logged(request({ url: '/v1/0b5c9a2e-1f7e-4c3b-9d59-3a1f0e2c7b44' })).url, '/*/*');
    assert.equal(logged(request({ url: '/.well-known/openid-configuration' })).url, '/.well-known/openid-configuration');
  });

  test('parameter values: configuration names shown, the rest by name; the wildcard keeps its words', () => {
    const route = '/api/identity-store/:tenantId/stores/:storeName/users/:userId';
    const answer = logged(request({ url: '/x', routeOptions: { url: route }, params: { tenantId: 'acme', storeName: 'customers', userId: 'u-1' } }));
    assert.equal(answer.url, '/api/identity-store/acme/stores/customers/users/:userId');
    assert.equal(answer.route, route);
    const unknown = logged(request({ url: '/x', routeOptions: { url: '/things/:thingId' }, params: { thingId: 'secret' } }));
    assert.equal(unknown.url, '/things/:thingId', 'a parameter nobody classified is hidden');
    const wildcard = (rest: string) =>
      logged(request({ url: `/acme/oidc/${rest}`, routeOptions: { url: '/:tenantId/oidc/*' }, params: { tenantId: 'acme', '*': rest } })).url;
    assert.equal(wildcard('session/end/confirm'), '/acme/oidc/session/end/confirm');
    assert.equal(wildcard('auth/Zx81_uYhq2LwFk0aP9-bN'), '/acme/oidc/auth/*');
  });

  test('query: names kept, values only for harmless parameters and only when plain', () => {
    const url = (query: string) => logged(request({ url: `/p?${query}` })).url;
    assert.equal(url('client_id=app&response_type=code&prompt=login&limit=10'), '/p?client_id=app&response_type=code&prompt=login&limit=10');
    assert.equal(url('client_id=grace%40example.com'), '/p?client_id=[redacted]', 'not plain: an address where a client id goes');
    assert.equal(url('token=abc&code=def&q=grace'), '/p?token=[redacted]&code=[redacted]&q=[redacted]');
    assert.equal(url('grace.hopper%40example.com'), '/p?*=[redacted]', 'a name that is not a name');
    assert.equal(url('a=1&'.repeat(60)).split('&').length, 51, 'at most 50 parameters, then …');
  });

  test('the URL the client sent, not the one a route rewrote; never a failure', () => {
    assert.equal(logged(request({ url: '/oidc/auth?login_hint=x', originalUrl: '/acme/oidc/auth?login_hint=x' })).url, '/acme/oidc/auth?login_hint=[redacted]');
    const broken = {
      method: 'GET',
      get url(): string {
        throw new Error('boom');
      },
    } as LoggedRequest;
    assert.deepEqual(logged(broken), { method: 'GET', url: '*' });
  });
});

test('free text for a warning: e-mail addresses go, the rest stays', () => {
  assert.equal(
    withoutEmailAddresses('550 5.1.1 <grace.hopper@example.com>: Recipient address rejected: User unknown in virtual mailbox table'),
    '550 5.1.1 <address>: Recipient address rejected: User unknown in virtual mailbox table',
  );
  assert.equal(
    withoutEmailAddresses("Can't send mail - all recipients were rejected: 550 grace+tag@mail.example.org unknown"),
    "Can't send mail - all recipients were rejected: 550 <address> unknown",
  );
  assert.equal(withoutEmailAddresses('connect ECONNREFUSED 10.0.0.5:587'), 'connect ECONNREFUSED 10.0.0.5:587');
});
