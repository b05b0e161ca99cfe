// The hosted sign-in page signs a browser in once per visit. Chrome's virtual authenticator answers the page's
// autofill request at once, so a click on "Sign in with a passkey" can land while that sign-in finishes, or after it
// while the page is leaving. A second sign-in would end the first's session (the server rotates the browser's
// session); when its answer, with the new cookie, is cut off by the navigation, My passkeys comes up signed out.
// Each case holds one request of the browser to put the click exactly there.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page, Route } from 'playwright-core';
import { DATABASE_KINDS } from '../packages/server/test/support/databases.ts';
import { launchChromium, PLATFORM_AUTHENTICATOR, WebAuthnPage } from './support/browser.ts';
import { hostedStoreSuite, watchPage } from './support/hosted-pages.ts';

let browser: Browser;
before(async () => {
  browser = await launchChromium();
});
after(async () => {
  await browser?.close();
});

/** Holds the first request of the page to `url` until `release`; later ones go through. */
async function holdFirst(page: Page, url: string): Promise<{ held: Promise<void>; release(): Promise<void> }> {
  let heldRoute: Route | undefined;
  let arrived!: () => void;
  const held = new Promise<void>((resolve) => (arrived = resolve));
  await page.route(url, async (route) => {
    if (heldRoute) return route.continue();
    heldRoute = route;
    arrived();
  });
  return { held, release: () => heldRoute!.continue() };
}

/** The sign-in requests the page's scripts have sent so far (recorded in the page as fetch is called). */
function signInRequests(page: Page): Promise<string[]> {
  return page.evaluate(() => (window as unknown as { keywaySignInRequests: string[] }).keywaySignInRequests);
}

for (const kind of DATABASE_KINDS) {
  describe(`the sign-in page signs in once (${kind})`, () => {
    const hosted = hostedStoreSuite(kind);

    /** A browser with a platform authenticator whose user `name` signed up (and is signed in). */
    async function signedUp(name: string): Promise<{ device: WebAuthnPage; userId: string }> {
      const device = await WebAuthnPage.open(browser, `${hosted.server.origin}/healthz`);
      await device.addVirtualAuthenticator(PLATFORM_AUTHENTICATOR);
      await device.context.addInitScript(() => {
        const page = window as unknown as { keywaySignInRequests: string[] };
        page.keywaySignInRequests = [];
        const send = window.fetch.bind(window);
        window.fetch = (input, init) => {
          const path = new URL(input instanceof Request ? input.url : String(input), location.href).pathname;
          if (path.includes('/login/')) page.keywaySignInRequests.push(path.slice(path.indexOf('/login/')));
          return send(input, init);
        };
      });
      await device.page.goto(hosted.store.url('signup'));
      await device.page.getByLabel('Username').fill(`${name}@example.com`);
      await device.page.getByLabel('Display name').fill(name);
      await device.page.getByRole('button', { name: 'Create account with a passkey' }).click();
      await device.page.getByText(`Signed in as ${name}`).waitFor();
      const users = hosted.store.backend.expect(
        await hosted.store.backend.call('GET', `/api/identity-store/stores/customers/users?userKey=${encodeURIComponent(`${name}@example.com`)}`),
        200,
      ).body.items as { id: string }[];
      return { device, userId: users[0]!.id };
    }

    async function liveSessions(userId: string): Promise<number> {
      return hosted.store.backend.expect(await hosted.store.backend.call('GET', `/api/identity-store/stores/customers/users/${userId}/sessions`), 200).body
        .items.length;
    }

    test('a click while the autofill sign-in finishes waits for it: one sign-in, and My passkeys is signed in', async () => {
      const { device, userId } = await signedUp('Ada');
      try {
        const page = device.page;
        const { problems } = watchPage(page);
        const finish = await holdFirst(page, `${hosted.store.base}/login/webauthn/finish`);
        // Signing out lands on the sign-in page, whose autofill request the authenticator answers at once.
        await page.getByRole('button', { name: 'Sign out' }).click();
        await finish.held;
        const button = page.getByRole('button', { name: 'Sign in with a passkey' });
        await button.click();
        assert.equal(await button.getAttribute('aria-busy'), 'true', 'the click started a sign-in');
        assert.deepEqual(await signInRequests(page), ['/login/webauthn/options', '/login/webauthn/finish'], 'it waits for the autofill sign-in; no second one');
        await finish.release();
        await page.waitForURL(hosted.store.url('passkeys'));
        await page.getByText('Signed in as Ada').waitFor();
        assert.equal(await liveSessions(userId), 1, 'one sign-in: one live session');
        assert.deepEqual(problems(), []);
      } finally {
        await device.close();
      }
    });

    test('a click after the sign-in, while the page leaves, starts nothing', async () => {
      const { device, userId } = await signedUp('Bea');
      try {
        const page = device.page;
        const { problems } = watchPage(page);
        // The page leaving (beforeunload, once the sign-in sent it on to My passkeys) is the moment: the user's click
        // lands on the button then, and the page notes (in this tab's sessionStorage) whether it started a sign-in.
        await device.context.addInitScript(() => {
          if (!location.pathname.endsWith('/signin')) return;
          addEventListener('beforeunload', () => {
            const button = document.getElementById('passkey-button')!;
            button.click();
            sessionStorage.setItem('clicked-while-leaving', button.getAttribute('aria-busy') === 'true' ? 'started a sign-in' : 'nothing');
          });
        });
        await page.getByRole('button', { name: 'Sign out' }).click();
        // Back on My passkeys once the sign-in page noted the click (My passkeys of before the sign-out says the same).
        const noted = await page.waitForFunction(() => location.pathname.endsWith('/passkeys') && sessionStorage.getItem('clicked-while-leaving'));
        assert.equal(await noted.jsonValue(), 'nothing', 'the click while leaving started no sign-in');
        await page.getByText('Signed in as Bea').waitFor();
        assert.equal(await liveSessions(userId), 1, 'one sign-in: one live session');
        assert.deepEqual(problems(), []);
      } finally {
        await device.close();
      }
    });
  });
}
