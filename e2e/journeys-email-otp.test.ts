// The e-mail one-time code step (general.emailOtp) in the hosted journey runner, in Chromium, with a real SMTP
// listener, on both databases: a wrong code then the right one leads to `success`; a code past its lifetime to
// `expired`; a new code on request, then too many wrong codes to `failed`. Each outcome leads to a form that names it.
// A sign-in journey: a wrong code, then the right one signs the address's owner in (ID token with amr `otp`). Mosaic's
// advice, "register passkeys only for a user who verified their identity (e.g. e-mail OTP)": a code, then Register
// Passkeys for the user it authenticated, on the browser's authenticator.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { DATABASE_KINDS } from '../packages/server/test/support/databases.ts';
import { startSmtpListener, type SmtpListener } from '../packages/server/test/support/smtp-listener.ts';
import { axeViolations } from './support/axe.ts';
import { launchChromium, WebAuthnPage } from './support/browser.ts';
import { REGISTRATION_POLICY, RP_ID } from './support/hosted-pages.ts';
import { watchPage } from './support/hosted-pages.ts';
import { verifyIdToken } from './support/id-token.ts';
import {
  Device,
  journeyScreenshot,
  publishJourney,
  recordRuntime,
  setUpJourneyTenant,
  STORE,
  waitForStep,
  type JourneyTenant,
} from './support/journey-runner.ts';
import { startSelfServiceServer, type SelfServiceServer } from './support/selfservice-server.ts';

const ADDRESS = 'otp@example.com';
/** The address of a user of the store, whom the sign-in journey's code authenticates. */
const OWNER = 'grace@example.com';

let browser: Browser;
before(async () => {
  browser = await launchChromium();
});
after(async () => {
  await browser?.close();
});

/** The code in an e-mail's text part. */
function codeOf(text: string): string {
  const code = /Your code: (\d{6})/.exec(text)?.[1];
  assert.ok(code, `the e-mail carries a code: ${text}`);
  return code;
}

/** A 6-digit code that is not `code`. */
const wrong = (code: string) => String((Number(code) + 1) % 1_000_000).padStart(6, '0');

