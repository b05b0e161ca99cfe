// The hosted pages and the journey runner speak with one voice, in a real browser on both databases: errors sit
// beside their fields; headings are sentence case; "Username" everywhere; a taken username and a refused passkey are
// explained in the self-service pages' words; no journey's internal name reaches the user; success always offers a
// next step (return_to, the store's application URL, its passkeys page); the passkey card names the provider, shows
// times with their zone and never "Used for this sign-in" beside "Last used never"; nothing wraps at 360 px.
// Screenshots (light, dark, 360 px) go to test-artifacts/consistency-*.png.
import assert from 'node:assert/strict';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { DATABASE_KINDS } from '../packages/server/test/support/databases.ts';
import { SoftAuthenticator } from '../packages/server/test/support/soft-authenticator.ts';
import { launchChromium, PLATFORM_AUTHENTICATOR, WebAuthnPage } from './support/browser.ts';
import { AUTHENTICATION_POLICY, REGISTRATION_POLICY, RP_ID, watchPage } from './support/hosted-pages.ts';
import { Device, publishJourney, recordRuntime, setUpJourneyTenant, STORE, waitForStep, type JourneyTenant } from './support/journey-runner.ts';
import { assertNothingWraps, screenshotViews } from './support/layout.ts';
import { startSelfServiceServer, type SelfServiceServer } from './support/selfservice-server.ts';

const APP = 'https://app.example.test/welcome';
const TAKEN_EN = 'This username is already taken. Choose another one, or sign in.';
const TAKEN_DE = 'Dieser Benutzername ist schon vergeben. Wählen Sie einen anderen oder melden Sie sich an.';
const GOOGLE_PASSWORD_MANAGER = 'ea9b8d66-4d01-1d21-3ce4-b6b48cb575d4';

let browser: Browser;
before(async () => {
  browser = await launchChromium();
});
after(async () => {
  await browser?.close();
});

/** The store's self-service configuration: on, with or without an application URL. */
async function configureSelfService(tenant: JourneyTenant, selfService: { enabled: boolean; applicationUrl?: string }): Promise<void> {
  const config = {
    relyingPartyId: RP_ID,
    registrationPolicy: REGISTRATION_POLICY,
    authenticationPolicy: AUTHENTICATION_POLICY,
    allowSignUp: true,
    ...selfService,
  };
  tenant.backend.expect(await tenant.backend.call('PATCH', `/api/identity-store/stores/${STORE}`, { selfService: config }), 200);
}

/** Pretends to be the store's application at APP (another origin), so following a link there can be observed. */
async function serveApplication(context: BrowserContext): Promise<void> {
  await context.route('https://app.example.test/**', (route) =>
    route.fulfill({ status: 200, contentType: 'text/html', body: '<!doctype html><title>Acme app</title><h1>Welcome back to Acme</h1>' }),
  );
}

/** Every heading and the window title the page shows from now on, for checking that no internal name appears. */
async function watchTexts(page: Page): Promise<() => Promise<string[]>> {
  await page.evaluate(() => {
    const seen = ((window as unknown as { keywaySeen: string[] }).keywaySeen = [] as string[]);
    const record = () =>
      seen.push(document.title, ...[...document.querySelectorAll('h1, h2, iframe')].map((e) => e.textContent || e.getAttribute('title') || ''));
    new MutationObserver(record).observe(document, { subtree: true, childList: true, characterData: true });
    record();
  });
  return () => page.evaluate(() => (window as unknown as { keywaySeen: string[] }).keywaySeen);
}

/** A runner registration (TrustX template) of a new user with the device's platform authenticator, up to success. */
async function registerThroughJourney(page: Page, tenant: JourneyTenant, userKey: string, query = '', screenshots?: string): Promise<void> {
  await page.goto(tenant.runnerUrl('trustx-passkey-registration', query));
  const form = await waitForStep(page, 'form', 'Create your account');
  await form.getByLabel('Username').fill(userKey);
  await form.getByLabel('Display name').fill(userKey);
  await form.getByRole('button', { name: 'Continue' }).click();
  const prompt = await waitForStep(page, 'passkeyRegistrationForm', 'Create your passkey');
  if (screenshots) await screenshotViews(page, `${screenshots}-passkey-prompt`);
  await prompt.getByRole('button', { name: 'Create a passkey' }).click();
  await page
    .locator('#step[data-kind="success"], #step[data-kind="rejection"]')
    .waitFor({ timeout: 10_000 })
    .catch(async (error: unknown) => {
      throw new Error(
        `no end for ${userKey}: step ${await page.locator('#step').getAttribute('data-kind')}, status "${await page.locator('#status').textContent()}", error "${await page.locator('#error').textContent()}"`,
        { cause: error },
      );
    });
  assert.equal(await page.locator('#step').getAttribute('data-kind'), 'success', (await page.locator('#step').textContent()) ?? '');
}

