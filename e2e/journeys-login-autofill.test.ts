// Passkey autofill on the Mosaic Login Form in the hosted journey runner: Debian Chromium + Chrome's virtual
// authenticator against the real server on both databases. Chrome's virtual authenticator answers a conditional
// (autofill) request at once when it holds a discoverable credential for the RP, as a user picking the passkey from
// the username field's suggestions would; with the credential lent out the request waits. Covered: the autofill
// sign-in; the button while autofill waits (the conditional request is aborted, a modal one follows); a typed
// username submitted with Enter; a replayed and a stale autofill answer refused; a browser without conditional mediation keeps
// the plain form; axe in English and German; screenshots (light, dark, 360 px).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { decodeJwt } from 'jose';
import type { Browser, Page } from 'playwright-core';
import { DATABASE_KINDS } from '../packages/server/test/support/databases.ts';
import { axeViolations } from './support/axe.ts';
import { launchChromium, PLATFORM_AUTHENTICATOR, WebAuthnPage, type VirtualCredential } from './support/browser.ts';
import { AUTHENTICATION_POLICY, RP_ID, recordWebAuthnCalls, watchPage, type WebAuthnCall } from './support/hosted-pages.ts';
import { journeyScreenshot, publishJourney, recordRuntime, setUpJourneyTenant, STORE, waitForStep, type JourneyTenant } from './support/journey-runner.ts';
import { layoutDefects } from './support/layout.ts';
import { startSelfServiceServer, type SelfServiceServer } from './support/selfservice-server.ts';

let browser: Browser;
before(async () => {
  browser = await launchChromium();
});
after(async () => {
  await browser?.close();
});

const JOURNEY = 'autofill-sign-in';

/** Login Form with autofill → Passkey Authentication (a failure rejects with the ceremony's code) → success. */
const AUTOFILL_JOURNEY = {
  schemaVersion: 1,
  name: 'Sign in with passkey autofill',
  store: STORE,
  access: { public: true },
  start: 'loginForm',
  steps: [
    {
      id: 'loginForm',
      type: 'mosaic.loginForm',
      parameters: { passkeyAutofill: true, relyingPartyId: RP_ID, authenticationPolicy: AUTHENTICATION_POLICY },
      outcomes: { passkeys: 'passkeyAuthentication', cancel: 'cancelled' },
    },
    {
      id: 'passkeyAuthentication',
      type: 'mosaic.passkeyAuthentication',
      parameters: { encodedResult: '${loginData.webauthn_encoded_result}' },
      outcomes: { success: 'end', failure: 'cancelled' },
    },
    { id: 'end', type: 'general.end', parameters: { result: 'success' } },
    { id: 'cancelled', type: 'general.end', parameters: { result: 'rejection', code: 'USER_CANCELLED' } },
  ],
};

/** The page's WebAuthn calls so far (recorded in the page, so a test can wait for one). */
const webAuthnCallCount = (page: Page) => page.evaluate(() => ((window as unknown as { keywayWebAuthnCalls?: unknown[] }).keywayWebAuthnCalls ?? []).length);

/** Waits until the runner has decided on autofill for the Login Form's username field. */
async function autofillDecision(page: Page): Promise<string> {
  const field = page.locator('#field-username[data-autofill]');
  await field.waitFor({ state: 'attached' });
  return (await field.getAttribute('data-autofill'))!;
}

