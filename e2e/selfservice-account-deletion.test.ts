// A user deletes their own account on the hosted "Your passkeys" page, in Debian Chromium with Chrome's virtual
// authenticator against the real server on both databases: sign up, open the page's "Delete your account" section,
// open its confirmation panel and delete by keyboard only (focus on Cancel first, Escape closes, Shift+Tab and Enter
// delete); the sign-in is then older than 5 minutes, so the page confirms it is the user with a passkey first. After:
// the page says so and links to sign-up and sign-in, the account is gone on the server, the session is over, the
// passkey provider was told the account accepts no passkey (Signal API), and the identifier signs up again. axe checks
// the page closed, open and after; screenshots (light, dark, 360 px, German) go to test-artifacts/.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { DATABASE_KINDS } from '../packages/server/test/support/databases.ts';
import { axeViolations } from './support/axe.ts';
import { launchChromium, PLATFORM_AUTHENTICATOR, WebAuthnPage } from './support/browser.ts';
import { hostedStoreSuite, screenshot, watchPage } from './support/hosted-pages.ts';

const IDENTIFIER = 'grace@example.com';
const DISPLAY_NAME = 'Grace Hopper';

let browser: Browser;
before(async () => {
  browser = await launchChromium();
});
after(async () => {
  await browser?.close();
});

/** The id of the focused element. */
function focused(page: Page): Promise<string | undefined> {
  return page.evaluate(() => document.activeElement?.id);
}

/** Screenshots of the page as it is now: light, dark, and a phone's width (nothing may overflow it). */
async function screenshots(page: Page, name: string): Promise<void> {
  await screenshot(page, `${name}-light`);
  await page.emulateMedia({ colorScheme: 'dark' });
  await screenshot(page, `${name}-dark`);
  assert.deepEqual(await axeViolations(page), [], `${name} in dark mode`);
  await page.emulateMedia({ colorScheme: 'light' });
  await page.setViewportSize({ width: 360, height: 740 });
  assert.equal(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), true, `${name}: no horizontal scrolling at 360 px`);
  await screenshot(page, `${name}-360`);
  await page.setViewportSize({ width: 1280, height: 720 });
}