/** The error beside a field sits between the field and what follows it, and the field is marked and described by it. */
async function assertBesideField(page: Page, fieldId: string, text: string): Promise<void> {
  const message = page.locator(`#${fieldId}-error`);
  await message.getByText(text, { exact: true }).waitFor();
  const [field, box, next] = await Promise.all([
    page.locator(`#${fieldId}`).boundingBox(),
    message.boundingBox(),
    page.locator(`#${fieldId}-error + *`).boundingBox(),
  ]);
  assert.ok(field && box && next);
  assert.ok(box.y >= field.y + field.height - 1 && box.y + box.height <= next.y + 1, `the message sits right below #${fieldId}`);
  assert.equal(await page.locator(`#${fieldId}`).getAttribute('aria-invalid'), 'true');
  assert.match((await page.locator(`#${fieldId}`).getAttribute('aria-describedby')) ?? '', new RegExp(`\\b${fieldId}-error\\b`));
  assert.equal(await page.locator('#error').textContent(), '', 'not repeated in the page-level error region');
}

/** A passkey of the user with a known provider (AAGUID in the catalogue), registered through the admin ceremony API. */
async function addCataloguedPasskey(tenant: JourneyTenant, origin: string, userId: string): Promise<void> {
  const started = tenant.backend.expectOk(
    await tenant.backend.call(
      'POST',
      `/api/identity-store/stores/${STORE}/users/${userId}/passkeys/relyingParties/${RP_ID}/registrations/${REGISTRATION_POLICY}`,
      {},
    ),
  ).body;
  const authenticator = new SoftAuthenticator({ aaguid: GOOGLE_PASSWORD_MANAGER, backupEligible: true, backupState: true });
  const credential = authenticator.register(started.clientRequest, { origin });
  tenant.backend.expectOk(
    await tenant.backend.call('POST', `/api/identity-store/stores/${STORE}/users/${userId}/passkeys/registrations/sessions/${started.sessionId}`, credential),
  );
}

