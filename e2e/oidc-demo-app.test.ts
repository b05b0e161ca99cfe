// "Sign in with Keyway" through the demo application (examples/demo-app, openid-client as the relying party), in
// Chromium with a virtual authenticator, on both databases: sign-up with a passkey on Keyway's hosted page → the
// claims on the demo's page; a second application of the same tenant signs in silently (SSO); prompt=login asks for
// the passkey again; logout from one application ends the session for both; login_hint pre-fills the username.
import assert from 'node:assert/strict';
import type { Server as HttpServer } from 'node:http';
import { after, before, describe, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { DATABASE_KINDS } from '../packages/server/test/support/databases.ts';
import { startDemoApp } from '../examples/demo-app/src/demo-app.ts';
import { arrive, launchChromium, PLATFORM_AUTHENTICATOR, WebAuthnPage } from './support/browser.ts';
import { setUpHostedStore } from './support/hosted-pages.ts';
import { freePort, startSelfServiceServer, type SelfServiceServer } from './support/selfservice-server.ts';

let browser: Browser;
before(async () => {
  browser = await launchChromium();
});
after(async () => {
  await browser?.close();
});

for (const kind of DATABASE_KINDS) {
  describe(`OpenID Connect through the demo application, in Chromium (${kind})`, () => {
    let server: SelfServiceServer;
    const apps: HttpServer[] = [];
    let first: string;
    let second: string;

    before(async () => {
      server = await startSelfServiceServer(kind);
      const hosted = await setUpHostedStore(server, 'acme', 'customers', 'Customers');
      const issuer = `${server.origin}/acme`;
      for (const title of ['Demo one', 'Demo two']) {
        const port = await freePort();
        const baseUrl = `http://localhost:${port}`;
        // The second is a public client: openid-client knows nothing but the issuer, the client id and the redirect URI.
        const created = hosted.backend.expect(
          await hosted.backend.call('POST', '/api/oidc/clients', {
            name: title,
            store: 'customers',
            redirectUris: [`${baseUrl}/callback`],
            postLogoutRedirectUris: [`${baseUrl}/`],
            firstParty: true,
            public: title === 'Demo two',
          }),
          201,
        ).body as { clientId: string; clientSecret?: string };
        assert.equal(created.clientSecret === undefined, title === 'Demo two');
        apps.push(await startDemoApp({ issuer, clientId: created.clientId, clientSecret: created.clientSecret, baseUrl, title, allowHttp: true }, port));
        if (title === 'Demo one') first = baseUrl;
        else second = baseUrl;
      }
    });
    after(async () => {
      for (const app of apps) await new Promise((resolve) => app.close(resolve));
      await server?.close();
    });

    test('sign-up with a passkey → claims; SSO into a second application; prompt=login asks again; logout ends both; login_hint pre-fills', async () => {
      const device = await WebAuthnPage.open(browser, `${first}/`);
      try {
        const { page } = device;
        const authenticator = await device.addVirtualAuthenticator(PLATFORM_AUTHENTICATOR);
        const visited: string[] = [];
        page.on('framenavigated', (frame) => {
          if (frame === page.mainFrame()) visited.push(frame.url());
        });

        // Sign up on Keyway's hosted page, starting from the demo application.
        await page.getByRole('link', { name: 'Sign in with Keyway' }).click();
        await page.waitForURL(/\/acme\/identity\/customers\/signin\?/);
        await page.getByRole('link', { name: 'Create an account' }).click();
        await page.waitForURL(/\/acme\/identity\/customers\/signup\?return_to=/);
        await page.getByLabel('Username').fill('ada@example.com');
        await page.getByRole('button', { name: 'Create account with a passkey' }).click();
        await arrive(page, `${first}/`);
        assert.match((await page.locator('#signed-in').textContent()) ?? '', /Signed in as ada@example\.com/);
        const sub = await page.locator('td[data-claim="sub"]').textContent();
        assert.ok(sub && sub.length > 0);
        assert.equal(await page.locator('td[data-claim="acr"]').textContent(), 'urn:keyway:acr:passkey');
        assert.match((await page.locator('#id-token-payload').textContent()) ?? '', new RegExp(`"iss": "${server.origin}/acme"`));
        assert.equal((await device.getCredentials(authenticator)).length, 1);

        // The second application: no sign-in page, no passkey ceremony.
        visited.length = 0;
        await page.goto(`${second}/`);
        await page.getByRole('link', { name: 'Sign in with Keyway' }).click();
        await arrive(page, `${second}/`);
        assert.equal(await page.locator('td[data-claim="sub"]').textContent(), sub);
        assert.deepEqual(
          visited.filter((url) => url.includes('/identity/customers/')),
          [],
          'signed in silently',
        );
        assert.equal((await device.getCredentials(authenticator))[0]?.signCount, 1, 'no new passkey use');

        // prompt=login: the sign-in page again, where the passkey signs in by autofill (Chrome's virtual
        // authenticator answers the page's conditional request at once, as a user picking it would).
        visited.length = 0;
        await page.goto(`${first}/login?prompt=login`);
        await arrive(page, `${first}/`);
        assert.ok(
          visited.some((url) => url.includes('/acme/identity/customers/signin?')),
          visited.join(' '),
        );
        assert.equal(await page.locator('td[data-claim="sub"]').textContent(), sub);
        assert.equal((await device.getCredentials(authenticator))[0]?.signCount, 2, 'the passkey was used again');

        // Logout from the first application ends Keyway's session: the second cannot sign in silently any more.
        await page.getByRole('button', { name: 'Sign out' }).click();
        await page.waitForURL(/\/acme\/oidc\/session\/end/);
        await page.getByRole('button', { name: 'Sign out' }).click();
        await arrive(page, `${first}/`);
        assert.equal(await page.getByRole('link', { name: 'Sign in with Keyway' }).count(), 1);
        await page.goto(`${second}/login?prompt=none`);
        await page.waitForURL(new RegExp(`^${second}/callback`));
        assert.match((await page.locator('#sign-in-error').textContent()) ?? '', /login_required/);

        // login_hint pre-fills the username on the sign-in page (without an authenticator, so nothing signs in by
        // autofill before the field is read; data-autofill is set once the page's script has run).
        await device.removeVirtualAuthenticator(authenticator);
        await page.goto(`${second}/login?login_hint=${encodeURIComponent('ada@example.com')}`);
        await page.waitForURL(/\/acme\/identity\/customers\/signin\?/);
        await page.locator('#identifier[data-autofill]').waitFor();
        assert.equal(await page.getByLabel('Username').inputValue(), 'ada@example.com');
      } finally {
        await device.close();
      }
    });
  });
}
