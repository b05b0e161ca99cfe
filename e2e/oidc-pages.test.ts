// The OpenID Provider's own pages in Chromium, on both databases: an error that is never redirected (unknown client),
// a third-party client's consent screen, the logout confirmation and the signed-out page. Each is drawn in the hosted
// pages' frame with the client's store's name, in English and German, axe-clean in light and dark, nothing wrapping at
// 360 px (screenshots in test-artifacts/oidc-*.png); Allow goes on to the client with a code, Sign out ends the session.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { DATABASE_KINDS } from '../packages/server/test/support/databases.ts';
import { axeViolations } from './support/axe.ts';
import { launchChromium, PLATFORM_AUTHENTICATOR, WebAuthnPage } from './support/browser.ts';
import { AUTHENTICATION_POLICY, RP_ID, setUpHostedStore, watchPage } from './support/hosted-pages.ts';
import { screenshotViews } from './support/layout.ts';
import { startSelfServiceServer, type SelfServiceServer } from './support/selfservice-server.ts';

/** The client's redirect URI: nothing listens there; the test answers it in the browser (page.route). */
const CALLBACK = 'http://localhost:9/callback';

/** axe in light and dark, and the light/dark/360 px screenshots. */
async function checkPage(page: Page, name: string): Promise<void> {
  for (const colorScheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme, reducedMotion: 'reduce' });
    assert.deepEqual(await axeViolations(page), [], `${name} (${colorScheme})`);
  }
  await page.emulateMedia({ colorScheme: 'light' });
  await screenshotViews(page, `oidc-${name}`);
}

let browser: Browser;
before(async () => {
  browser = await launchChromium();
});
after(async () => {
  await browser?.close();
});

