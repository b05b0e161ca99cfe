// The hosted sign-up page of a store that asks for a solved sign-up challenge (SecureAuth's "complete the Captcha", as a
// self-hosted proof of work), in Chromium on both databases: @keyway/web is refused SIGN_UP_CHALLENGE_REQUIRED, asks
// for a challenge, solves it with WebCrypto and begins again, so the person only creates their passkey.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { DATABASE_KINDS } from '../packages/server/test/support/databases.ts';
import { launchChromium, PLATFORM_AUTHENTICATOR, WebAuthnPage } from './support/browser.ts';
import { AUTHENTICATION_POLICY, REGISTRATION_POLICY, RP_ID, hostedStoreSuite, watchPage } from './support/hosted-pages.ts';

let browser: Browser;
before(async () => {
  browser = await launchChromium();
});
after(async () => {
  await browser?.close();
});

for (const kind of DATABASE_KINDS) {
  describe(`sign-up challenge on the hosted sign-up page (${kind})`, () => {
    const hosted = hostedStoreSuite(kind);
    before(async () => {
      hosted.store.backend.expect(
        await hosted.store.backend.call('PATCH', '/api/identity-store/stores/customers', {
          selfService: {
            enabled: true,
            relyingPartyId: RP_ID,
            registrationPolicy: REGISTRATION_POLICY,
            authenticationPolicy: AUTHENTICATION_POLICY,
            allowSignUp: true,
            signUpChallenge: true,
          },
        }),
        200,
      );
    });

    test(`the page solves the challenge and signs up (${kind})`, async () => {
      const device = await WebAuthnPage.open(browser, hosted.store.url('signup'));
      try {
        const page = device.page;
        const watch = watchPage(page);
        await device.addVirtualAuthenticator(PLATFORM_AUTHENTICATOR);
        const calls: string[] = [];
        page.on('response', (response) => {
          const path = new URL(response.url()).pathname;
          if (path.includes('/register/')) calls.push(`${response.status()} ${path.slice(path.indexOf('/register/'))}`);
        });
        await page.getByLabel('Username').fill('grace@example.com');
        await page.getByLabel('Display name').fill('Grace Hopper');
        await page.getByRole('button', { name: 'Create account with a passkey' }).click();
        await page.getByText('Signed in as Grace Hopper').waitFor();
        assert.deepEqual(calls, ['400 /register/webauthn/begin', '200 /register/challenge', '200 /register/webauthn/begin', '201 /register/webauthn/finish']);
        assert.deepEqual(watch.problems(), []);
      } finally {
        await device.close();
      }
    });
  });
}
