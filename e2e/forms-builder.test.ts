// The console's form builder and the hosted runner in a real browser on both databases: an operator builds a form
// from nothing with a drop-down list and a date (adds, configures rules and messages, reorders with the keyboard),
// sees it in the live preview — drawn by the runner's own renderer — where empty and out-of-range input is refused,
// sees the JSON editor follow, saves and publishes; a journey shows the form in the hosted runner, which refuses the
// same input with the same messages, and takes the corrected answers. axe on the builder and on the runner;
// screenshots (en, de, dark, 360 px) in test-artifacts/forms/.
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, Locator, Page } from 'playwright-core';
import { DATABASE_KINDS } from '../packages/server/test/support/databases.ts';
import { launchChromium, type WebAuthnPage } from './support/browser.ts';
import { assertAccessible, enrolOperator, ensureConsoleBuilt, invitationLink, navigate } from './support/console.ts';
import { ARTIFACTS, watchPage } from './support/hosted-pages.ts';
import { publishJourney, setUpJourneyTenant, waitForStep, type JourneyTenant } from './support/journey-runner.ts';
import { ELEMENTS_FORM } from '../packages/server/test/journeys/forms-fixtures.ts';
import { startSelfServiceServer, type SelfServiceServer } from './support/selfservice-server.ts';

const TENANT = 'acme';
const SHOTS = resolve(ARTIFACTS, 'forms');

let browser: Browser;
before(async () => {
  await ensureConsoleBuilt();
  browser = await launchChromium();
});
after(async () => {
  await browser?.close();
});

/** Screenshots of the page as it is: light, dark, and light at 360 px (axe checked in light and dark). */
async function shoot(page: Page, name: string): Promise<void> {
  mkdirSync(SHOTS, { recursive: true });
  const viewport = page.viewportSize() ?? { width: 1280, height: 720 };
  // No colour transitions: axe must see the colours of the scheme, not a blend on the way to them.
  await page.emulateMedia({ reducedMotion: 'reduce' });
  await assertAccessible(page, name);
  await page.screenshot({ path: resolve(SHOTS, `${name}-light.png`), fullPage: true });
  try {
    await page.emulateMedia({ colorScheme: 'dark' });
    await assertAccessible(page, `${name} (dark)`);
    await page.screenshot({ path: resolve(SHOTS, `${name}-dark.png`), fullPage: true });
    await page.emulateMedia({ colorScheme: 'light' });
    await page.setViewportSize({ width: 360, height: viewport.height });
    await page.screenshot({ path: resolve(SHOTS, `${name}-360.png`), fullPage: true });
  } finally {
    await page.emulateMedia({ colorScheme: 'light', reducedMotion: null });
    await page.setViewportSize(viewport);
  }
}

/** The field messages a form shows now, in form order. */
/**
 * The visible field errors of a form once they read `expected`, in order. A click on Continue re-renders them, so a
 * read at once can see the errors of the click before (CI did): this waits with Playwright's locators until each
 * expected message shows and no other does (failing on their timeout), then asserts the exact list.
 */
async function expectFieldErrors(scope: Locator, expected: readonly string[], message?: string): Promise<void> {
  const errors = scope.locator('.field-error:not([hidden])');
  let others = errors;
  for (const text of expected) {
    await errors.filter({ hasText: text }).first().waitFor();
    others = others.filter({ hasNotText: text });
  }
  await others.first().waitFor({ state: 'hidden' });
  assert.deepEqual(await errors.allTextContents(), expected, message);
}

