// The hosted self-service pages in a real browser: Debian Chromium + Chrome's virtual
// authenticator against the real server on both databases. One user's life: sign up → sign out →
// sign in by passkey autofill → usernameless sign-in → add, rename and delete a passkey (with a fresh
// sign-in) → account recovery on a new device through an admin-issued one-time link, which is refused
// a second time and after expiry. Every page is screenshotted (en and de) into test-artifacts/.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { DATABASE_KINDS } from '../packages/server/test/support/databases.ts';
import { base64ToBase64Url, launchChromium, PLATFORM_AUTHENTICATOR, WebAuthnPage } from './support/browser.ts';
import type { VirtualAuthenticatorOptions, VirtualCredential } from './support/browser.ts';
import { recordWebAuthnCalls, screenshot, setUpHostedStore, waitForAutofillDecision, watchPage } from './support/hosted-pages.ts';
import type { HostedStore } from './support/hosted-pages.ts';
import { startSelfServiceServer } from './support/selfservice-server.ts';
import type { SelfServiceServer } from './support/selfservice-server.ts';

const TENANT = 'acme';
const STORE = 'customers';
const IDENTIFIER = 'ada@example.com';
const DISPLAY_NAME = 'Ada Lovelace';

/** A synced (backed-up) passkey on a roaming authenticator: shows as "Synced" on the page. */
const SYNCED_KEY: VirtualAuthenticatorOptions = {
  protocol: 'ctap2',
  ctap2Version: 'ctap2_1',
  transport: 'usb',
  hasResidentKey: true,
  hasUserVerification: true,
  isUserVerified: true,
  defaultBackupEligibility: true,
  defaultBackupState: true,
};

let browser: Browser;
before(async () => {
  browser = await launchChromium();
});
after(async () => {
  await browser?.close();
});

/** The passkeys of a user as the admin API lists them. */
async function serverPasskeys(store: HostedStore, userId: string): Promise<{ credentialId: string; name?: string | null }[]> {
  return (await store.backend.listPasskeys(userId)) as { credentialId: string; name?: string | null }[];
}

async function userIdOf(store: HostedStore, userKey: string): Promise<string> {
  const listed = store.backend.expect(
    await store.backend.call('GET', `/api/identity-store/stores/${STORE}/users?userKey=${encodeURIComponent(userKey)}`),
    200,
  ).body;
  assert.equal(listed.items.length, 1, `one user ${userKey}`);
  return listed.items[0].id;
}

/** GET /me from inside the page (with its cookies): the HTTP status. */
function meStatus(page: Page, base: string): Promise<number> {
  return page.evaluate(async (url) => (await fetch(url, { credentials: 'include' })).status, `${base}/me`);
}

async function sessionCookie(page: WebAuthnPage): Promise<string | undefined> {
  return (await page.context.cookies()).find((c) => c.name === 'keyway_session')?.value;
}

async function waitForPasskeys(page: Page, store: HostedStore, count: number): Promise<void> {
  await page.waitForURL(store.url('passkeys'));
  await page
    .locator('#passkey-list > li')
    .nth(count - 1)
    .waitFor();
  assert.equal(await page.locator('#passkey-list > li').count(), count, `${count} passkey(s) listed`);
}

async function setLanguage(page: WebAuthnPage, acceptLanguage: string): Promise<void> {
  await page.context.setExtraHTTPHeaders({ 'accept-language': acceptLanguage });
}