for (const kind of DATABASE_KINDS) {
  describe(`OpenID Provider pages in Chromium (${kind})`, () => {
    let server: SelfServiceServer;
    let clientId: string;

    let journeyClientId: string;

    before(async () => {
      server = await startSelfServiceServer(kind);
      const hosted = await setUpHostedStore(server, 'acme', 'customers', 'Customers');
      clientId = (
        hosted.backend.expect(
          await hosted.backend.call('POST', '/api/oidc/clients', { name: 'Partner app', store: 'customers', redirectUris: [CALLBACK], public: true }),
          201,
        ).body as { clientId: string }
      ).clientId;
      hosted.backend.expect(
        await hosted.backend.call('POST', '/api/journeys/templates/install', {
          store: 'customers',
          templates: ['mosaic-passkey-sign-in'],
          relyingPartyId: RP_ID,
          authenticationPolicy: AUTHENTICATION_POLICY,
        }),
        200,
      );
      journeyClientId = (
        hosted.backend.expect(
          await hosted.backend.call('POST', '/api/oidc/clients', {
            name: 'Journey app',
            store: 'customers',
            redirectUris: [CALLBACK],
            public: true,
            firstParty: true,
            loginJourney: 'mosaic-passkey-sign-in',
          }),
          201,
        ).body as { clientId: string }
      ).clientId;
    });
    after(async () => {
      await server?.close();
    });

    const authorizationUrl = (client: string) =>
      `${server.origin}/acme/oidc/auth?${new URLSearchParams({
        client_id: client,
        redirect_uri: CALLBACK,
        response_type: 'code',
        scope: 'openid profile email',
        state: 'pages',
        code_challenge: createHash('sha256').update('a-verifier-of-at-least-forty-three-characters-long').digest('base64url'),
        code_challenge_method: 'S256',
      }).toString()}`;

    test('an unknown client: an error page in the browser’s language, never a redirect', async () => {
      const device = await WebAuthnPage.open(browser, `${server.origin}/`);
      try {
        const { page } = device;
        const problems = watchPage(page);
        await page.setExtraHTTPHeaders({ 'accept-language': 'de-DE,de;q=0.9' });
        const response = await page.goto(authorizationUrl('kwo_nobody'));
        assert.equal(response?.status(), 400);
        assert.equal(await page.getByRole('heading', { level: 1 }).textContent(), 'Anmeldefehler');
        assert.equal(await page.locator('#error-code').getAttribute('data-error'), 'invalid_client');
        assert.equal(await page.locator('.service-name').textContent(), 'Keyway');
        assert.equal(await page.locator('html').getAttribute('lang'), 'de');
        await checkPage(page, 'error-de');
        assert.deepEqual(problems.problems(), []);
      } finally {
        await device.close();
      }
    });

    test('consent for a third-party client (en, then de), Allow goes on with a code; logout confirmation and signed-out page', async () => {
      const device = await WebAuthnPage.open(browser, `${server.origin}/`);
      try {
        const { page } = device;
        const problems = watchPage(page);
        const authenticator = await device.addVirtualAuthenticator(PLATFORM_AUTHENTICATOR);
        await page.route(`${CALLBACK}**`, (route) => route.fulfill({ status: 200, contentType: 'text/plain', body: 'the client' }));

        // No session: the store's sign-in page, where the user creates an account; then the consent screen.
        await page.goto(authorizationUrl(clientId));
        await page.waitForURL(/\/acme\/identity\/customers\/signin\?/);
        await page.getByRole('link', { name: 'Create an account' }).click();
        await page.getByLabel('Username').fill('consent@example.com');
        await page.getByRole('button', { name: 'Create account with a passkey' }).click();
        await page.waitForURL(/\/acme\/oidc\/interaction\/[^/?]+$/);
        assert.equal(await page.getByRole('heading', { level: 1 }).textContent(), 'Partner app wants to sign you in');
        assert.equal(await page.locator('.service-name').textContent(), 'Customers');
        assert.deepEqual(await page.locator('.consent-scopes li').allTextContents(), [
          'Your identity (a user identifier)',
          'Your name, date of birth, language and time zone',
          'Your e-mail address',
        ]);
        await checkPage(page, 'consent');

        // The language link: the same screen in German.
        await page.getByRole('link', { name: 'Deutsch' }).click();
        await page.waitForURL(/\?lang=de$/);
        assert.equal(await page.getByRole('heading', { level: 1 }).textContent(), 'Partner app möchte Sie anmelden');
        await checkPage(page, 'consent-de');
        await page.getByRole('button', { name: 'Erlauben' }).click();
        await page.waitForURL(`${CALLBACK}?**`);
        const callback = new URL(page.url());
        assert.ok(callback.searchParams.get('code'), page.url());
        assert.equal(callback.searchParams.get('state'), 'pages');

        // RP-initiated logout without a client: the confirmation, then the signed-out page.
        await page.goto(`${server.origin}/acme/oidc/session/end`);
        assert.equal(await page.getByRole('heading', { level: 1 }).textContent(), 'Sign out?');
        await checkPage(page, 'logout');
        await page.getByRole('button', { name: 'Sign out', exact: true }).click();
        await page.waitForURL(/\/acme\/oidc\/session\/end\/success/);
        assert.equal(await page.getByRole('heading', { level: 1 }).textContent(), 'Signed out');
        await checkPage(page, 'signed-out');
        // Signed out for real: the next request for the client asks for a sign-in again (without the authenticator,
        // so no passkey autofill signs in before the page is seen).
        await device.removeVirtualAuthenticator(authenticator);
        await page.goto(authorizationUrl(clientId));
        await page.waitForURL(/\/acme\/identity\/customers\/signin\?/);
        assert.deepEqual(problems.problems(), []);
      } finally {
        await device.close();
      }
    });

    test('a client’s login journey in the hosted runner: only the browser that began the sign-in can run it; the passkey answers a code', async () => {
      const device = await WebAuthnPage.open(browser, `${server.origin}/`);
      const forwarded = await WebAuthnPage.open(browser, `${server.origin}/`);
      try {
        const { page } = device;
        const problems = watchPage(page);
        await device.addVirtualAuthenticator(PLATFORM_AUTHENTICATOR);
        await page.route(`${CALLBACK}**`, (route) => route.fulfill({ status: 200, contentType: 'text/plain', body: 'the client' }));
        // An account with a passkey, then no session: the client's sign-in runs its journey.
        await page.goto(`${server.origin}/acme/identity/customers/signin`);
        await page.getByRole('link', { name: 'Create an account' }).click();
        await page.getByLabel('Username').fill('journey@example.com');
        await page.getByRole('button', { name: 'Create account with a passkey' }).click();
        await page.waitForURL((url) => !url.pathname.endsWith('/signup'));
        await device.context.clearCookies();

        // The interaction sends the browser to the runner with the session in the fragment (the runner takes it out of
        // the address bar at once, so it is read from the redirect).
        const toRunner = page.waitForResponse((response) => /\/acme\/oidc\/interaction\/[^/]+$/.test(new URL(response.url()).pathname));
        await page.goto(authorizationUrl(journeyClientId));
        const runnerLink = new URL((await toRunner).headers()['location']!, server.origin).href;
        assert.match(runnerLink, /\/acme\/journeys\/mosaic-passkey-sign-in\?return_to=.+#session=/);
        const sessionId = new URLSearchParams(new URL(runnerLink).hash.slice(1)).get('session')!;
        const login = page.getByRole('button', { name: 'Sign in with a passkey' });
        await login.waitFor();
        const cookie = (await device.context.cookies()).find((c) => c.name === 'keyway_journey_browser');
        assert.ok(cookie, 'the browser holds the journey cookie');
        assert.equal(cookie.httpOnly, true);
        assert.equal(cookie.path, '/acme/journeys');
        assert.equal(cookie.sameSite, 'Lax');

        // The same link in another browser: its runner cannot read that session (and starts one of its own).
        const refused = forwarded.page.waitForResponse((response) => response.url().endsWith(`/acme/journeys/sessions/${sessionId}`));
        await forwarded.page.goto(runnerLink);
        assert.equal((await refused).status(), 404);
        await forwarded.page.getByRole('button', { name: 'Sign in with a passkey' }).waitFor();

        // The browser that began it signs in with its passkey and continues to the client with a code.
        await login.click();
        await page.getByRole('link', { name: 'Continue' }).click();
        await page.waitForURL(`${CALLBACK}?**`);
        const callback = new URL(page.url());
        assert.ok(callback.searchParams.get('code'), page.url());
        assert.equal(callback.searchParams.get('state'), 'pages');
        assert.deepEqual(problems.problems(), []);
      } finally {
        await forwarded.close();
        await device.close();
      }
    });
  });
}