for (const kind of DATABASE_KINDS) {
  describe(`e-mail one-time code in the runner (${kind})`, () => {
    let smtp: SmtpListener;
    let server: SelfServiceServer;
    let tenant: JourneyTenant;
    let webauthn: WebAuthnPage;
    let page: Page;
    let problems: () => string[];

    before(async () => {
      smtp = await startSmtpListener();
      server = await startSelfServiceServer(kind, smtp.env);
      tenant = await setUpJourneyTenant(server);
      for (const [name, title] of [
        ['otp-ok', 'Code accepted'],
        ['otp-failed', 'Too many wrong codes'],
        ['otp-expired', 'Code expired'],
      ] as const) {
        const form = await tenant.api.post('/api/custom-forms', {
          name,
          form: {
            title: { values: { en: title }, type: 'title' },
            components: [{ type: 'paragraph', id: 'note', label: { values: { en: '' } }, values: { en: `${title}.` }, index: 0 }],
          },
        });
        assert.equal(form.status, 201);
        assert.equal((await tenant.api.post(`/api/custom-forms/${name}/versions/1/publish`)).status, 200);
      }
      const marker = (id: string, form: string) => ({
        id,
        type: 'trustx.customDataForm',
        parameters: { dataFormName: form },
        outcomes: { success: 'end', cancel: 'end' },
      });
      await publishJourney(tenant.api, 'email-code', {
        schemaVersion: 1,
        store: STORE,
        access: { public: true },
        start: 'otp',
        steps: [
          {
            id: 'otp',
            type: 'general.emailOtp',
            parameters: { emailAddress: ADDRESS, maxAttempts: 3, maxResends: 1, codeLifetimeSeconds: 300 },
            outcomes: { success: 'ok', failed: 'failed', expired: 'expired', cancel: 'end' },
          },
          marker('ok', 'otp-ok'),
          marker('failed', 'otp-failed'),
          marker('expired', 'otp-expired'),
          { id: 'end', type: 'general.end', parameters: { result: 'rejection', code: 'JOURNEY_REJECTED' } },
        ],
      });
      await publishJourney(tenant.api, 'email-sign-in', {
        schemaVersion: 1,
        store: STORE,
        access: { public: true },
        start: 'otp',
        steps: [
          {
            id: 'otp',
            type: 'general.emailOtp',
            parameters: { emailAddress: OWNER, maxAttempts: 3 },
            outcomes: { success: 'signedIn', failed: 'end', expired: 'end', cancel: 'end' },
          },
          { id: 'signedIn', type: 'general.end', parameters: { result: 'success' } },
          { id: 'end', type: 'general.end', parameters: { result: 'rejection', code: 'JOURNEY_REJECTED' } },
        ],
      });
      await publishJourney(tenant.api, 'verify-then-passkey', {
        schemaVersion: 1,
        store: STORE,
        access: { public: true },
        start: 'otp',
        steps: [
          {
            id: 'otp',
            type: 'general.emailOtp',
            parameters: { emailAddress: 'hana@example.com' },
            outcomes: { success: 'register', failed: 'end', expired: 'end', cancel: 'end' },
          },
          {
            id: 'register',
            type: 'mosaic.registerPasskeys',
            parameters: { userAuthState: 'authenticated', relyingPartyId: RP_ID, registrationPolicy: REGISTRATION_POLICY },
            outcomes: { success: 'done', failure: 'end', cancel: 'end' },
          },
          { id: 'done', type: 'general.end', parameters: { result: 'success' } },
          { id: 'end', type: 'general.end', parameters: { result: 'rejection', code: 'JOURNEY_REJECTED' } },
        ],
      });
      webauthn = await WebAuthnPage.open(browser, `${server.origin}/healthz`);
      page = webauthn.page;
      await new Device(webauthn).attach();
      ({ problems } = watchPage(page));
    });
    after(async () => {
      await webauthn?.close();
      await server?.close();
      await smtp?.close();
    });

    /** A new instance of the journey in the runner, and the code it e-mailed. */
    async function startAndReadCode(journeyId = 'email-code', address = ADDRESS, masked = 'o••@example.com'): Promise<string> {
      await page.evaluate(() => sessionStorage.clear());
      const mails = smtp.mails.length;
      await page.goto(tenant.runnerUrl(journeyId));
      await waitForStep(page, 'emailOtp', 'Enter the code we e-mailed you');
      await page.getByText(`We sent a 6-digit code to ${masked}.`).waitFor();
      assert.equal(await server.deliverEmails(), 1);
      const mail = await smtp.waitFor(mails + 1);
      assert.deepEqual(mail.to, [address]);
      assert.equal(mail.subject, 'Your Acme Shop code');
      return codeOf(mail.text);
    }

    async function enter(code: string): Promise<void> {
      await page.getByLabel('Code').fill(code);
      await page.getByRole('button', { name: 'Continue' }).click();
    }

    test(`a wrong code, then the right one → success (${kind})`, async () => {
      const code = await startAndReadCode();
      if (kind === 'sqlite') await journeyScreenshot(page, 'email-otp-en');
      assert.deepEqual(await axeViolations(page), []);
      await enter(wrong(code));
      await page.getByRole('alert').filter({ hasText: 'That code is not right. Attempts left: 2.' }).waitFor();
      if (kind === 'sqlite') await journeyScreenshot(page, 'email-otp-wrong-en');
      await enter(code);
      await waitForStep(page, 'form', 'Code accepted');
      assert.deepEqual(problems(), []);
    });

    test(`a code past its lifetime → expired (${kind})`, async () => {
      const code = await startAndReadCode();
      server.clock.advance(301_000);
      await enter(code);
      await waitForStep(page, 'form', 'Code expired');
    });

    test(`a new code on request; the old one no longer works; too many wrong codes → failed (${kind})`, async () => {
      const first = await startAndReadCode();
      const mails = smtp.mails.length;
      await page.getByRole('button', { name: 'Send a new code' }).click();
      await page.getByRole('status').filter({ hasText: 'A new code is on its way.' }).waitFor();
      assert.equal(await page.getByRole('button', { name: 'Send a new code' }).count(), 0, 'one resend allowed');
      assert.equal(await server.deliverEmails(), 1);
      const second = codeOf((await smtp.waitFor(mails + 1)).text);
      if (first !== second) {
        await enter(first);
        await page.getByRole('alert').filter({ hasText: 'Attempts left: 2.' }).waitFor();
      } else await enter(wrong(second));
      await enter(wrong(second));
      await page.getByRole('alert').filter({ hasText: 'Attempts left: 1.' }).waitFor();
      await enter(wrong(second));
      await waitForStep(page, 'form', 'Too many wrong codes');
    });

    test(`sign-in: a wrong code, then the right one signs the address's owner in, amr otp (${kind})`, async () => {
      const owner = await tenant.backend.createUser({ userKey: 'grace', email: OWNER });
      const answers = recordRuntime(page);
      const code = await startAndReadCode('email-sign-in', OWNER, 'g••••@example.com');
      await enter(wrong(code));
      await page.getByRole('alert').filter({ hasText: 'That code is not right. Attempts left: 2.' }).waitFor();
      await enter(code);
      await waitForStep(page, 'success', 'All done');
      await page.getByText('You are signed in as grace.').waitFor();
      const success = await answers.first((answer) => answer.body.journeyStepId === 'success');
      assert.ok(success, JSON.stringify(answers));
      const { payload } = await verifyIdToken(server.http, tenant.tenantId, success.body.data?.idToken);
      assert.equal(payload.sub, owner.id);
      // RFC 8176: a one-time code, not a hardware or software key; no passkey facts.
      assert.deepEqual(payload.amr, ['otp']);
      assert.equal(payload.cred_id, undefined);
      assert.equal(payload.keyway_device_bound, undefined);
      assert.deepEqual(problems(), []);
    });

    test(`a code first, then Register Passkeys for the user it authenticated: the passkey is stored for that user (${kind})`, async () => {
      const hana = await tenant.backend.createUser({ userKey: 'hana', email: 'hana@example.com' });
      const code = await startAndReadCode('verify-then-passkey', 'hana@example.com', 'h•••@example.com');
      await enter(code);
      const step = await waitForStep(page, 'registerPasskeys', 'Add a passkey');
      await step.getByRole('button', { name: 'Create a passkey' }).click();
      await waitForStep(page, 'success', 'All done');
      const passkeys = await tenant.backend.listPasskeys(hana.id);
      assert.equal(passkeys.length, 1);
      assert.equal(passkeys[0]!.rpId, RP_ID);
      assert.deepEqual(problems(), []);
    });
  });
}
