// The hosted journey runner in a real browser: Debian Chromium + Chrome's virtual
// authenticator against the real server on both databases. Every installed template end to end through
// /{tenant}/journeys/{journeyId}, each with cancel → retry → success (the authenticator is taken away
// so WebAuthn answers NotAllowedError, then brought back), a form validation error shown and corrected
// (in the browser, and reported by the server), a custom page step through the sandboxed iframe bridge,
// German texts, and screenshots of each step kind in test-artifacts/journeys-*.png.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { decodeJwt } from 'jose';
import type { Browser, Page } from 'playwright-core';
import { DATABASE_KINDS } from '../packages/server/test/support/databases.ts';
import { launchChromium, WebAuthnPage } from './support/browser.ts';
import { REGISTRATION_POLICY, RP_ID, watchPage } from './support/hosted-pages.ts';
import {
  Device,
  focused,
  journeyScreenshot,
  publishJourney,
  recordRuntime,
  setUpJourneyTenant,
  STORE,
  waitForStep,
  type JourneyTenant,
  type RuntimeAnswers,
} from './support/journey-runner.ts';
import { startSelfServiceServer, type SelfServiceServer } from './support/selfservice-server.ts';

let browser: Browser;
before(async () => {
  browser = await launchChromium();
});
after(async () => {
  await browser?.close();
});

async function userIdOf(tenant: JourneyTenant, userKey: string): Promise<string> {
  const listed = tenant.backend.expect(
    await tenant.backend.call('GET', `/api/identity-store/stores/${STORE}/users?userKey=${encodeURIComponent(userKey)}`),
    200,
  ).body;
  assert.equal(listed.items.length, 1, `one user ${userKey}`);
  return listed.items[0].id;
}

/** Success on the page, and the ID token the runtime answered names the user. */
async function expectSuccess(page: Page, answers: RuntimeAnswers, userKey: string, userId: string): Promise<void> {
  const step = await waitForStep(page, 'success', 'All done');
  await step.getByText(`You are signed in as ${userKey}.`).waitFor();
  assert.deepEqual(await focused(page), { tag: 'h1', text: 'All done', id: 'step-title' }, 'focus moves to the new heading');
  await page.waitForFunction(() => sessionStorage.length === 0);
  const end = (await answers.first((answer) => answer.body.journeyStepId === 'success')).body;
  assert.equal(answers.at(-1)?.body.journeyStepId, 'success', 'the journey ended there');
  assert.equal(decodeJwt(String(end.data?.idToken)).sub, userId);
}

