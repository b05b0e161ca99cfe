// Shared set-up for the OpenID Provider tests: a real Keyway on one database kind with a tenant whose store has
// self-service on, OpenID Connect clients registered through the admin API, openid-client as the relying party, and
// a cookie-keeping `Browser` that follows the provider's redirects the way a browser does. The public URL is
// https://login.keyway.test; requests to it are sent to the server's loopback port.
import assert from 'node:assert/strict';
import * as oidc from 'openid-client';
import type { ApiResponse } from '../support/http-client.ts';
import { SoftAuthenticator } from '../support/soft-authenticator.ts';
import { startTestServer, type TenantFixture, type TestServer, type TestServerOptions } from '../support/test-server.ts';
import type { DatabaseKind } from '../support/databases.ts';
import { ADMIN, Browser, ORIGIN, RP_ID, SELF_SERVICE, STORE, expectStatus } from '../selfservice/selfservice-fixture.ts';

export { ORIGIN, STORE, expectStatus };
export const ISSUER = `${ORIGIN}/acme`;
export const REDIRECT_URI = 'https://app.keyway.test/callback';

export interface RegisteredClient {
  clientId: string;
  clientSecret?: string;
}

export class OidcWorld {
  readonly server: TestServer;
  readonly acme: TenantFixture;

  private constructor(server: TestServer, acme: TenantFixture) {
    this.server = server;
    this.acme = acme;
  }

  /** The server runs on the real clock: oidc-provider reads the time itself, and Keyway's sign-in times must agree. */
  /** `env`: more settings, e.g. KEYWAY_SMTP_* for a test's SMTP listener; `options`: more of the test server's. */
  static async create(
    kind: DatabaseKind,
    env: Record<string, string> = {},
    options: Pick<TestServerOptions, 'logger' | 'stepTypes' | 'oidcRateLimitClock'> = {},
  ): Promise<OidcWorld> {
    const server = await startTestServer({
      ...options,
      kind,
      env: { KEYWAY_PUBLIC_URL: ORIGIN, KEYWAY_RATE_LIMIT_PER_IP: '100000', KEYWAY_RATE_LIMIT_PER_IDENTIFIER: '100000', ...env },
    });
    const acme = await server.tenant('acme');
    await expectStatus(acme.api.post('/api/identity-store/stores', { name: STORE, displayName: 'Customers' }), 201);
    await expectStatus(acme.api.post(`${ADMIN}/passkeys/relyingParties`, { id: RP_ID, name: 'Keyway Test', origins: [ORIGIN] }), 201);
    await expectStatus(acme.api.post(`${ADMIN}/passkeys/registrationPolicies`, { name: 'default' }), 201);
    await expectStatus(acme.api.post(`${ADMIN}/passkeys/authenticationPolicies`, { name: 'default' }), 201);
    await expectStatus(acme.api.patch(ADMIN, { selfService: SELF_SERVICE }), 200);
    return new OidcWorld(server, acme);
  }

  get db() {
    return this.server.database.db;
  }

  close(): Promise<void> {
    return this.server.close();
  }

  /** Registers a client through the admin API. */
  async register(body: Record<string, unknown> = {}): Promise<RegisteredClient & { body: Record<string, unknown> }> {
    const created = await expectStatus(
      this.acme.api.post('/api/oidc/clients', { name: 'Demo', store: STORE, redirectUris: [REDIRECT_URI], firstParty: true, ...body }),
      201,
    );
    const answer = created.body as { clientId: string; clientSecret?: string };
    return { clientId: answer.clientId, ...(answer.clientSecret ? { clientSecret: answer.clientSecret } : {}), body: created.body as Record<string, unknown> };
  }

  /** Sends requests for the public URL to the server's loopback port. */
  readonly fetch: oidc.CustomFetch = (url, options) => fetch(url.replace(ORIGIN, this.server.url), options as RequestInit);

  /** fetch() for a URL on the public URL. */
  publicFetch(url: string, init: RequestInit = {}): Promise<Response> {
    return fetch(url.replace(ORIGIN, this.server.url), init);
  }