for (const kind of DATABASE_KINDS) {
  describe(`hosted self-service pages (${kind})`, () => {
    let server: SelfServiceServer;
    let store: HostedStore;
    before(async () => {
      server = await startSelfServiceServer(kind);
      store = await setUpHostedStore(server, TENANT, STORE, 'Acme Customers');
    });
    after(async () => {
      await server?.close();
    });

    test(`sign up, sign out, autofill, usernameless, add/rename/delete, recovery (${kind})`, async () => {
      const device = await WebAuthnPage.open(browser, store.url('signup'));
      try {
        const page = device.page;
        const watch = watchPage(page);
        let platform = await device.addVirtualAuthenticator(PLATFORM_AUTHENTICATOR);
        const calls = await recordWebAuthnCalls(device.context);
        await setLanguage(device, 'en-GB,en;q=0.9');
        await page.reload();

        // ── sign up ──
        assert.equal(await page.locator('html').getAttribute('lang'), 'en');
        await page.getByLabel('Username').fill(IDENTIFIER);
        await page.getByLabel('Display name').fill(DISPLAY_NAME);
        if (kind === 'sqlite') await screenshot(page, 'signup-en');
        await page.getByRole('button', { name: 'Create account with a passkey' }).click();
        await waitForPasskeys(page, store, 1);
        await page.getByText(`Signed in as ${DISPLAY_NAME}`).waitFor();
        const firstCookie = await sessionCookie(device);
        assert.ok(firstCookie, 'sign-up signs the user in (session cookie)');
        const userId = await userIdOf(store, IDENTIFIER);
        const [first] = await serverPasskeys(store, userId);
        assert.ok(first);
        const stored = await device.getCredentials(platform);
        assert.deepEqual(
          stored.map((c) => base64ToBase64Url(c.credentialId)),
          [first.credentialId],
          'the authenticator holds the registered passkey',
        );
        assert.equal(stored[0]!.isResidentCredential, true, 'a discoverable credential (needed for autofill and usernameless sign-in)');
        await page.locator('#passkey-list li .badge.device').waitFor();

        // ── sign out ──
        // With the authenticator away, the sign-in page's autofill request waits (Chrome's virtual authenticator
        // answers a conditional request at once when it holds a discoverable credential, and ignores authenticators
        // added later), so each step below controls when a passkey is offered.
        const platformCredentials = await device.getCredentials(platform);
        await device.removeVirtualAuthenticator(platform);
        await page.getByRole('button', { name: 'Sign out' }).click();
        await page.waitForURL(store.url('signin'));
        assert.equal(await meStatus(page, store.base), 401, 'the session is gone on the server');
        assert.equal(await sessionCookie(device), undefined, 'the cookie is cleared');
        await page.getByLabel('Username').focus();
        if (kind === 'sqlite') await screenshot(page, 'signin-en');
        if (kind === 'sqlite') {
          await page.emulateMedia({ colorScheme: 'dark' });
          await screenshot(page, 'signin-dark-en');
          await page.emulateMedia({ colorScheme: 'light' });
        }
        // My passkeys without a session: a way to sign in that comes back here.
        await page.goto(store.url('passkeys'));
        await page.getByText('Please sign in to manage your passkeys.').waitFor();
        if (kind === 'sqlite') await screenshot(page, 'passkeys-signed-out-en');
        await page.getByRole('link', { name: 'Sign in' }).click();
        await page.waitForURL(`${store.url('signin')}?return_to=${encodeURIComponent(`/${TENANT}/identity/${STORE}/passkeys`)}`);

        // ── sign in by autofill ──
        // The page arms a conditional request on load (getClientCapabilities says conditionalGet); the virtual
        // authenticator answers it as a user picking the passkey from the username field's suggestions would.
        platform = await device.addVirtualAuthenticator(PLATFORM_AUTHENTICATOR);
        for (const credential of platformCredentials) await device.addCredential(platform, credential);
        calls.length = 0;
        await page.reload();
        await waitForPasskeys(page, store, 1);
        assert.deepEqual(calls, [{ method: 'get', mediation: 'conditional', descriptors: 0 }], 'one conditional (autofill) request, nothing modal');
        const autofillCookie = await sessionCookie(device);
        assert.ok(autofillCookie && autofillCookie !== firstCookie, 'a new session cookie after sign-in');
        assert.equal(await meStatus(page, store.base), 200);
        await page.locator('#passkey-list li .badge.current').waitFor();

        /** Signs out with the authenticator away, so the sign-in page does not autofill; brings it back. */
        const signOutQuietly = async () => {
          const credentials = await device.getCredentials(platform);
          await device.removeVirtualAuthenticator(platform);
          await page.getByRole('button', { name: 'Sign out' }).click();
          await page.waitForURL(store.url('signin'));
          // Without an authenticator Chrome reports no conditionalGet capability, so the page does not arm autofill.
          assert.equal(await waitForAutofillDecision(page), 'unavailable');
          platform = await device.addVirtualAuthenticator(PLATFORM_AUTHENTICATOR);
          for (const credential of credentials) await device.addCredential(platform, credential);
          calls.length = 0;
        };

        // ── usernameless: the "Sign in with a passkey" button, while autofill waits ──
        // The authenticator stays but lends its passkey out, so the page arms autofill and the request waits; the
        // button must replace it with a modal request (the SDK aborts autofill first: one WebAuthn request at a time).
        const [lent] = await device.getCredentials(platform);
        await device.removeCredential(platform, lent!.credentialId);
        calls.length = 0;
        await page.getByRole('button', { name: 'Sign out' }).click();
        await page.waitForURL(store.url('signin'));
        assert.equal(await waitForAutofillDecision(page), 'armed');
        await page.waitForFunction(() => ((window as unknown as { keywayWebAuthnCalls?: unknown[] }).keywayWebAuthnCalls ?? []).length === 1);
        await device.addCredential(platform, lent!);
        await page.getByRole('button', { name: 'Sign in with a passkey' }).click();
        await waitForPasskeys(page, store, 1);
        assert.deepEqual(
          calls,
          [
            { method: 'get', mediation: 'conditional', descriptors: 0 },
            { method: 'get', mediation: 'modal', descriptors: 0 },
          ],
          'autofill was waiting; the button replaced it with a modal, usernameless request (no allowCredentials)',
        );
        assert.equal(await meStatus(page, store.base), 200);

        // ── identifier-first, by keyboard only: type the username, press Enter ──
        await signOutQuietly();
        await page.keyboard.press('Tab'); // the skip link comes first
        await page.keyboard.press('Enter');
        await page.keyboard.press('Tab');
        assert.equal(await page.evaluate(() => document.activeElement?.id), 'identifier', 'Tab from the main region reaches the username field');
        await page.keyboard.press('Enter');
        await page.getByText('Please enter your username.').waitFor();
        assert.equal(await page.getByLabel('Username').getAttribute('aria-invalid'), 'true', 'the empty field is marked invalid');
        if (kind === 'sqlite') await screenshot(page, 'signin-error-en');
        await page.keyboard.type(IDENTIFIER);
        await page.keyboard.press('Enter');
        await waitForPasskeys(page, store, 1);
        // The user's one passkey, padded with decoys to the identifier's stable minimum count (1 to 8; no enumeration by count).
        assert.deepEqual(
          calls.map((c) => ({ ...c, descriptors: Math.min(1, c.descriptors) })),
          [{ method: 'get', mediation: 'modal', descriptors: 1 }],
          'a modal request for the user’s passkey',
        );
        assert.ok(calls[0]!.descriptors <= 8);

        // ── add a second passkey on another authenticator (the first one would be excluded: excludeCredentials) ──
        const saved: VirtualCredential[] = await device.getCredentials(platform);
        await device.removeVirtualAuthenticator(platform);
        const roaming = await device.addVirtualAuthenticator(SYNCED_KEY);
        await page.getByRole('button', { name: 'Add a passkey' }).click();
        await waitForPasskeys(page, store, 2);
        await page.getByText('Passkey added.').waitFor();
        await page.locator('#passkey-list li .badge.synced').waitFor();
        assert.deepEqual(
          await page.locator('#passkey-list li svg.icon').evaluateAll((icons) => icons.map((i) => (i as SVGElement).dataset.kind)),
          ['device', 'synced'],
          'built-in icons by kind (the virtual authenticators have no metadata icon)',
        );
        const [second] = (await device.getCredentials(roaming)).map((c) => base64ToBase64Url(c.credentialId));
        assert.ok(second);
        assert.deepEqual((await serverPasskeys(store, userId)).map((p) => p.credentialId).sort(), [first.credentialId, second].sort());
        // The platform authenticator comes back with its passkey.
        const platformAgain = await device.addVirtualAuthenticator(PLATFORM_AUTHENTICATOR);
        for (const credential of saved) await device.addCredential(platformAgain, credential);

        // ── rename the second passkey ──
        const secondItem = page.locator(`#passkey-list li[data-id="${second}"]`);
        await secondItem.getByRole('button', { name: /^Rename/ }).click();
        const nameField = secondItem.getByLabel(/^New name for/);
        await nameField.fill('Work security key');
        if (kind === 'sqlite') await screenshot(page, 'passkeys-rename-en');
        await secondItem.getByRole('button', { name: 'Save' }).click();
        await page.getByText('Passkey renamed to Work security key.').waitFor();
        await page.locator(`#passkey-list li[data-id="${second}"] h3`, { hasText: 'Work security key' }).waitFor();
        assert.equal((await serverPasskeys(store, userId)).find((p) => p.credentialId === second)?.name, 'Work security key');
        await screenshot(page, `passkeys-en-${kind}`);

        // ── delete it: the sign-in is no longer fresh, so the page asks for a passkey first ──
        server.clock.advance(6 * 60_000);
        const before = await sessionCookie(device);
        await page.locator(`#passkey-list li[data-id="${second}"]`).getByRole('button', { name: 'Delete Work security key' }).click();
        await page.getByRole('group').getByText('Delete the passkey Work security key?').waitFor();
        if (kind === 'sqlite') await screenshot(page, 'passkeys-confirm-delete-en');
        await page.getByRole('group').getByRole('button', { name: 'Delete' }).click();
        await page.getByText('Passkey Work security key deleted.').waitFor();
        await waitForPasskeys(page, store, 1);
        assert.notEqual(await sessionCookie(device), before, 'the fresh sign-in rotated the session');
        assert.deepEqual(
          (await serverPasskeys(store, userId)).map((p) => p.credentialId),
          [first.credentialId],
          'the passkey is deleted on the server',
        );
        // Signal API: the page told the passkey provider the accepted list; Chrome's authenticator dropped the deleted passkey.
        assert.deepEqual(await device.getCredentials(roaming), [], 'signalAllAcceptedCredentials removed the deleted passkey from its authenticator');
        assert.equal((await device.getCredentials(platformAgain)).length, 1, 'and kept the accepted one');
        // Never the last one.
        assert.equal(
          await page
            .locator('#passkey-list li')
            .getByRole('button', { name: /^Delete/ })
            .isDisabled(),
          true,
          'the only passkey cannot be deleted',
        );
        await page.getByText('This is your only passkey.').first().waitFor();

        await page.goto(`${server.origin}/${TENANT}/identity/no-such-store/signin`);
        await page.getByRole('heading', { name: 'Page not found' }).waitFor();
        if (kind === 'sqlite') await screenshot(page, 'not-found-en');

        // ── German ──
        await setLanguage(device, 'de-DE,de;q=0.9,en;q=0.5');
        await page.goto(store.url('passkeys'));
        await page.getByText(`Angemeldet als ${DISPLAY_NAME}`).waitFor();
        assert.equal(await page.locator('html').getAttribute('lang'), 'de');
        if (kind === 'sqlite') {
          await screenshot(page, 'passkeys-de');
          // A phone-sized viewport: nothing may overflow horizontally.
          await page.setViewportSize({ width: 360, height: 740 });
          assert.equal(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), true, 'no horizontal scrolling at 360 px');
          const overflowing = await page.evaluate(() =>
            [...document.querySelectorAll('.passkey *')]
              .filter((el) => el.getBoundingClientRect().right > el.closest('.passkey')!.getBoundingClientRect().right + 0.5)
              .map((el) => el.textContent),
          );
          assert.deepEqual(overflowing, [], 'nothing sticks out of a passkey card');
          await screenshot(page, 'passkeys-mobile-de');
          await page.setViewportSize({ width: 1280, height: 720 });
        }
        await page.goto(store.url('signup'));
        await page.getByLabel('Benutzername').waitFor();
        if (kind === 'sqlite') await screenshot(page, 'signup-de');
        await page.goto(store.url('signin'));
        await page.getByRole('button', { name: 'Mit einem Passkey anmelden' }).waitFor();
        if (kind === 'sqlite') await screenshot(page, 'signin-de');
        assert.deepEqual(watch.problems(), [], 'no CSP violation or uncaught error on any page');

        // ── account recovery on a new device, through a one-time link from the admin API ──
        const link = store.backend.expect(await store.backend.call('POST', `/api/identity-store/stores/${STORE}/users/${userId}/recovery-links`, {}), 201).body;
        assert.ok(link.url.startsWith(`${store.base}/recover#`), `the link opens the hosted recovery page: ${link.url}`);
        const phone = await WebAuthnPage.open(browser, link.url);
        try {
          const phonePage = phone.page;
          const phoneWatch = watchPage(phonePage);
          const phoneAuthenticator = await phone.addVirtualAuthenticator(PLATFORM_AUTHENTICATOR);
          await phonePage.reload();
          await phonePage.locator('#recover-account', { hasText: `${DISPLAY_NAME} (${IDENTIFIER})` }).waitFor();
          if (kind === 'sqlite') await screenshot(phonePage, 'recover-en');
          await phonePage.getByLabel(/^Remove all my other passkeys/).check();
          await phonePage.getByRole('button', { name: 'Create a new passkey' }).click();
          await waitForPasskeys(phonePage, store, 1);
          const [recovered] = (await phone.getCredentials(phoneAuthenticator)).map((c) => base64ToBase64Url(c.credentialId));
          assert.deepEqual(
            (await serverPasskeys(store, userId)).map((p) => p.credentialId),
            [recovered],
            'the new passkey replaced the others',
          );
          assert.equal(await meStatus(phonePage, store.base), 200, 'recovery signs the user in');
          assert.equal(await meStatus(page, store.base), 401, 'revoking the others ended the old device’s session');

          // The same link a second time: refused, and nothing changes.
          await phonePage.goto(link.url);
          await phonePage.getByText('This recovery link has already been used or no longer works. Ask for a new one.').waitFor();
          assert.equal(await phonePage.locator('#recover-form').isVisible(), false, 'no form for a spent link');
          if (kind === 'sqlite') await screenshot(phonePage, 'recover-used-en');

          // A link past its lifetime: refused (German this time).
          const short = store.backend.expect(
            await store.backend.call('POST', `/api/identity-store/stores/${STORE}/users/${userId}/recovery-links`, { ttlSeconds: 60 }),
            201,
          ).body;
          server.clock.advance(61_000);
          await setLanguage(phone, 'de');
          await phonePage.goto(short.url);
          await phonePage.getByText('Dieser Wiederherstellungslink ist abgelaufen. Fordern Sie einen neuen an.').waitFor();
          if (kind === 'sqlite') await screenshot(phonePage, 'recover-expired-de');
          // A fresh link in German, for the screenshot of the form.
          const fresh = store.backend.expect(
            await store.backend.call('POST', `/api/identity-store/stores/${STORE}/users/${userId}/recovery-links`, {}),
            201,
          ).body;
          await phonePage.goto(fresh.url);
          await phonePage.getByRole('button', { name: 'Neuen Passkey erstellen' }).waitFor();
          if (kind === 'sqlite') await screenshot(phonePage, 'recover-de');
          assert.deepEqual(
            (await serverPasskeys(store, userId)).map((p) => p.credentialId),
            [recovered],
            'refused links changed nothing',
          );
          assert.deepEqual(phoneWatch.problems(), []);
        } catch (error) {
          await screenshot(phone.page, `failure-recovery-${kind}`).catch(() => undefined);
          throw error;
        } finally {
          await phone.close();
        }
      } catch (error) {
        await screenshot(device.page, `failure-${kind}`).catch(() => undefined);
        throw error;
      } finally {
        await device.close();
      }
    });
  });
}