for (const kind of DATABASE_KINDS) {
  describe(`hosted account deletion (${kind})`, () => {
    const hosted = hostedStoreSuite(kind);

    async function usersNamed(userKey: string): Promise<{ id: string }[]> {
      const answer = await hosted.store.backend.call('GET', `/api/identity-store/stores/customers/users?userKey=${encodeURIComponent(userKey)}`);
      return hosted.store.backend.expect(answer, 200).body.items as { id: string }[];
    }

    test('sign up, delete the account through the confirmation panel by keyboard (after a fresh sign-in), sign up again', async () => {
      const device = await WebAuthnPage.open(browser, `${hosted.server.origin}/healthz`);
      try {
        const page = device.page;
        const watch = watchPage(page);
        const platform = await device.addVirtualAuthenticator(PLATFORM_AUTHENTICATOR);
        await device.context.setExtraHTTPHeaders({ 'accept-language': 'en-GB,en;q=0.9' });
        await page.goto(hosted.store.url('signup'));
        await page.getByLabel('Username').fill(IDENTIFIER);
        await page.getByLabel('Display name').fill(DISPLAY_NAME);
        await page.getByRole('button', { name: 'Create account with a passkey' }).click();
        await page.getByText(`Signed in as ${DISPLAY_NAME}`).waitFor();
        await page.locator('#passkey-list > li').first().waitFor();
        const [user] = await usersNamed(IDENTIFIER);
        assert.ok(user);
        assert.equal((await device.getCredentials(platform)).length, 1);

        // ── the section, at the bottom of the page ──
        const section = page.getByRole('region', { name: 'Delete your account' });
        await section.waitFor();
        const opener = section.getByRole('button', { name: 'Delete account…' });
        assert.equal(await page.locator('#delete-account-panel').isVisible(), false, 'the confirmation is closed at first');
        assert.deepEqual(await axeViolations(page), []);
        if (kind === 'sqlite') await screenshots(page, 'account-delete-en');

        // ── open the confirmation by keyboard: focus on Cancel, the safe choice; Escape closes it ──
        await opener.focus();
        await page.keyboard.press('Enter');
        const panel = page.getByRole('group', { name: 'Delete your account for good?' });
        await panel.waitFor();
        assert.equal(await focused(page), 'delete-account-cancel');
        assert.equal(await opener.isVisible(), false, 'the opener makes way for the panel');
        for (const consequence of [
          'All your passkeys are deleted: you can no longer sign in with them.',
          'You are signed out here and from every application that uses this sign-in.',
          'This cannot be undone.',
        ])
          await panel.getByText(consequence).waitFor();
        assert.equal(await panel.getAttribute('aria-describedby'), 'delete-account-consequences', 'the group is described by what happens');
        await page.keyboard.press('Escape');
        await panel.waitFor({ state: 'hidden' });
        assert.equal(await focused(page), 'delete-account-open', 'Escape returns to the opener');
        await page.keyboard.press('Enter');
        await panel.waitFor();
        assert.deepEqual(await axeViolations(page), []);
        if (kind === 'sqlite') {
          await screenshots(page, 'account-delete-confirm-en');
          // German, the longest texts, at a phone's width.
          await device.context.setExtraHTTPHeaders({ 'accept-language': 'de-DE,de;q=0.9' });
          await page.reload();
          await page.getByRole('button', { name: 'Konto löschen …' }).click();
          await page.getByRole('group', { name: 'Ihr Konto endgültig löschen?' }).waitFor();
          await page.setViewportSize({ width: 360, height: 740 });
          assert.deepEqual(await axeViolations(page), []);
          await screenshot(page, 'account-delete-confirm-de-360');
          await page.setViewportSize({ width: 1280, height: 720 });
          await device.context.setExtraHTTPHeaders({ 'accept-language': 'en-GB,en;q=0.9' });
          await page.reload();
          await opener.focus();
          await page.keyboard.press('Enter');
          await panel.waitFor();
        }

        // ── the sign-in is now older than 5 minutes: "Delete my account" first confirms with a passkey ──
        hosted.server.clock.advance(6 * 60_000);
        const gets: string[] = [];
        page.on('request', (request) => {
          if (request.method() === 'POST' && request.url().includes('/login/webauthn/')) gets.push(new URL(request.url()).pathname.split('/').pop()!);
        });
        await page.keyboard.press('Shift+Tab');
        assert.equal(await focused(page), 'delete-account-confirm');
        await page.keyboard.press('Enter');
        const heading = page.getByRole('heading', { level: 1, name: 'Your account was deleted' });
        await heading.waitFor();
        assert.deepEqual(gets, ['options', 'finish'], 'a passkey sign-in before the deletion (REAUTHENTICATION_REQUIRED)');
        assert.equal(await focused(page), 'passkeys-title', 'focus moves to the new heading');
        assert.equal(await page.locator('#status').textContent(), 'Your account and its passkeys are gone, and you are signed out.');
        assert.match(await page.title(), /^Your account was deleted · /);
        for (const gone of ['#account-bar', '#passkey-list', '#add-passkey', '#delete-account'])
          assert.equal(await page.locator(gone).isVisible(), false, `${gone} is gone`);
        const signUpLink = page.getByRole('link', { name: 'Create an account' });
        await signUpLink.waitFor();
        await page.getByRole('link', { name: 'Sign in', exact: true }).waitFor();
        assert.deepEqual(await axeViolations(page), []);
        if (kind === 'sqlite') await screenshots(page, 'account-deleted-en');

        // On the server: the account is gone and this browser is signed out.
        assert.deepEqual(await usersNamed(IDENTIFIER), []);
        assert.equal(await page.evaluate(async (url) => (await fetch(url, { credentials: 'include' })).status, `${hosted.store.base}/me`), 401);
        assert.equal(
          (await device.context.cookies()).find((c) => c.name === 'keyway_session'),
          undefined,
          'the session cookie is cleared',
        );
        // Signal API: the provider was told the account accepts no passkey; Chrome's authenticator dropped it.
        assert.deepEqual(await device.getCredentials(platform), [], 'signalAllAcceptedCredentials([]) removed the passkey');

        // ── the identifier can sign up again ──
        await signUpLink.click();
        await page.waitForURL(hosted.store.url('signup'));
        await page.getByLabel('Username').fill(IDENTIFIER);
        await page.getByRole('button', { name: 'Create account with a passkey' }).click();
        await page.getByText(`Signed in as ${IDENTIFIER}`).waitFor();
        const [again] = await usersNamed(IDENTIFIER);
        assert.ok(again);
        assert.notEqual(again.id, user.id);
        assert.deepEqual(watch.problems(), []);
      } catch (error) {
        await screenshot(device.page, `failure-account-deletion-${kind}`).catch(() => undefined);
        throw error;
      } finally {
        await device.close();
      }
    });
  });
}
