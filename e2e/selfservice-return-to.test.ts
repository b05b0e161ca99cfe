// `return_to` in a real browser (Debian Chromium, virtual authenticator), on both databases: a sign-up and then one
// real passkey sign-in per value of the bypass table, each through the hosted sign-in page's own redirect; the page
// the browser ends on is always Keyway's (the default page for every bypass form, the named page for a path of ours).
// Any request to another origin is answered by a stub, so a redirect that escaped shows as that origin. The rule
// itself (hosted/src/return-to.ts, which the journey runner's success link uses too) is then run in the page.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { RETURN_TO_BYPASSES } from '../packages/hosted/test/return-to-bypasses.ts';
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

// C0 and C1 control characters (TAB, CR, LF and NUL among them), which no request to Keyway may carry.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/** Waits until the page has left `from` (the redirect after the sign-in) and answers where it ended up. */
async function landing(page: Page, from: string): Promise<URL> {
  await page.waitForURL((url) => url.pathname !== new URL(from).pathname || url.origin !== new URL(from).origin, { timeout: 15_000 });
  await page.waitForLoadState('load');
  return new URL(page.url());
}

for (const kind of DATABASE_KINDS) {
  describe(`return_to after a passkey sign-in in Chromium (${kind})`, () => {
    const hosted = hostedStoreSuite(kind);

    test(`every bypass form ends on Keyway's default page; a path of ours is followed (${kind})`, async () => {
      const signUp = `${hosted.store.url('signup')}?return_to=${encodeURIComponent('/.//evil.example/phish')}`;
      const device = await WebAuthnPage.open(browser, signUp);
      try {
        const page = device.page;
        const watch = watchPage(page);
        const escaped: string[] = [];
        await device.context.route(
          (url) => url.origin !== hosted.server.origin,
          (route) => {
            escaped.push(route.request().url());
            return route.fulfill({ status: 200, contentType: 'text/html', body: '<!doctype html><title>elsewhere</title>' });
          },
        );
        await device.addVirtualAuthenticator(PLATFORM_AUTHENTICATOR);
        await page.reload();

        // Sign-up redirects through the same rule.
        await page.getByLabel('Username').fill('ada@example.com');
        await page.getByRole('button', { name: 'Create account with a passkey' }).click();
        assert.equal((await landing(page, signUp)).href, hosted.store.url('passkeys'));

        const values = [
          ...RETURN_TO_BYPASSES,
          `http://localhost:${new URL(hosted.server.origin).port}@evil.example/`,
          `//localhost:${new URL(hosted.server.origin).port}@evil.example`,
        ];
        const expected = new Map<string, string>(values.map((value) => [value, hosted.store.url('passkeys')]));
        expected.set('/acme/identity/customers/passkeys?tab=devices#list', `${hosted.store.url('passkeys')}?tab=devices#list`);
        expected.set('/acme/identity/customers/x/../passkeys', hosted.store.url('passkeys'));
        const wrong: string[] = [];
        for (const [value, target] of expected) {
          // A fresh rate-limit window for each sign-in (the clock is the server's; the table is longer than a minute's allowance).
          hosted.server.clock.advance(61_000);
          const signIn = `${hosted.store.url('signin')}?return_to=${encodeURIComponent(value)}`;
          if (CONTROL.test(value)) {
            // A query carrying a control character never reaches the page: Keyway's one text rule refuses the
            // request (400 VALIDATION_FAILED) before any handler runs, so nothing is served that could redirect.
            const refused = await fetch(signIn);
            const body = (await refused.json()) as { code?: string };
            if (refused.status !== 400 || body.code !== 'VALIDATION_FAILED') wrong.push(`${JSON.stringify(value)} → ${refused.status} ${body.code}`);
            continue;
          }
          await page.goto(signIn);
          // The authenticator holds a discoverable passkey, so the page's autofill request signs in at once.
          const landed = await landing(page, signIn);
          if (landed.origin !== hosted.server.origin || landed.href !== target) wrong.push(`${JSON.stringify(value)} → ${landed.href}`);
        }
        assert.deepEqual(wrong, [], 'every sign-in ended on the expected page of Keyway');

        // The same rule as the page runs it (the served module, Chromium's URL parser), for the journey runner's
        // success link too: every bypass form refused, a path of ours kept.
        const moduleUrl = (await page.locator('script[type="module"]').first().getAttribute('src'))!.replace(/[^/]+\.js$/, 'return-to.js');
        const decided = await page.evaluate(
          async ({ url, inputs }) => {
            const { safeReturnTo } = (await import(url)) as { safeReturnTo(value: string, origin: string): string | undefined };
            return inputs.map((value) => safeReturnTo(value, location.origin) ?? null);
          },
          { url: moduleUrl, inputs: [...values, '/acme/identity/customers/passkeys'] },
        );
        assert.deepEqual(decided, [...values.map(() => null), hosted.store.url('passkeys')]);
        assert.deepEqual(escaped, [], 'no request left for another origin');
        assert.deepEqual(watch.problems(), []);
      } finally {
        await device.close();
      }
    });
  });
}