  /** openid-client configured only with the issuer, the client id (and secret) — nothing Keyway-specific. */
  async relyingParty(client: RegisteredClient, issuer = ISSUER): Promise<oidc.Configuration> {
    const auth = client.clientSecret ? oidc.ClientSecretBasic(client.clientSecret) : oidc.None();
    const config = await oidc.discovery(new URL(issuer), client.clientId, undefined, auth, { [oidc.customFetch]: this.fetch });
    config[oidc.customFetch] = this.fetch;
    return config;
  }

  browser(): Browser {
    return new Browser(this.server.url);
  }

  /** Signs the browser up through the store's self-service API (a new user and passkey; opens the browser session). */
  async signUp(browser: Browser, identifier: string, authenticator = new SoftAuthenticator()) {
    const begun = await expectStatus(browser.post('/register/webauthn/begin', { identifier }), 200);
    const credential = authenticator.register((begun.body as { publicKey: unknown }).publicKey as never, { origin: ORIGIN });
    const finished = await expectStatus(browser.post('/register/webauthn/finish', credential), 201);
    return { authenticator, user: (finished.body as { user: { id: string } }).user };
  }

  /** Signs the browser in (usernameless) through the self-service API: a new browser session. */
  async signIn(browser: Browser, authenticator: SoftAuthenticator) {
    const options = await expectStatus(browser.post('/login/webauthn/options', {}), 200);
    const assertion = authenticator.authenticate((options.body as { publicKey: unknown }).publicKey as never, { origin: ORIGIN });
    return expectStatus(browser.post('/login/webauthn/finish', assertion), 200);
  }

  /**
   * GETs `url` (on the public URL) and follows redirects on Keyway's origin, as a browser would; stops at a page, or at
   * a redirect leaving Keyway (to the client), whose Location it answers.
   */
  async navigate(browser: Browser, url: string): Promise<{ location?: string; page?: BrowserPage }> {
    let next = url;
    for (let hops = 0; hops < 20; hops++) {
      const target = new URL(next, ORIGIN);
      if (target.origin !== ORIGIN) return { location: target.href };
      const response = await browser.request('GET', target.pathname + target.search, undefined, { accept: 'text/html' });
      if (response.status >= 300 && response.status < 400) {
        next = response.headers.get('location')!;
        continue;
      }
      return { page: { url: target.href, status: response.status, body: String(response.body) } };
    }
    assert.fail('too many redirects');
  }

  /** POSTs a form on Keyway's origin and follows the redirects that follow. */
  async submit(browser: Browser, path: string, form: Record<string, string> = {}): Promise<{ location?: string; page?: BrowserPage }> {
    const body = new URLSearchParams(form).toString();
    const response = await browser.requestRaw('POST', path, body, { 'content-type': 'application/x-www-form-urlencoded' });
    if (response.status >= 300 && response.status < 400) return this.navigate(browser, response.headers.get('location')!);
    return { page: { url: `${ORIGIN}${path}`, status: response.status, body: String(response.body) } };
  }
}

export interface BrowserPage {
  url: string;
  status: number;
  body: string;
}

/** A code flow's parameters: PKCE (S256), state and nonce. */
export async function codeFlow(config: oidc.Configuration, extra: Record<string, string> = {}) {
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const nonce = oidc.randomNonce();
  const url = oidc.buildAuthorizationUrl(config, {
    redirect_uri: REDIRECT_URI,
    scope: 'openid profile email offline_access',
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    nonce,
    ...extra,
  });
  return { url: url.href, verifier, state, nonce };
}

export type { ApiResponse };

/**
 * Runs an authorization request in the browser; when the store's sign-in page is shown, `signIn` runs (the browser's
 * passkey ceremony) and the browser goes back where the page would send it. Answers the redirect to the client.
 */
export async function authorize(
  world: OidcWorld,
  browser: Browser,
  url: string,
  signIn?: () => Promise<unknown>,
): Promise<{ location: string; signedIn: boolean }> {
  const first = await world.navigate(browser, url);
  if (first.location) return { location: first.location, signedIn: false };
  assert.ok(first.page && /\/identity\/customers\/signin\?/.test(first.page.url), `expected the sign-in page, got ${JSON.stringify(first)}`);
  assert.ok(signIn, 'the sign-in page was shown but the test did not expect it');
  await signIn();
  const back = await world.navigate(browser, new URL(first.page.url).searchParams.get('return_to')!);
  assert.ok(back.location, `expected a redirect to the client, got ${JSON.stringify(back)}`);
  return { location: back.location, signedIn: true };
}

export { Browser };