// The custom page of the custom-page journey: it asks the runner to create the passkey with the
// session data's options, shows the error name when that fails, and submits the credential.
const PASSKEY_PAGE = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Passkey</title>
<style>body{font-family:system-ui,sans-serif;margin:1rem;color:#1a1d24} button{font:inherit;padding:.6rem 1rem}</style></head>
<body><h2>Welcome to <span id="brand"></span></h2><p>Create the passkey for your new account.</p>
<button id="go" type="button">Create my passkey</button><p id="message" role="alert"></p>
<script>
document.getElementById('brand').textContent = keyway.constants.brand;
document.getElementById('go').addEventListener('click', async () => {
  document.getElementById('message').textContent = '';
  try {
    const credential = await keyway.createCredential(keyway.sessionData.clientRequest);
    keyway.submit({ credential });
  } catch (error) {
    document.getElementById('message').textContent = 'Not created: ' + error.name;
  }
});
</script></body></html>`;

const CUSTOM_PAGE_JOURNEY = {
  schemaVersion: 1,
  name: 'Passkey on a custom page',
  store: STORE,
  access: { public: true },
  start: 'addUser',
  steps: [
    {
      id: 'addUser',
      type: 'trustx.addUser',
      parameters: { storeName: '${_journey.store}', userKey: 'carol' },
      outcomes: { success: 'start', 'Failed to add the user': 'failed', 'ExtId Not Unique': 'failed' },
    },
    {
      id: 'start',
      type: 'trustx.startPasskeyRegistration',
      parameters: {
        storeName: '${_journey.store}',
        relyingPartyId: RP_ID,
        registrationPolicy: REGISTRATION_POLICY,
        passkeyRegistrationKey: 'passkeyReg1',
        passkeyUserName: 'carol',
      },
      outcomes: { success: 'page', 'Failed ID Store Service Call': 'failed' },
    },
    {
      id: 'page',
      type: 'trustx.customPageV2',
      parameters: {
        pageName: 'passkey-page',
        sessionData: {
          clientRequest:
            '${_identityStore.passkeys.registrations["passkeyReg1"].currentPasskeyRegistrationRecord.startPasskeyRegistrationResponse.clientRequest}',
        },
        constants: { brand: 'Acme Shop' },
      },
      outcomes: { success: 'complete', cancel: 'cancelled', timeout: 'failed' },
    },
    {
      id: 'complete',
      type: 'trustx.completePasskeyRegistration',
      parameters: { passkeyRegistrationKey: 'passkeyReg1', passkeyRegistrationBrowserResponse: '${page.credential}' },
      outcomes: { success: 'done', 'User cancelled': 'cancelled', 'Failed ID Store Service Call': 'failed' },
    },
    { id: 'done', type: 'general.end', parameters: { result: 'success' } },
    { id: 'failed', type: 'general.end', parameters: { result: 'rejection', code: 'PASSKEY_REGISTRATION_FAILED' } },
    { id: 'cancelled', type: 'general.end', parameters: { result: 'rejection', code: 'USER_CANCELLED' } },
  ],
};

for (const kind of DATABASE_KINDS) {
  describe(`hosted journey runner (${kind})`, () => {
    let server: SelfServiceServer;
    let tenant: JourneyTenant;
    let webauthn: WebAuthnPage;
    let device: Device;
    let page: Page;
    let problems: () => string[];
    const shots = kind === 'sqlite';

    before(async () => {
      server = await startSelfServiceServer(kind);
      tenant = await setUpJourneyTenant(server);
      webauthn = await WebAuthnPage.open(browser, `${server.origin}/healthz`);
      page = webauthn.page;
      ({ problems } = watchPage(page));
      device = new Device(webauthn);
      await device.attach();
    });
    after(async () => {
      await webauthn?.close();
      await server?.close();
    });

    test('TrustX registration: form errors (browser and server) → details → passkey prompt; cancel → retry form → passkey → success', async () => {
      const answers = recordRuntime(page);
      await page.goto(tenant.runnerUrl('trustx-passkey-registration'));
      const form = await waitForStep(page, 'form', 'Create your account');
      assert.deepEqual(await focused(page), { tag: 'h1', text: 'Create your account', id: 'step-title' });
      assert.equal(await page.title(), 'Create your account · Acme Shop');
      if (shots) await journeyScreenshot(page, 'form-en');

      // ── a validation error in the browser (the server's rules and messages), then corrected ──
      await form.getByLabel('Display name').fill('Bob');
      await form.getByRole('button', { name: 'Continue' }).click();
      await form.getByText('Username is required.').waitFor();
      const userName = form.getByLabel('Username');
      assert.equal(await userName.getAttribute('aria-invalid'), 'true');
      assert.equal(await userName.getAttribute('aria-describedby'), 'field-userName-error');
      assert.deepEqual(await focused(page), { tag: 'input', text: '', id: 'field-userName' }, 'focus on the first invalid field');
      assert.match((await page.locator('#error').textContent()) ?? '', /Please correct the marked fields\./);
      assert.equal(answers.filter((a) => a.url.endsWith('/submit')).length, 0, 'nothing was sent');
      if (shots) {
        await journeyScreenshot(page, 'form-error-en');
        await page.emulateMedia({ colorScheme: 'dark' });
        await journeyScreenshot(page, 'form-error-dark-en');
        await page.emulateMedia({ colorScheme: 'light' });
      }

      // ── an error the server reports: a submission made outside the page (the same rules) shows on reload ──
      const sessionId = await page.evaluate(() => sessionStorage.getItem(sessionStorage.key(0)!)!);
      const refused = await server.http.post(
        `/acme/journeys/sessions/${sessionId}/submit`,
        { clientResponseOptionId: 'client_input', data: { userName: '   ', displayName: 'Bob' } },
        { origin: server.origin },
      );
      assert.equal(refused.status, 200);
      assert.deepEqual(refused.body.data.form.errors, [{ field: 'userName', code: 'missing', message: 'Username is required.' }]);
      await page.evaluate((next) => sessionStorage.setItem(sessionStorage.key(0)!, next), refused.body.sessionId as string);
      await page.reload();
      const again = await waitForStep(page, 'form', 'Create your account');
      await again.locator('#field-userName-error').getByText('Username is required.').waitFor();
      assert.equal(await again.getByLabel('Display name').inputValue(), 'Bob', 'the submitted values come back');

      await again.getByLabel('Username').fill('bob');
      await again.getByRole('button', { name: 'Continue' }).click();
      const prompt = await waitForStep(page, 'passkeyRegistrationForm', 'Create your passkey');
      assert.deepEqual(await focused(page), { tag: 'h1', text: 'Create your passkey', id: 'step-title' });
      if (shots) await journeyScreenshot(page, 'passkey-registration-en');

      // ── cancel: no authenticator → NotAllowedError → `cancel` → the retry form ──
      await device.detach();
      await prompt.getByRole('button', { name: 'Create a passkey' }).click();
      const retry = await waitForStep(page, 'form', 'Passkey request cancelled');
      await retry.getByText('You cancelled the passkey request. Try again when you are ready.').waitFor();
      if (shots) await journeyScreenshot(page, 'retry-form-en');
      await device.attach();
      await retry.getByRole('button', { name: 'Try again' }).click();
      const secondPrompt = await waitForStep(page, 'passkeyRegistrationForm', 'Create your passkey');
      await secondPrompt.getByRole('button', { name: 'Create a passkey' }).click();

      const bobId = await (async () => {
        await waitForStep(page, 'success');
        return userIdOf(tenant, 'bob');
      })();
      await expectSuccess(page, answers, 'bob', bobId);
      if (shots) await journeyScreenshot(page, 'success-en');
      const passkeys = await tenant.backend.listPasskeys(bobId);
      assert.equal(passkeys.length, 1, 'one passkey on the server');
      assert.equal((await device.credentials()).length, 1, 'and one on the authenticator');
      assert.deepEqual(problems(), []);
    });

    test('TrustX authentication: user name → passkey prompt; cancel → retry → success for bob', async () => {
      const answers = recordRuntime(page);
      await page.goto(tenant.runnerUrl('trustx-passkey-authentication'));
      const form = await waitForStep(page, 'form', 'Sign in');
      await form.getByLabel('Username').fill('bob');
      await form.getByLabel('Username').press('Enter');
      const prompt = await waitForStep(page, 'passkeyAuthenticationForm', 'Confirm it is you');
      if (shots) await journeyScreenshot(page, 'passkey-authentication-en');
      await device.detach();
      await prompt.getByRole('button', { name: 'Use my passkey' }).click();
      const retry = await waitForStep(page, 'form', 'Passkey request cancelled');
      await device.attach();
      // Keyboard only: the retry form's button is reached with Tab and pressed with Enter.
      await retry.getByRole('button', { name: 'Try again' }).focus();
      await page.keyboard.press('Enter');
      const secondPrompt = await waitForStep(page, 'passkeyAuthenticationForm', 'Confirm it is you');
      await secondPrompt.getByRole('button', { name: 'Use my passkey' }).click();
      await expectSuccess(page, answers, 'bob', await userIdOf(tenant, 'bob'));
      assert.deepEqual(problems(), []);
    });

    test('Mosaic sign-in: Login Form passkeys button (no autofill); a dismissed prompt stays on the form with Try again → success', async () => {
      const answers = recordRuntime(page);
      await page.goto(tenant.runnerUrl('mosaic-passkey-sign-in'));
      const login = await waitForStep(page, 'loginForm', 'Sign in');
      assert.equal(await page.locator('input').count(), 0, 'no username field, so no autofill request');
      if (shots) await journeyScreenshot(page, 'login-form-en');
      await device.detach();
      await login.getByRole('button', { name: 'Sign in with a passkey' }).click();
      const retry = page.locator('#error').getByRole('button', { name: 'Try again' });
      await retry.waitFor();
      await page.locator('#error').getByText('The passkey request was cancelled or timed out.').waitFor();
      assert.deepEqual(await focused(page), { tag: 'button', text: 'Try again', id: '' }, 'focus on the retry button');
      if (shots) await journeyScreenshot(page, 'login-form-cancelled-en');
      assert.ok(
        answers.every((a) => !a.url.endsWith('/submit')),
        'nothing was submitted: the step stays open',
      );
      await device.attach();
      await retry.click();
      await expectSuccess(page, answers, 'bob', await userIdOf(tenant, 'bob'));
      assert.deepEqual(problems(), []);
    });

    test('Mosaic registration after sign-in: the application starts it for alice, the runner continues it (#session); cancel branch → offered again → success', async () => {
      const alice = await tenant.backend.createUser({ userKey: 'alice', email: 'alice@example.com' });
      const started = await tenant.api.post('/acme/journeys/mosaic-passkey-registration/start', { user: { userId: alice.id } }, { origin: server.origin });
      assert.equal(started.status, 200, JSON.stringify(started.body));
      // A journey only an API client may start: without a session the page says so.
      await page.goto(tenant.runnerUrl('mosaic-passkey-registration'));
      await page.locator('#error').getByText('This journey is started by the application you came from.').waitFor();

      const answers = recordRuntime(page);
      await page.goto(tenant.runnerUrl('mosaic-passkey-registration', `#session=${started.body.sessionId}`));
      const step = await waitForStep(page, 'registerPasskeys', 'Add a passkey');
      assert.equal(new URL(page.url()).hash, '', 'the session id leaves the address bar');
      await step.getByText('Create a passkey for alice@example.com on this device.').waitFor();
      if (shots) await journeyScreenshot(page, 'register-passkeys-en');
      await device.detach();
      const cancelled = page.waitForResponse((response) => response.url().endsWith('/submit'));
      await step.getByRole('button', { name: 'Create a passkey' }).click();
      // The cancel branch counts the attempt and offers the registration again (a new step answer).
      const offeredAgain = (await (await cancelled).json()) as { journeyStepId: string; sessionId: string };
      assert.equal(offeredAgain.journeyStepId, 'registerPasskeys', 'presented again after the cancel');
      assert.notEqual(offeredAgain.sessionId, started.body.sessionId, 'with a new session id');
      await waitForStep(page, 'registerPasskeys', 'Add a passkey');
      await device.attach();
      await page.locator('#step').getByRole('button', { name: 'Create a passkey' }).click();
      // Alice was named by the application, and registering a passkey does not prove who is at the
      // browser: the journey authenticated nobody, so it ends without an ID token or a user record.
      const done = await waitForStep(page, 'success', 'All done');
      await done.getByText('The process is complete.').waitFor();
      assert.deepEqual((await answers.first((answer) => answer.body.journeyStepId === 'success')).body.data, {});
      assert.equal((await tenant.backend.listPasskeys(alice.id)).length, 1);
      assert.deepEqual(problems(), []);
    });

    test('a custom page step: the admin page runs sandboxed in the iframe; WebAuthn through the bridge, cancelled then created → success', async () => {
      assert.equal((await tenant.api.post('/api/custom-pages', { name: 'passkey-page', html: PASSKEY_PAGE })).status, 201);
      assert.equal((await tenant.api.post('/api/custom-pages/passkey-page/versions/1/publish')).status, 200);
      await publishJourney(tenant.api, 'custom-page-registration', CUSTOM_PAGE_JOURNEY);
      const answers = recordRuntime(page);
      await page.goto(tenant.runnerUrl('custom-page-registration'));
      await waitForStep(page, 'customPage', 'Your next step');
      const frame = page.frameLocator('iframe.custom-page');
      await frame.getByText('Welcome to Acme Shop').waitFor();
      assert.equal(await page.locator('iframe.custom-page').getAttribute('sandbox'), 'allow-scripts allow-forms');
      if (shots) await journeyScreenshot(page, 'custom-page-en');
      await device.detach();
      await frame.getByRole('button', { name: 'Create my passkey' }).click();
      await frame.getByText('Not created: NotAllowedError').waitFor();
      await device.attach();
      await frame.getByRole('button', { name: 'Create my passkey' }).click();
      const carolId = await (async () => {
        await waitForStep(page, 'success');
        return userIdOf(tenant, 'carol');
      })();
      await expectSuccess(page, answers, 'carol', carolId);
      assert.equal((await tenant.backend.listPasskeys(carolId)).length, 1);
      assert.deepEqual(problems(), []);
    });

    test('Hide buttons + Delay: a notice proceeds by itself; an e-mail field with its rule; a journey without a user ends in rejection', async () => {
      const notice = {
        title: { values: { en: 'Almost there', de: 'Fast geschafft' }, type: 'title' },
        components: [
          {
            type: 'paragraph',
            id: 'note',
            label: { values: { en: '' } },
            values: { en: 'We are preparing your account.', de: 'Wir bereiten Ihr Konto vor.' },
            index: 0,
          },
        ],
      };
      const contact = {
        title: { values: { en: 'Contact', de: 'Kontakt' }, type: 'title' },
        components: [
          {
            type: 'email',
            id: 'email',
            label: { values: { en: 'E-mail', de: 'E-Mail' } },
            index: 0,
            validate: { required: true, missingMessage: { values: { en: 'We need your {label}.', de: 'Wir brauchen Ihre {label}.' } } },
          },
        ],
        submitButton: { type: 'submitButton', values: { en: 'Save', de: 'Speichern' } },
      };
      for (const [name, form] of [
        ['notice', notice],
        ['contact', contact],
      ] as const) {
        const created = await tenant.api.post('/api/custom-forms', { name, form });
        assert.equal(created.status, 201, JSON.stringify(created.body));
        assert.equal((await tenant.api.post(`/api/custom-forms/${name}/versions/1/publish`)).status, 200);
      }
      await publishJourney(tenant.api, 'notice-then-contact', {
        schemaVersion: 1,
        store: STORE,
        access: { public: true },
        start: 'notice',
        steps: [
          {
            id: 'notice',
            type: 'trustx.customDataForm',
            parameters: { dataFormName: 'notice', hideButtons: true, delaySeconds: 1 },
            outcomes: { success: 'contact', cancel: 'end', timeout: 'end' },
          },
          {
            id: 'contact',
            type: 'trustx.customDataForm',
            parameters: { dataFormName: 'contact' },
            outcomes: { success: 'end', cancel: 'end', timeout: 'end' },
          },
          { id: 'end', type: 'general.end', parameters: { result: 'success' } },
        ],
      });
      await page.goto(tenant.runnerUrl('notice-then-contact', '?lang=de'));
      const shown = await waitForStep(page, 'form', 'Fast geschafft');
      await shown.getByText('Wir bereiten Ihr Konto vor.').waitFor();
      assert.equal(await shown.getByRole('button').count(), 1, 'no continue button, only cancel');
      await page.locator('#status').getByText('Diese Seite geht gleich von selbst weiter …').waitFor();
      const contactStep = await waitForStep(page, 'form', 'Kontakt');
      // The form's own message, in the browser before anything is sent (the server words it the same).
      await contactStep.getByRole('button', { name: 'Speichern' }).click();
      await contactStep.getByText('Wir brauchen Ihre E-Mail.').waitFor();
      await contactStep.getByLabel('E-Mail').fill('not an address');
      await contactStep.getByRole('button', { name: 'Speichern' }).click();
      await contactStep.getByText('E-Mail muss eine E-Mail-Adresse wie name@example.com sein.').waitFor();
      await contactStep.getByLabel('E-Mail').fill('dora@example.com');
      await contactStep.getByRole('button', { name: 'Speichern' }).click();
      // Success needs an identified user; this journey has none, so the engine rejects it.
      const rejected = await waitForStep(page, 'rejection', 'Das hat nicht geklappt');
      await rejected.locator('[data-code="JOURNEY_NO_USER"]').waitFor();
      assert.deepEqual(problems(), []);
    });

    test('a live step timeout: the runner shows the timeout branch as the server takes it, without an answer from the user', async () => {
      const form = (name: string, title: string) =>
        tenant.api.post('/api/custom-forms', {
          name,
          form: {
            title: { values: { en: title }, type: 'title' },
            components: [{ type: 'paragraph', id: 'note', label: { values: { en: '' } }, values: { en: `${title}.` }, index: 0 }],
          },
        });
      for (const [name, title] of [
        ['hurry', 'Quick question'],
        ['too-late', 'Time is up'],
      ] as const) {
        assert.equal((await form(name, title)).status, 201);
        assert.equal((await tenant.api.post(`/api/custom-forms/${name}/versions/1/publish`)).status, 200);
      }
      await publishJourney(tenant.api, 'timed-question', {
        schemaVersion: 1,
        store: STORE,
        access: { public: true },
        start: 'ask',
        steps: [
          {
            id: 'ask',
            type: 'trustx.customDataForm',
            parameters: { dataFormName: 'hurry', timeoutSeconds: 60 },
            outcomes: { success: 'end', cancel: 'end', timeout: 'late' },
          },
          { id: 'late', type: 'trustx.customDataForm', parameters: { dataFormName: 'too-late' }, outcomes: { success: 'end', cancel: 'end', timeout: 'end' } },
          { id: 'end', type: 'general.end', parameters: { result: 'rejection', code: 'JOURNEY_REJECTED' } },
        ],
      });
      await page.goto(tenant.runnerUrl('timed-question'));
      await waitForStep(page, 'form', 'Quick question');
      server.clock.advance(61_000);
      assert.equal(await server.tickJourneyTimers(), 1, 'the server fired the timeout');
      // The page reads its session while the step has a deadline, and shows where the journey went.
      const late = await waitForStep(page, 'form', 'Time is up');
      await late.getByText('Time is up.').waitFor();
      assert.deepEqual(problems(), []);
    });

    test('German (Accept-Language), a rejection screen with Start again, and the 404 page', async () => {
      await webauthn.context.setExtraHTTPHeaders({ 'accept-language': 'de-DE,de;q=0.9' });
      try {
        await page.goto(tenant.runnerUrl('mosaic-passkey-sign-in'));
        const login = await waitForStep(page, 'loginForm', 'Anmelden');
        assert.equal(await page.getAttribute('html', 'lang'), 'de');
        if (shots) await journeyScreenshot(page, 'login-form-de');
        await login.getByRole('button', { name: 'Abbrechen' }).click();
        const rejected = await waitForStep(page, 'rejection', 'Das hat nicht geklappt');
        await rejected.getByText('Der Vorgang wurde abgebrochen.').waitFor();
        if (shots) await journeyScreenshot(page, 'rejection-de');
        await rejected.getByRole('button', { name: 'Neu beginnen' }).click();
        await waitForStep(page, 'loginForm', 'Anmelden');

        await page.goto(tenant.runnerUrl('trustx-passkey-registration', '?lang=de'));
        // The template's forms are German too.
        const form = await waitForStep(page, 'form', 'Konto anlegen');
        await form.getByLabel('Anzeigename').fill('Bob');
        await form.getByRole('button', { name: 'Weiter' }).click();
        await form.getByText('Benutzername ist erforderlich.').waitFor();
        if (shots) await journeyScreenshot(page, 'form-error-de');
      } finally {
        await webauthn.context.setExtraHTTPHeaders({});
      }
      const missing = await page.goto(tenant.runnerUrl('no-such-journey'));
      assert.equal(missing?.status(), 404);
      await page.getByRole('heading', { name: 'Page not found' }).waitFor();
      const headers = missing!.headers();
      assert.match(headers['content-security-policy']!, /script-src|default-src 'self'/);
      assert.doesNotMatch(headers['content-security-policy']!, /unsafe-inline/);
      assert.deepEqual(problems(), []);
    });
  });
}
