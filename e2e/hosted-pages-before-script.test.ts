// The hosted pages' action buttons before and without their script, in a real browser. The forms have no action: the
// page script does what they do. Pressed before the script had attached its handler, the browser submitted the form
// itself (a GET to the same page with the username in the URL) and the ceremony never began, which a CI run hit. So
// the buttons start disabled and the script enables them: without scripts they stay disabled beside the noscript
// message (Enter in the field submits nothing either: a disabled default button blocks implicit submission), and where
// the browser has no WebAuthn the script says so and leaves them disabled.
// One database: nothing here reaches it (the pages' HTML and scripts are the same on both).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { startSmtpListener, type SmtpListener } from '../packages/server/test/support/smtp-listener.ts';
import { launchChromium } from './support/browser.ts';
import { screenshot, setUpHostedStore, watchPage, type HostedStore } from './support/hosted-pages.ts';
import { startSelfServiceServer, type SelfServiceServer } from './support/selfservice-server.ts';

/** Each page with a form and the buttons that act on it. */
const PAGES = [
  { page: 'signup', buttons: ['Create account with a passkey'] },
  { page: 'signin', buttons: ['Continue', 'Sign in with a passkey'] },
  { page: 'lost-passkey', buttons: ['Send me a link'] },
] as const;

let browser: Browser;
let smtp: SmtpListener;
let server: SelfServiceServer;
let store: HostedStore;
before(async () => {
  browser = await launchChromium();
  // E-mail configured, so the lost-passkey page has its form.
  smtp = await startSmtpListener();
  server = await startSelfServiceServer('sqlite', smtp.env);
  store = await setUpHostedStore(server, 'acme', 'customers', 'Acme Customers');
});
after(async () => {
  await browser?.close();
  await server?.close();
  await smtp?.close();
});

async function disabledButtons(page: Page, names: readonly string[]): Promise<boolean[]> {
  return Promise.all(names.map((name) => page.getByRole('button', { name, exact: true }).isDisabled()));
}

describe('hosted pages: action buttons wait for the page script', () => {
  test('without scripts: every action button is disabled beside the noscript message, and Enter submits nothing', async () => {
    const context = await browser.newContext({ javaScriptEnabled: false });
    try {
      const page = await context.newPage();
      for (const { page: name, buttons } of PAGES) {
        await page.goto(store.url(name));
        assert.deepEqual(
          await disabledButtons(page, buttons),
          buttons.map(() => true),
          `${name}: disabled without the script`,
        );
        await page.locator('noscript .error').filter({ hasText: 'These pages need JavaScript to talk to your passkey.' }).waitFor();
        if (name === 'signin') await screenshot(page, 'signin-without-script');
      }
      await page.goto(store.url('signup'));
      await page.getByLabel('Username').fill('ada@example.com');
      // The navigation a submission would start is waited for by press(); the URL shows whether one happened.
      await page.getByLabel('Username').press('Enter');
      assert.equal(page.url(), store.url('signup'), 'no native submission: the username never goes into the URL');
    } finally {
      await context.close();
    }
  });

  test('with scripts: the script enables them', async () => {
    const page = await browser.newPage();
    try {
      const { problems } = watchPage(page);
      for (const { page: name, buttons } of PAGES) {
        await page.goto(store.url(name));
        for (const button of buttons) await page.getByRole('button', { name: button, exact: true, disabled: false }).waitFor();
      }
      assert.deepEqual(problems(), []);
    } finally {
      await page.close();
    }
  });

  test('a browser without WebAuthn: the page says so and its passkey buttons stay disabled', async () => {
    const context = await browser.newContext();
    try {
      await context.addInitScript(() => {
        delete (window as { PublicKeyCredential?: unknown }).PublicKeyCredential;
      });
      const page = await context.newPage();
      for (const { page: name, buttons } of PAGES.filter(({ page }) => page !== 'lost-passkey')) {
        await page.goto(store.url(name));
        await page.getByRole('alert').filter({ hasText: 'This browser cannot use passkeys here.' }).waitFor();
        assert.deepEqual(
          await disabledButtons(page, buttons),
          buttons.map(() => true),
          `${name}: nothing to press`,
        );
      }
    } finally {
      await context.close();
    }
  });
});