for (const kind of DATABASE_KINDS) {
  describe(`hosted pages and runner speak with one voice (${kind})`, () => {
    let server: SelfServiceServer;
    let tenant: JourneyTenant;
    let webauthn: WebAuthnPage;
    let device: Device;
    let page: Page;
    let problems: () => string[];
    const shots = kind === 'sqlite';
    const storeBase = () => `${server.origin}/acme/identity/${STORE}`;

    before(async () => {
      server = await startSelfServiceServer(kind);
      tenant = await setUpJourneyTenant(server);
      await configureSelfService(tenant, { enabled: true });
      webauthn = await WebAuthnPage.open(browser, `${server.origin}/healthz`);
      await serveApplication(webauthn.context);
      page = webauthn.page;
      ({ problems } = watchPage(page));
      device = new Device(webauthn);
      await device.attach();
    });
    after(async () => {
      await webauthn?.close();
      await server?.close();
    });

    test('a taken username: the journey says what the sign-up page says, beside the field there; no journey name shown; Username everywhere', async () => {
      await tenant.backend.createUser({ userKey: 'taken' });
      const html = await (await fetch(tenant.runnerUrl('trustx-passkey-registration'))).text();
      assert.doesNotMatch(html, /TrustX passkey registration/, 'the journey’s name is not in the page');
      assert.match(html, /<h1 tabindex="-1">Acme Shop<\/h1>/, 'until the first step, the heading is the store’s name');

      const answers = recordRuntime(page);
      await page.goto(tenant.runnerUrl('trustx-passkey-registration'));
      const seen = await watchTexts(page);
      const form = await waitForStep(page, 'form', 'Create your account');
      assert.equal(await form.locator('label[for="field-userName"]').textContent(), 'Username (required)');
      if (shots) await screenshotViews(page, 'consistency-runner-form-en');
      await form.getByLabel('Username').fill('taken');
      await form.getByLabel('Display name').fill('Someone');
      await form.getByRole('button', { name: 'Continue' }).click();
      const rejected = await waitForStep(page, 'rejection', 'This did not work');
      assert.equal(await rejected.locator('[data-code="IDENTIFIER_TAKEN"]').textContent(), TAKEN_EN);
      assert.equal(answers.at(-1)?.body.data?.code, 'IDENTIFIER_TAKEN');
      if (shots) await screenshotViews(page, 'consistency-runner-taken-en');
      const texts = await seen();
      assert.ok(texts.length > 2, 'the page was watched');
      assert.deepEqual(
        texts.filter((text) => /TrustX|trustx-|passkey registration/i.test(text)),
        [],
        'no internal name in any heading or title',
      );

      await page.goto(tenant.runnerUrl('trustx-passkey-registration', '?lang=de'));
      const formDe = await waitForStep(page, 'form', 'Konto anlegen');
      await formDe.getByLabel('Benutzername').fill('taken');
      await formDe.getByLabel('Anzeigename').fill('Jemand');
      await formDe.getByRole('button', { name: 'Weiter' }).click();
      const rejectedDe = await waitForStep(page, 'rejection', 'Das hat nicht geklappt');
      assert.equal(await rejectedDe.locator('[data-code="IDENTIFIER_TAKEN"]').textContent(), TAKEN_DE);

      // The sign-up page: the same sentence, beside the username field.
      await page.goto(`${storeBase()}/signup`);
      await page.getByLabel('Username').fill('taken');
      await page.getByRole('button', { name: 'Create account with a passkey' }).click();
      await assertBesideField(page, 'identifier', TAKEN_EN);
      if (shots) await screenshotViews(page, 'consistency-signup-taken-en');
      await page.goto(`${storeBase()}/signup?lang=de`);
      await page.getByLabel('Benutzername').fill('taken');
      await page.getByRole('button', { name: 'Konto mit Passkey erstellen' }).click();
      await assertBesideField(page, 'identifier', TAKEN_DE);
      assert.deepEqual(problems(), []);
    });

    test('self-service errors: a missing username beside the field (en, de); a cancelled passkey in the page region, not on the field', async () => {
      await page.goto(`${storeBase()}/signup`);
      await page.getByRole('button', { name: 'Create account with a passkey' }).click();
      await assertBesideField(page, 'identifier', 'Please enter your username.');
      assert.deepEqual(await page.evaluate(() => document.activeElement?.id), 'identifier', 'focus on the field');
      if (shots) await screenshotViews(page, 'consistency-signup-required-en');
      // Typing and sending again clears the mark; a cancelled passkey prompt is not about the username.
      await device.detach();
      await page.getByLabel('Username').fill('someone-new');
      await page.getByRole('button', { name: 'Create account with a passkey' }).click();
      await page.locator('#error').getByText('The passkey request was cancelled or timed out. Try again when you are ready.').waitFor();
      assert.equal(await page.locator('#identifier').getAttribute('aria-invalid'), null);
      assert.equal(await page.locator('#identifier-error').textContent(), '');
      await device.attach();

      await page.goto(`${storeBase()}/signin?lang=de`);
      await page.getByRole('button', { name: 'Weiter' }).click();
      await assertBesideField(page, 'identifier', 'Bitte geben Sie Ihren Benutzernamen ein.');
      if (shots) await screenshotViews(page, 'consistency-signin-required-de');
      assert.deepEqual(problems(), []);
    });

    test('sentence-case headings: a form title written in capitals is shown in sentence case, a short one as written', async () => {
      for (const [name, en, de] of [
        ['shouting', 'CONTACT DETAILS', 'KONTAKTDATEN'],
        ['short', 'PIN', 'PIN'],
      ] as const) {
        const created = await tenant.api.post('/api/custom-forms', { name, form: { title: { values: { en, de }, type: 'title' }, components: [] } });
        assert.equal(created.status, 201, JSON.stringify(created.body));
        assert.equal((await tenant.api.post(`/api/custom-forms/${name}/versions/1/publish`)).status, 200);
      }
      await publishJourney(tenant.api, 'capitals', {
        schemaVersion: 1,
        store: STORE,
        access: { public: true },
        start: 'first',
        steps: [
          {
            id: 'first',
            type: 'trustx.customDataForm',
            parameters: { dataFormName: 'shouting' },
            outcomes: { success: 'second', cancel: 'end', timeout: 'end' },
          },
          { id: 'second', type: 'trustx.customDataForm', parameters: { dataFormName: 'short' }, outcomes: { success: 'end', cancel: 'end', timeout: 'end' } },
          { id: 'end', type: 'general.end', parameters: { result: 'rejection', code: 'USER_CANCELLED' } },
        ],
      });
      await page.goto(tenant.runnerUrl('capitals'));
      const first = await waitForStep(page, 'form', 'Contact details');
      assert.equal(await page.title(), 'Contact details · Acme Shop');
      await first.getByRole('button', { name: 'Continue' }).click();
      await waitForStep(page, 'form', 'PIN');
      // A new run (not this tab's session of the English one).
      await page.evaluate(() => sessionStorage.clear());
      await page.goto(tenant.runnerUrl('capitals', '?lang=de'));
      await waitForStep(page, 'form', 'Kontaktdaten');
    });

    test('Mosaic Login Form: a refused passkey brings the form back with a visible message and Try again (en, de)', async () => {
      // A discoverable passkey for this RP that the server does not know: the sign-in is refused.
      const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      const stranger = await webauthn.addVirtualAuthenticator({
        protocol: 'ctap2',
        transport: 'usb',
        hasResidentKey: true,
        hasUserVerification: true,
        isUserVerified: true,
      });
      const saved = await device.credentials();
      await device.detach();
      await webauthn.addCredential(stranger, {
        credentialId: randomBytes(16).toString('base64'),
        isResidentCredential: true,
        rpId: RP_ID,
        privateKey: privateKey.export({ type: 'pkcs8', format: 'der' }).toString('base64'),
        userHandle: randomBytes(16).toString('base64'),
        signCount: 0,
      });
      try {
        for (const [lang, heading, button, message, retry] of [
          ['en', 'Sign in', 'Sign in with a passkey', 'That passkey was not accepted. Try again, or choose another passkey.', 'Try again'],
          [
            'de',
            'Anmelden',
            'Mit einem Passkey anmelden',
            'Dieser Passkey wurde nicht angenommen. Versuchen Sie es erneut oder wählen Sie einen anderen Passkey.',
            'Erneut versuchen',
          ],
        ] as const) {
          const answers = recordRuntime(page);
          await page.goto(tenant.runnerUrl('mosaic-passkey-sign-in', `?lang=${lang}`));
          const login = await waitForStep(page, 'loginForm', heading);
          const submitted = page.waitForResponse((response) => response.url().endsWith('/submit'));
          await login.getByRole('button', { name: button }).click();
          await submitted;
          await page.locator('#error').getByText(message).waitFor();
          const back = await answers.first((a) => a.url.endsWith('/submit'));
          assert.equal(back?.body.journeyStepId, 'loginForm', 'the journey came back to the form');
          assert.equal(typeof (back?.body.data?.previousError as { code?: unknown } | undefined)?.code, 'string', 'with the refusal’s code');
          assert.equal(await page.evaluate(() => document.activeElement?.textContent), retry, 'focus on Try again');
          await waitForStep(page, 'loginForm', heading);
          if (shots) await screenshotViews(page, `consistency-login-refused-${lang}`);
        }
      } finally {
        await webauthn.removeVirtualAuthenticator(stranger);
        await device.attach();
        assert.equal((await device.credentials()).length, saved.length);
      }
      assert.deepEqual(problems(), []);
    });

    test('success is not a dead end: return_to, else the store’s application URL, else its passkeys page, else “close this window”', async () => {
      // Chrome's virtual authenticator keeps at most three discoverable credentials: a fresh one for every three sign-ups.
      const freshAuthenticator = async () => {
        if (device.authenticatorId) await webauthn.removeVirtualAuthenticator(device.authenticatorId);
        device.authenticatorId = await webauthn.addVirtualAuthenticator(PLATFORM_AUTHENTICATOR);
      };
      await freshAuthenticator();
      await registerThroughJourney(page, tenant, 'ruth', `?return_to=${encodeURIComponent('/acme/identity/customers/passkeys?from=journey')}`);
      assert.equal(await page.getByRole('link', { name: 'Continue to the application' }).getAttribute('href'), `${storeBase()}/passkeys?from=journey`);

      await configureSelfService(tenant, { enabled: false });
      await registerThroughJourney(page, tenant, 'edsger');
      await page.locator('#step').getByText('You can close this window now.').waitFor();

      await configureSelfService(tenant, { enabled: true });
      await registerThroughJourney(page, tenant, 'grace');
      await page.getByRole('link', { name: 'Manage your passkeys' }).click();
      await page.waitForURL(`${storeBase()}/passkeys`);

      // Last: following the link to another site leaves this page's virtual authenticator behind.
      await freshAuthenticator();
      await configureSelfService(tenant, { enabled: true, applicationUrl: APP });
      await registerThroughJourney(page, tenant, 'alan', '', shots ? 'consistency-runner' : undefined);
      if (shots) await screenshotViews(page, 'consistency-runner-success-en');
      await page.getByRole('link', { name: 'Continue to the application' }).click();
      await page.waitForURL(APP);
      await page.getByRole('heading', { name: 'Welcome back to Acme' }).waitFor();
      assert.deepEqual(problems(), []);
    });

    test('my passkeys: the provider’s name, times with their zone, the current passkey’s last use; sign-up leads to the application', async () => {
      const context = await browser.newContext({ timezoneId: 'Asia/Tokyo', locale: 'en-US' });
      try {
        await serveApplication(context);
        const own = await context.newPage();
        const watch = watchPage(own);
        const cdp = await context.newCDPSession(own);
        await cdp.send('WebAuthn.enable', { enableUI: false });
        await cdp.send('WebAuthn.addVirtualAuthenticator', {
          options: {
            protocol: 'ctap2',
            transport: 'internal',
            hasResidentKey: true,
            hasUserVerification: true,
            isUserVerified: true,
            automaticPresenceSimulation: true,
          },
        });
        await configureSelfService(tenant, { enabled: true, applicationUrl: APP });
        await own.goto(`${storeBase()}/signup`);
        await own.getByLabel('Username').fill('pat@example.com');
        await own.getByRole('button', { name: 'Create account with a passkey' }).click();
        await own.waitForURL(APP);

        const listed = tenant.backend.expect(await tenant.backend.call('GET', `/api/identity-store/stores/${STORE}/users?userKey=pat%40example.com`), 200).body;
        await addCataloguedPasskey(tenant, server.origin, listed.items[0].id);
        await own.goto(`${storeBase()}/passkeys`);
        await own.locator('#passkey-list > li').nth(1).waitFor();
        const current = own.locator('#passkey-list > li', { has: own.locator('.badge.current') });
        await current.getByText('Used for this sign-in').waitFor();
        // The device it was created on, from the browser that registered it (headless Chromium on Linux).
        assert.equal(await current.locator('.created-on').textContent(), 'Chrome on Linux');
        const lastUsed = current.locator('.dates > div').nth(1);
        assert.equal(await lastUsed.locator('dt').textContent(), 'Last used');
        assert.match((await lastUsed.locator('dd').textContent()) ?? '', /GMT\+9$/, 'a time, with its zone (never “never” beside “Used for this sign-in”)');
        assert.match((await current.locator('.dates > div').first().locator('dd').textContent()) ?? '', /GMT\+9$/);
        const synced = own.locator('#passkey-list > li', { has: own.getByRole('heading', { name: 'Google Password Manager' }) });
        await synced.locator('.badge.synced').getByText('Synced').waitFor();
        assert.equal(await synced.locator('.created-on').count(), 0, 'registered through the admin API: no device');
        await synced.getByText('never').waitFor();
        assert.equal(await own.getByRole('link', { name: 'Continue to the application' }).getAttribute('href'), APP);
        if (shots) await screenshotViews(own, 'consistency-passkeys-en');

        await own.goto(`${storeBase()}/passkeys?lang=de`);
        await own.locator('#passkey-list > li').nth(1).waitFor();
        const currentDe = own.locator('#passkey-list > li', { has: own.locator('.badge.current') });
        await currentDe.getByText('Für diese Anmeldung').waitFor();
        assert.match((await currentDe.locator('.dates > div').nth(1).locator('dd').textContent()) ?? '', /GMT\+9$/);
        if (shots) await screenshotViews(own, 'consistency-passkeys-de');
        assert.deepEqual(watch.problems(), []);
        // The other pages at 360 px, in a page without an authenticator (one holding a passkey would answer the
        // sign-in page's autofill request at once and sign in).
        const plain = await context.newPage();
        await plain.setViewportSize({ width: 360, height: 720 });
        for (const lang of ['en', 'de']) {
          for (const view of ['signin', 'signup', 'recover']) {
            await plain.goto(`${storeBase()}/${view}?lang=${lang}`);
            await plain.locator('h1').waitFor();
            await assertNothingWraps(plain, `${view} (${lang}) at 360 px`);
          }
        }
      } finally {
        await configureSelfService(tenant, { enabled: true });
        await context.close();
      }
    });
  });
}