for (const kind of DATABASE_KINDS) {
  describe(`form builder and runner (${kind})`, () => {
    let server: SelfServiceServer;
    let tenant: JourneyTenant;
    let operator: WebAuthnPage;
    let page: Page;
    const shots = kind === 'sqlite';
    /** CSP refusals and uncaught errors on the operator's page (the builder and its preview), from enrolment on */
    let problems: () => string[] = () => [];

    before(async () => {
      server = await startSelfServiceServer(kind);
      tenant = await setUpJourneyTenant(server, TENANT);
      operator = await enrolOperator(browser, await invitationLink(server, TENANT, 'owner'), 'Ada Operator');
      page = operator.page;
      ({ problems } = watchPage(page));
    });
    after(async () => {
      await operator?.close();
      await server?.close();
    });

    test('build a form with a select and a date; the preview and the runner refuse the same input the same way', async () => {
      await navigate(page, 'Forms');
      await page.getByRole('button', { name: 'Create' }).click();
      await page.getByRole('dialog').getByRole('textbox', { name: 'Name' }).fill('about-you');
      await page.getByRole('dialog').getByRole('button', { name: 'Create' }).click();
      await page.getByRole('heading', { level: 1, name: 'about-you' }).waitFor();
      const builder = page.locator('section.form-builder');
      await builder.getByRole('textbox', { name: 'Form title' }).fill('About you');

      const add = async (typeName: string) => {
        await builder.getByRole('button', { name: /Element type/ }).click();
        await page.getByRole('option', { name: typeName, exact: true }).click();
        await builder.getByRole('button', { name: 'Add element' }).click();
      };
      const settings = builder.locator('fieldset.builder-settings');
      await add('Drop-down list');
      await settings.getByRole('textbox', { name: 'Label', exact: true }).fill('Country');
      await settings.getByRole('textbox', { name: 'ID (the key of the value)' }).fill('country');
      await settings.getByText('Required', { exact: true }).click();
      await settings.getByRole('textbox', { name: 'Value of option 1' }).fill('DE');
      await settings.getByRole('textbox', { name: 'Label of option 1' }).fill('Germany');
      await settings.getByRole('textbox', { name: 'Value of option 2' }).fill('FR');
      await settings.getByRole('textbox', { name: 'Label of option 2' }).fill('France');
      await add('Date');
      await settings.getByRole('textbox', { name: 'Label', exact: true }).fill('Start date');
      await settings.getByRole('textbox', { name: 'ID (the key of the value)' }).fill('start');
      await settings.getByText('Required', { exact: true }).click();
      await settings.getByLabel('Earliest date').fill('2026-01-01');
      await settings.getByLabel('Latest date').fill('2026-12-31');
      await settings.getByRole('textbox', { name: 'When out of range' }).fill('{label}: a day in 2026, please.');

      // Reorder with the keyboard: the date moves above the list, then back below it.
      await builder.getByRole('button', { name: 'Move up: Date Start date' }).focus();
      await page.keyboard.press('Enter');
      await page.getByRole('status').filter({ hasText: 'Date Start date is now at position 1.' }).waitFor();
      const json = () =>
        page
          .getByRole('textbox', { name: 'JSON definition' })
          .inputValue()
          .then((text) => JSON.parse(text));
      assert.deepEqual(
        (await json()).components.map((c: { id: string; index: number }) => [c.id, c.index]),
        [
          ['start', 0],
          ['country', 1],
        ],
      );
      await builder.getByRole('button', { name: 'Move down: Date Start date' }).focus();
      await page.keyboard.press('Enter');
      await page.getByRole('status').filter({ hasText: 'Date Start date is now at position 2.' }).waitFor();
      // And by dragging (React Aria's keyboard drag and drop on the handle): the date above the list, then back.
      await builder.getByRole('button', { name: 'Drag Date Start date' }).focus();
      await page.keyboard.press('Enter');
      await page.keyboard.press('ArrowUp');
      await page.keyboard.press('ArrowUp');
      await page.keyboard.press('Enter');
      await page.getByRole('status').filter({ hasText: 'Date Start date is now at position 1.' }).waitFor();
      assert.deepEqual(
        (await json()).components.map((c: { id: string }) => c.id),
        ['start', 'country'],
      );
      await builder.getByRole('button', { name: 'Move down: Date Start date' }).focus();
      await page.keyboard.press('Enter');
      await page.getByRole('status').filter({ hasText: 'Date Start date is now at position 2.' }).waitFor();

      const form = await json();
      assert.deepEqual(form.title, { type: 'title', values: { en: 'About you', de: 'Erzählen Sie uns von sich' } }, 'the starter’s German title stays');
      assert.deepEqual(form.components[0], {
        type: 'select',
        id: 'country',
        index: 0,
        label: { values: { en: 'Country' } },
        options: [
          { value: 'DE', label: { values: { en: 'Germany' } } },
          { value: 'FR', label: { values: { en: 'France' } } },
        ],
        validate: { required: true },
      });
      assert.deepEqual(form.components[1], {
        type: 'date',
        id: 'start',
        index: 1,
        label: { values: { en: 'Start date' } },
        validate: { required: true, min: '2026-01-01', max: '2026-12-31', outOfRangeMessage: { values: { en: '{label}: a day in 2026, please.' } } },
      });

      // The preview: the runner's form, refusing what the runner refuses. It follows the builder a moment behind (the
      // server makes it); typed into before the last edit's preview arrived, the values would be wiped (a CI run was).
      await page.locator('section.builder-preview[aria-busy="false"]').waitFor();
      const preview = page.getByTestId('form-preview');
      await preview.getByRole('heading', { level: 1, name: 'About you' }).waitFor();
      await preview.getByLabel(/Start date/).waitFor();
      await preview.getByRole('button', { name: 'Continue' }).click();
      const previewEmpty = ['Country is required.', 'Start date is required.'];
      await expectFieldErrors(preview, previewEmpty);
      // Waits for the field to be marked invalid (times out, failing, if it never is): read at once, a CI run read it
      // before the render that marks it.
      await preview
        .getByLabel(/Country/)
        .and(preview.locator('[aria-invalid="true"]'))
        .waitFor();
      await preview.getByLabel(/Country/).selectOption('DE');
      await preview.getByLabel(/Start date/).fill('2025-12-31');
      await preview.getByRole('button', { name: 'Continue' }).click();
      const previewOutOfRange = ['Start date: a day in 2026, please.'];
      await expectFieldErrors(preview, previewOutOfRange);
      if (shots) await shoot(page, 'builder-en');
      else await assertAccessible(page, 'builder-en');

      await page.getByRole('button', { name: 'Save version' }).click();
      await page.getByRole('status').filter({ hasText: 'Saved.' }).waitFor();
      await page.getByRole('button', { name: 'Publish' }).click();
      await page.getByText('Published', { exact: true }).first().waitFor();

      // The same form in the hosted runner, in a journey.
      await publishJourney(tenant.api, 'about', {
        schemaVersion: 1,
        store: 'customers',
        start: 'about',
        access: { public: true },
        steps: [
          {
            id: 'about',
            type: 'trustx.customDataForm',
            parameters: { dataFormName: 'about-you', formDataKey: 'about' },
            outcomes: { success: 'received', cancel: 'received', timeout: 'received' },
          },
          { id: 'received', type: 'general.end', parameters: { result: 'rejection', code: 'ABOUT_RECEIVED' } },
        ],
      });
      const runner = await page.context().newPage();
      const runnerProblems = watchPage(runner).problems;
      try {
        await runner.goto(tenant.runnerUrl('about'));
        const step = await waitForStep(runner, 'form', 'About you');
        await step.getByRole('button', { name: 'Continue' }).click();
        await expectFieldErrors(step, previewEmpty, 'empty: the preview’s messages');
        assert.equal(await step.getByLabel(/Country/).getAttribute('aria-describedby'), 'field-country-error');
        await step.getByLabel(/Country/).selectOption('DE');
        await step.getByLabel(/Start date/).fill('2025-12-31');
        await step.getByRole('button', { name: 'Continue' }).click();
        await expectFieldErrors(step, previewOutOfRange, 'out of range: the preview’s message');
        if (shots) await shoot(runner, 'runner-en');
        else await assertAccessible(runner, 'runner-en');
        await step.getByLabel(/Start date/).fill('2026-03-01');
        const submitted = runner.waitForResponse((response) => response.url().endsWith('/submit'));
        await step.getByRole('button', { name: 'Continue' }).click();
        const answer = await submitted;
        assert.deepEqual(answer.request().postDataJSON().data, { country: 'DE', start: '2026-03-01' });
        const body = (await answer.json()) as { journeyStepId: string; data: { code: string } };
        assert.equal(body.journeyStepId, 'rejection', 'the server took the answers: the journey went on to its end');
        assert.equal(body.data.code, 'ABOUT_RECEIVED');
        assert.deepEqual(runnerProblems(), []);
      } finally {
        await runner.close();
      }
    });

    test('every element type in the runner: accessible, radios in a fieldset with their error linked', async () => {
      assert.equal((await tenant.api.post('/api/custom-forms', { name: 'elements', form: ELEMENTS_FORM })).status, 201);
      assert.equal((await tenant.api.post('/api/custom-forms/elements/versions/1/publish')).status, 200);
      await publishJourney(tenant.api, 'elements', {
        schemaVersion: 1,
        store: 'customers',
        start: 'all',
        access: { public: true },
        steps: [
          {
            id: 'all',
            type: 'trustx.customDataForm',
            parameters: { dataFormName: 'elements', formDataKey: 'all' },
            outcomes: { success: 'received', cancel: 'received', timeout: 'received' },
          },
          { id: 'received', type: 'general.end', parameters: { result: 'rejection', code: 'ALL_RECEIVED' } },
        ],
      });
      const runner = await page.context().newPage();
      try {
        await runner.goto(tenant.runnerUrl('elements'));
        const step = await waitForStep(runner, 'form', 'About you');
        await step.getByRole('img', { name: 'Company logo' }).waitFor();
        const plan = step.getByRole('radiogroup', { name: /Plan/ });
        await plan.getByRole('radio', { name: 'Pro' }).waitFor();
        await step.getByRole('button', { name: 'Send' }).click();
        await step.getByText('Pick a Plan.').waitFor();
        assert.equal(await plan.getByRole('radio', { name: 'Basic' }).getAttribute('aria-describedby'), 'field-plan-error');
        assert.equal(await step.getByRole('checkbox', { name: /I accept the terms/ }).getAttribute('aria-invalid'), 'true');
        if (shots) await shoot(runner, 'runner-elements');
        else await assertAccessible(runner, 'runner-elements');
      } finally {
        await runner.close();
      }
    });

    test('German: the builder and the runner', async () => {
      await page.getByRole('button', { name: 'English Language', exact: true }).click();
      await page.getByRole('option', { name: 'Deutsch' }).click();
      await navigate(page, 'Formulare', 'Formulare', 'Konsole');
      await page.getByRole('link', { name: 'about-you' }).click();
      const builder = page.locator('section.form-builder');
      await builder.getByRole('textbox', { name: 'Titel des Formulars' }).fill('Über Sie');
      await builder.locator('.builder-list').getByRole('row').first().click();
      await builder.getByRole('textbox', { name: 'Beschriftung', exact: true }).fill('Land');
      await page.getByTestId('form-preview').getByRole('heading', { level: 1, name: 'Über Sie' }).waitFor();
      await page.locator('section.builder-preview[aria-busy="false"]').waitFor();
      if (shots) await shoot(page, 'builder-de');
      else await assertAccessible(page, 'builder-de');
      const runner = await browser.newPage({ locale: 'de-DE' });
      try {
        await runner.goto(tenant.runnerUrl('about', '?lang=de'));
        const step = await waitForStep(runner, 'form');
        await step.getByRole('button', { name: 'Weiter' }).click();
        await step.locator('.field-error:not([hidden])').first().waitFor();
        if (shots) await shoot(runner, 'runner-de');
        else await assertAccessible(runner, 'runner-de');
      } finally {
        await runner.close();
      }
      await page.getByRole('button', { name: 'Deutsch Sprache', exact: true }).click();
      await page.getByRole('option', { name: 'English' }).click();
    });

    test('no view of the builder the tests above opened broke the CSP or threw', () => {
      assert.deepEqual(problems(), []);
    });
  });
}
