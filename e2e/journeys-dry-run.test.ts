// The journey page's "Try it" panel in a real browser: the operator picks "User cancels" for the TrustX passkey
// registration form, fills the account form's test input, runs, and sees the retry branch in the path with the
// variables after each step; nothing is stored. Checked with axe and screenshotted (en, dark, 360 px, de).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { DATABASE_KINDS } from '../packages/server/test/support/databases.ts';
import type { HttpClient } from '../packages/server/test/support/http-client.ts';
import { launchChromium, type WebAuthnPage } from './support/browser.ts';
import { checkView, enrolOperator, ensureConsoleBuilt, invitationLink } from './support/console.ts';
import { watchPage } from './support/hosted-pages.ts';
import { startSelfServiceServer, type SelfServiceServer } from './support/selfservice-server.ts';

const TENANT = 'acme';
const STORE = 'customers';
const JOURNEY = 'trustx-passkey-registration';

let browser: Browser;
before(async () => {
  await ensureConsoleBuilt();
  browser = await launchChromium();
});
after(async () => {
  await browser?.close();
});

for (const kind of DATABASE_KINDS) {
  describe(`journey dry-run panel (${kind})`, () => {
    let server: SelfServiceServer;
    let admin: HttpClient;
    let owner: WebAuthnPage;
    let page: Page;
    /** CSP refusals and uncaught errors on the operator's page, from enrolment to the last test */
    let problems: () => string[] = () => [];

    before(async () => {
      server = await startSelfServiceServer(kind);
      admin = (await server.tenant(TENANT)).api;
      assert.equal((await admin.post('/api/identity-store/stores', { name: STORE })).status, 201);
      const passkeys = `/api/identity-store/stores/${STORE}/passkeys`;
      assert.equal(
        (await admin.post(`${passkeys}/relyingParties`, { id: 'app.example.com', name: 'Example', origins: ['https://app.example.com'] })).status,
        201,
      );
      assert.equal((await admin.post(`${passkeys}/registrationPolicies`, { name: 'default' })).status, 201);
      assert.equal((await admin.post(`${passkeys}/authenticationPolicies`, { name: 'default' })).status, 201);
      assert.equal((await admin.post('/api/journeys/templates/install', { store: STORE })).status, 200);
      owner = await enrolOperator(browser, await invitationLink(server, TENANT, 'owner'), 'Ada Operator');
      page = owner.page;
      ({ problems } = watchPage(page));
    });
    after(async () => {
      await owner?.close();
      await server?.close();
    });

    test('"User cancels" at the passkey form shows the retry branch, with the variables after each step', async () => {
      const usersBefore = (await admin.get(`/api/identity-store/stores/${STORE}/users`)).body.items.length;
      await page.goto(`${server.origin}/${TENANT}/console/journeys/${JOURNEY}`);
      const panel = page.getByRole('region', { name: 'Try it' });
      await panel.waitFor();
      await panel
        .locator('li', { hasText: 'registrationDetails' })
        .getByRole('textbox', { name: 'Test input' })
        .fill(JSON.stringify({ userName: 'dry-run-user', displayName: 'Dry Run' }));
      // React Aria's Select, by keyboard: focus the button, open it, pick the option.
      const behaviour = panel.locator('li', { hasText: 'registrationForm' }).getByRole('button', { name: /Passkey behaviour/ });
      await behaviour.focus();
      await page.keyboard.press('Enter');
      await page.getByRole('option', { name: 'User cancels' }).click();
      await behaviour.filter({ hasText: 'User cancels' }).waitFor();
      await panel.getByRole('button', { name: 'Run dry-run' }).click();

      const path = panel.getByRole('list').filter({ has: page.locator('[data-step-id]') });
      await path.locator('[data-step-id="retry"]').first().waitFor();
      const steps = await path
        .locator('[data-step-id]')
        .evaluateAll((items) => items.map((li) => `${li.getAttribute('data-step-id')}:${li.getAttribute('data-outcome')}`));
      assert.deepEqual(steps.slice(3, 7), ['registrationForm:success', 'completeRegistration:User cancelled', 'retry:success', 'registrationForm:success']);
      assert.equal(steps.at(-1), 'end:success', 'the retry succeeds: later visits of the passkey step succeed');
      await panel.getByText('Ends in success').waitFor();
      // The variables after the account form hold the test input.
      const first = path.locator('[data-step-id="registrationDetails"]');
      await first.getByText('Variables after this step').click();
      await first.getByText('"userName": "dry-run-user"').waitFor();
      await checkView(page, 'journey-dry-run');

      const usersAfter = (await admin.get(`/api/identity-store/stores/${STORE}/users`)).body.items.length;
      assert.equal(usersAfter, usersBefore, 'the dry-run created no user');
    });

    test('German', async () => {
      await page.getByRole('button', { name: /Language/ }).click();
      await page.getByRole('option', { name: 'Deutsch' }).click();
      const panel = page.getByRole('region', { name: 'Ausprobieren' });
      await panel.getByRole('button', { name: 'Probelauf starten' }).click();
      await panel.getByText('Endet erfolgreich').waitFor();
      // From the top: scrolled mid-page, the sticky top bar covers part of whatever sits under it (axe's target-size).
      await page.evaluate(() => window.scrollTo(0, 0));
      await checkView(page, 'journey-dry-run-de');
      await page.getByRole('button', { name: /Sprache/ }).click();
      await page.getByRole('option', { name: 'English' }).click();
      await page.getByRole('region', { name: 'Try it' }).waitFor();
    });

    test('no view the tests above opened broke the CSP or threw', () => {
      assert.deepEqual(problems(), []);
    });
  });
}