for (const kind of DATABASE_KINDS) {
  describe(`Login Form passkey autofill in the hosted runner (${kind})`, () => {
    let server: SelfServiceServer;
    let tenant: JourneyTenant;
    let device: WebAuthnPage;
    let page: Page;
    let problems: () => string[];
    let calls: WebAuthnCall[];
    let authenticatorId: string;
    let passkey: VirtualCredential;
    let userId: string;
    /** The body the page submitted to answer the Login Form by autofill. */
    let autofillAnswer: { url: string; body: Record<string, unknown> } | undefined;
    const shots = kind === 'sqlite';

    before(async () => {
      server = await startSelfServiceServer(kind);
      tenant = await setUpJourneyTenant(server);
      await publishJourney(tenant.api, JOURNEY, AUTOFILL_JOURNEY);
      device = await WebAuthnPage.open(browser, `${server.origin}/healthz`);
      page = device.page;
      ({ problems } = watchPage(page));
      calls = await recordWebAuthnCalls(device.context);
      authenticatorId = await device.addVirtualAuthenticator(PLATFORM_AUTHENTICATOR);
      // bob and his discoverable passkey, registered by the installed registration journey in the runner.
      await page.goto(tenant.runnerUrl('trustx-passkey-registration'));
      const form = await waitForStep(page, 'form', 'Create your account');
      await form.getByLabel('Username').fill('bob');
      await form.getByLabel('Display name').fill('Bob');
      await form.getByRole('button', { name: 'Continue' }).click();
      const prompt = await waitForStep(page, 'passkeyRegistrationForm');
      await prompt.getByRole('button', { name: 'Create a passkey' }).click();
      await waitForStep(page, 'success');
      [passkey] = (await device.getCredentials(authenticatorId)) as [VirtualCredential];
      assert.equal(passkey.isResidentCredential, true);
      const listed = await tenant.api.get(`/api/identity-store/stores/${STORE}/users?userKey=bob`);
      userId = listed.body.items[0].id;
      page.on('request', (request) => {
        if (request.method() === 'POST' && request.url().endsWith('/submit')) {
          const body = request.postDataJSON() as Record<string, unknown>;
          if ((body.data as Record<string, unknown> | null)?.webauthn_encoded_result) autofillAnswer ??= { url: request.url(), body };
        }
      });
    });
    /** Takes the passkey off the authenticator (kept with its current signature counter, which the server checks). */
    const lendPasskey = async () => {
      passkey = await device.getCredential(authenticatorId, passkey.credentialId);
      await device.removeCredential(authenticatorId, passkey.credentialId);
    };

    after(async () => {
      await device?.close();
      await server?.close();
    });

    test('autofill: the runner arms a conditional request on the username field; picking the passkey signs bob in', async () => {
      const answers = recordRuntime(page);
      calls.length = 0;
      await page.goto(tenant.runnerUrl(JOURNEY));
      const done = await waitForStep(page, 'success', 'All done');
      await done.getByText('You are signed in as bob.').waitFor();
      assert.deepEqual(calls, [{ method: 'get', mediation: 'conditional', descriptors: 0 }], 'one conditional request, discoverable, nothing modal');
      const login = await answers.first((a) => a.body.journeyStepId === 'loginForm');
      assert.ok(login, 'the Login Form was presented');
      const offered = login.body.data as { passkeys: { autofill: boolean; clientRequest: { allowCredentials?: unknown[] } } };
      assert.equal(offered.passkeys.autofill, true);
      assert.deepEqual(offered.passkeys.clientRequest.allowCredentials ?? [], []);
      const end = answers.at(-1)!.body;
      assert.equal(end.journeyStepId, 'success');
      assert.equal(decodeJwt(String(end.data?.idToken)).sub, userId);
      assert.ok(autofillAnswer, 'the page submitted the passkeys branch');
      assert.deepEqual(problems(), []);
    });

    test('an autofill answer replayed to its finished session, or submitted to another journey instance, is refused', async () => {
      assert.ok(autofillAnswer);
      const passkeysBefore = await tenant.backend.listPasskeys(userId);
      // Replayed to the session it answered: that step is over.
      const replayed = await server.http.post(new URL(autofillAnswer.url).pathname, autofillAnswer.body, { origin: server.origin });
      assert.equal(replayed.status, 409, JSON.stringify(replayed.body));
      assert.equal(replayed.body.code, 'JOURNEY_STEP_ALREADY_SUBMITTED');
      // Stale in a new instance: its Login Form issued another challenge, so the signature over the old one fails §7.2.
      const started = await server.http.post(`/${tenant.tenantId}/journeys/${JOURNEY}/start`, {}, { origin: server.origin });
      assert.equal(started.status, 200, JSON.stringify(started.body));
      assert.equal(started.body.journeyStepId, 'loginForm');
      const stale = await server.http.post(
        `/${tenant.tenantId}/journeys/sessions/${started.body.sessionId}/submit`,
        { ...autofillAnswer.body, journeyStepId: 'loginForm' },
        { origin: server.origin },
      );
      assert.equal(stale.status, 200, JSON.stringify(stale.body));
      assert.equal(stale.body.journeyStepId, 'rejection');
      assert.equal(stale.body.data.code, 'CHALLENGE_MISMATCH');
      assert.equal(stale.body.data.idToken, undefined, 'no token');
      assert.deepEqual(await tenant.backend.listPasskeys(userId), passkeysBefore, 'the passkey is unchanged (no use recorded)');
    });

    test('typed username + Enter: the form runs a modal, discoverable request that signs in; one answer sent', async () => {
      // The passkey is lent out so the conditional request waits (as a user not choosing a suggestion).
      await lendPasskey();
      calls.length = 0;
      const answers = recordRuntime(page);
      await page.goto(tenant.runnerUrl(JOURNEY));
      const login = await waitForStep(page, 'loginForm', 'Sign in');
      assert.equal(await autofillDecision(page), 'armed');
      await page.waitForFunction(() => ((window as unknown as { keywayWebAuthnCalls?: unknown[] }).keywayWebAuthnCalls ?? []).length === 1);
      const username = login.getByLabel('Username');
      assert.equal(await username.getAttribute('autocomplete'), 'username webauthn');
      if (shots) {
        await username.focus();
        await journeyScreenshot(page, 'login-autofill-en');
        await page.emulateMedia({ colorScheme: 'dark' });
        await journeyScreenshot(page, 'login-autofill-dark-en');
        await page.emulateMedia({ colorScheme: 'light' });
        await page.setViewportSize({ width: 360, height: 740 });
        assert.deepEqual(await layoutDefects(page), { overflow: 0, wrapped: [] });
        await journeyScreenshot(page, 'login-autofill-360-en');
        await page.setViewportSize({ width: 1280, height: 720 });
      }
      assert.deepEqual(await axeViolations(page), []);
      // The user types instead of choosing a suggestion. Focusing the field makes Chrome's virtual authenticator, which
      // holds no passkey now, answer the conditional request NotAllowedError (a real browser keeps it waiting); the
      // runner then arms autofill again on the field's next focus, never in a loop.
      await username.fill('bob');
      await device.addCredential(authenticatorId, passkey);
      // Enter on the focused field through the keyboard, not the field's locator: an autofill request armed again may
      // already have signed in and replaced the form (see below), and a locator would wait for a field that is gone.
      await page.keyboard.press('Enter');
      await waitForStep(page, 'success', 'All done');
      const modal = calls.filter((c) => c.mediation === 'modal');
      // The virtual authenticator answers a waiting conditional request at once when it holds the passkey again. When
      // its NotAllowedError arrived after the field's focus, the runner armed autofill again before Enter, and that
      // request signs in first: also one answer, also discoverable. Otherwise Enter ran the modal request, last.
      if (modal.length === 0) {
        assert.ok(calls.length >= 2 && calls.every((c) => c.mediation === 'conditional' && c.descriptors === 0), JSON.stringify(calls));
      } else {
        assert.deepEqual(modal, [{ method: 'get', mediation: 'modal', descriptors: 0 }], 'Enter ran one modal, discoverable request');
        assert.deepEqual(calls.at(-1), modal[0], 'after every conditional request had ended');
      }
      assert.ok(calls.length <= 3, `no request loop: ${JSON.stringify(calls)}`);
      assert.equal(decodeJwt(String(answers.at(-1)!.body.data?.idToken)).sub, userId);
      assert.equal(answers.filter((a) => a.url.endsWith('/submit')).length, 1, 'one answer: the aborted autofill sent nothing');
      assert.deepEqual(problems(), []);
    });

    test('German: the username field and its hint; axe clean; the passkey button aborts the waiting conditional request', async () => {
      await lendPasskey();
      calls.length = 0;
      await page.goto(tenant.runnerUrl(JOURNEY, '?lang=de'));
      const login = await waitForStep(page, 'loginForm', 'Anmelden');
      assert.equal(await autofillDecision(page), 'armed');
      await page.waitForFunction(() => ((window as unknown as { keywayWebAuthnCalls?: unknown[] }).keywayWebAuthnCalls ?? []).length === 1);
      await login.getByLabel('Benutzername').waitFor();
      await login.getByText('Wählen Sie Ihren Passkey aus den Vorschlägen dieses Feldes').waitFor();
      if (shots) await journeyScreenshot(page, 'login-autofill-de');
      assert.deepEqual(await axeViolations(page), []);
      await device.addCredential(authenticatorId, passkey);
      await login.getByRole('button', { name: 'Mit einem Passkey anmelden' }).click();
      await waitForStep(page, 'success', 'Fertig');
      assert.deepEqual(
        calls.map((c) => c.mediation),
        ['conditional', 'modal'],
      );
      assert.deepEqual(problems(), []);
    });

    test('SDK: autofill() and signInWithPasskey() in the same moment: only the modal request runs; autofill refuses, the step is answered once', async () => {
      // The runner's module of @keyway/web, as the runner page preloads it (read from the page's HTML: opened in the
      // browser, the page's own autofill would sign in at once with the passkey the authenticator holds).
      const shell = await server.http.get(`/${tenant.tenantId}/journeys/${JOURNEY}`);
      const journeyModule = /<link rel="modulepreload" href="([^"]+\/web\/src\/journey\.js)"/.exec(String(shell.body))?.[1];
      assert.ok(journeyModule, 'the runner preloads the journey client');
      // A same-origin page without a page script (an unknown journey's 404 page), so only the SDK calls below run.
      await page.goto(tenant.runnerUrl('no-such-journey'));
      const started = await server.http.post(`/${tenant.tenantId}/journeys/${JOURNEY}/start`, {}, { origin: server.origin });
      assert.equal(started.status, 200, JSON.stringify(started.body));
      calls.length = 0;
      const outcomes = await page.evaluate(
        async ({ url, baseUrl, sessionId }) => {
          const sdk = await import(url);
          const step = await sdk.resumeJourney({ baseUrl, sessionId });
          const settle = (promise: Promise<{ kind: string }>) =>
            promise.then(
              (next) => ({ ok: true, kind: next.kind }),
              (error: { code?: string }) => ({ ok: false, code: error.code }),
            );
          // Autofill first, the button in the same task: autofill has not reached its conditional request yet.
          const autofill = settle(step.autofill());
          const button = settle(step.signInWithPasskey());
          return { autofill: await autofill, button: await button, answered: step.answered };
        },
        { url: journeyModule, baseUrl: `/${tenant.tenantId}/`, sessionId: started.body.sessionId as string },
      );
      assert.deepEqual(outcomes, { autofill: { ok: false, code: 'ERR_STEP_ANSWERED' }, button: { ok: true, kind: 'success' }, answered: true });
      assert.deepEqual(calls, [{ method: 'get', mediation: 'modal', descriptors: 0 }], 'no conditional request started after the step was claimed');
      assert.deepEqual(problems(), []);
    });

    test('a browser without conditional mediation keeps the plain form: no username field, no request until the button', async () => {
      const plain = await WebAuthnPage.open(browser, `${server.origin}/healthz`);
      try {
        await plain.context.addInitScript(() => {
          const statics = PublicKeyCredential as unknown as Record<string, unknown>;
          delete statics.isConditionalMediationAvailable;
          delete statics.getClientCapabilities;
        });
        const plainCalls = await recordWebAuthnCalls(plain.context);
        // The passkey moves to this browser, with its current signature counter.
        await lendPasskey();
        const id = await plain.addVirtualAuthenticator(PLATFORM_AUTHENTICATOR);
        await plain.addCredential(id, passkey);
        const watched = watchPage(plain.page);
        await plain.page.goto(tenant.runnerUrl(JOURNEY));
        const login = await waitForStep(plain.page, 'loginForm', 'Sign in');
        assert.equal(await autofillDecision(plain.page), 'unavailable');
        assert.equal(await login.getByLabel('Username').isVisible(), false, 'the field is there only for autofill');
        assert.equal(await webAuthnCallCount(plain.page), 0, 'no WebAuthn request yet');
        await login.getByRole('button', { name: 'Sign in with a passkey' }).click();
        await waitForStep(plain.page, 'success', 'All done');
        assert.deepEqual(plainCalls, [{ method: 'get', mediation: 'modal', descriptors: 0 }]);
        assert.deepEqual(watched.problems(), []);
      } finally {
        await plain.close();
      }
    });
  });
}
