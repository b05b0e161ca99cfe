// "I lost my passkey" in a real browser with a real SMTP listener, on both databases: the sign-in page links to the
// lost-passkey page, the user asks for a link, the outbox delivers the e-mail, Chromium follows its link to the
// recovery page and creates a new passkey with the virtual authenticator, then signs in with it. An unknown address
// gets the same answer and no mail; asking too often is refused (429) per e-mail address. With verifyEmail on, the
// sign-up's verification link shows the account and verifies nothing until the reader confirms; "I did not sign up"
// deletes an account someone made with the reader's address, who can then sign up with it.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { DATABASE_KINDS } from '../packages/server/test/support/databases.ts';
import { startSmtpListener, type SmtpListener } from '../packages/server/test/support/smtp-listener.ts';
import { base64ToBase64Url, launchChromium, PLATFORM_AUTHENTICATOR, WebAuthnPage } from './support/browser.ts';
import { axeViolations } from './support/axe.ts';
import { screenshot, setUpHostedStore, watchPage, type HostedStore } from './support/hosted-pages.ts';
import { assertNothingWraps, screenshotViews } from './support/layout.ts';
import { startSelfServiceServer, type SelfServiceServer } from './support/selfservice-server.ts';

const TENANT = 'acme';
const STORE = 'customers';
const EMAIL = 'ada@example.com';
const SENT_EN = 'If an account has this e-mail address, a link is on its way. It works once; check your inbox and spam folder.';

let browser: Browser;
before(async () => {
  browser = await launchChromium();
});
after(async () => {
  await browser?.close();
});

for (const kind of DATABASE_KINDS) {
  describe(`lost passkey by e-mail (${kind})`, () => {
    let smtp: SmtpListener;
    let server: SelfServiceServer;
    let store: HostedStore;
    before(async () => {
      smtp = await startSmtpListener();
      server = await startSelfServiceServer(kind, { ...smtp.env, KEYWAY_RATE_LIMIT_PER_IDENTIFIER: '5' });
      store = await setUpHostedStore(server, TENANT, STORE, 'Acme <Customers>');
    });
    after(async () => {
      await server?.close();
      await smtp?.close();
    });

    test(`the e-mailed link leads to a new passkey, which then signs in (${kind})`, async () => {
      const user = await store.backend.createUser({ userKey: 'ada', email: EMAIL, firstName: 'Ada' });
      assert.equal(user.emailVerified, false, 'the admin API shows the address as not verified');
      const device = await WebAuthnPage.open(browser, store.url('signin'));
      try {
        const page = device.page;
        const watch = watchPage(page);
        const authenticator = await device.addVirtualAuthenticator(PLATFORM_AUTHENTICATOR);
        await page.getByRole('link', { name: 'Lost your passkey?' }).click();
        await page.waitForURL(store.url('lost-passkey'));
        await page.getByLabel('E-mail address').fill(EMAIL.toUpperCase());
        if (kind === 'sqlite') await screenshot(page, 'lost-passkey-en');
        assert.deepEqual(await axeViolations(page), []);
        await page.getByRole('button', { name: 'Send me a link' }).click();
        await page.getByRole('status').filter({ hasText: SENT_EN }).waitFor();
        assert.equal(await page.locator('#lost-passkey-form').isHidden(), true);
        if (kind === 'sqlite') await screenshot(page, 'lost-passkey-sent-en');

        assert.equal(smtp.mails.length, 0, 'nothing is sent before the outbox delivers');
        assert.equal(await server.deliverEmails(), 1);
        const mail = await smtp.waitFor(1);
        assert.deepEqual(mail.to, [EMAIL]);
        assert.equal(mail.subject, 'Recover your Acme <Customers> account');
        const link = /(http:\/\/localhost:\d+\/acme\/identity\/customers\/recover#[A-Za-z0-9_-]+)/.exec(mail.text)?.[1];
        assert.ok(link, `the text part carries the recovery link: ${mail.text}`);
        assert.ok(mail.html.includes('Acme &lt;Customers&gt;'), 'the HTML part escapes the store’s name');
        assert.ok(!mail.html.includes('Acme <Customers>'));
        assert.ok(mail.html.includes(`href="${link}"`), 'the HTML part links to the same page');
        assert.equal(await server.deliverEmails(), 0, 'a delivered e-mail is not sent again');
        if (kind === 'sqlite') {
          // The e-mail as a mail client would show its HTML part (a page of its own, outside Keyway's CSP).
          const viewer = await browser.newPage();
          await viewer.setContent(mail.html);
          await screenshot(viewer, 'lost-passkey-email-en');
          await viewer.close();
        }

        await page.goto(link);
        await page.locator('#recover-account', { hasText: 'Ada (ada)' }).waitFor();
        await page.getByRole('button', { name: 'Create a new passkey' }).click();
        await page.waitForURL(store.url('passkeys'));
        await page.locator('#passkey-list > li').first().waitFor();
        const [created] = await device.getCredentials(authenticator);
        assert.ok(created);
        const passkeys = (await store.backend.listPasskeys(user.id)) as { credentialId: string }[];
        assert.deepEqual(
          passkeys.map((p) => p.credentialId),
          [base64ToBase64Url(created.credentialId)],
        );

        // Signed out, the new passkey signs in: Chrome's virtual authenticator answers the sign-in page's passkey
        // autofill request at once with the discoverable passkey it now holds.
        await device.context.clearCookies();
        await page.goto(store.url('signin'));
        await page.waitForURL(store.url('passkeys'));
        await page.getByText('Signed in as Ada').waitFor();

        // The link worked once.
        const again = await server.http.request(
          'POST',
          `/${TENANT}/identity/${STORE}/recovery/begin`,
          { token: link.split('#')[1] },
          { origin: server.origin },
        );
        assert.equal(again.status, 410);
        assert.equal((again.body as { code: string }).code, 'RECOVERY_LINK_USED');
        assert.deepEqual(watch.problems(), []);
      } finally {
        await device.close();
      }
    });

    test(`an unknown address gets the same answer and no e-mail (${kind})`, async () => {
      const before = smtp.mails.length;
      const ask = (email: string) => server.http.request('POST', `/${TENANT}/identity/${STORE}/recovery/email`, { email }, { origin: server.origin });
      const known = await ask(EMAIL);
      const unknown = await ask('nobody@example.com');
      assert.equal(known.status, 202);
      assert.equal(unknown.status, 202);
      assert.deepEqual(unknown.body, known.body);
      assert.equal(await server.deliverEmails(), 1, 'only the known address is written to');
      await smtp.waitFor(before + 1);
      assert.deepEqual(
        smtp.mails.slice(before).map((m) => m.to),
        [[EMAIL]],
      );

      // In German for a German page.
      const device = await WebAuthnPage.open(browser, `${store.url('lost-passkey')}?lang=de`);
      try {
        // A phone in dark mode.
        await device.page.setViewportSize({ width: 360, height: 740 });
        await device.page.emulateMedia({ colorScheme: 'dark' });
        assert.deepEqual(await axeViolations(device.page), []);
        await device.page.getByLabel('E-Mail-Adresse').fill('niemand@example.com');
        await device.page.getByRole('button', { name: 'Link senden' }).click();
        await device.page.getByRole('status').filter({ hasText: 'Wenn ein Konto diese E-Mail-Adresse hat' }).waitFor();
        if (kind === 'sqlite') await screenshot(device.page, 'lost-passkey-sent-de');
      } finally {
        await device.close();
      }
      assert.equal(await server.deliverEmails(), 0);
    });

    /** Runs `body` with the store's verifyEmail on (and puts the setting back). */
    async function withVerifyEmail(body: () => Promise<void>): Promise<void> {
      const settings = store.backend.expect(await store.backend.call('GET', `/api/identity-store/stores/${STORE}`), 200).body.selfService;
      store.backend.expect(await store.backend.call('PATCH', `/api/identity-store/stores/${STORE}`, { selfService: { ...settings, verifyEmail: true } }), 200);
      try {
        await body();
      } finally {
        store.backend.expect(await store.backend.call('PATCH', `/api/identity-store/stores/${STORE}`, { selfService: settings }), 200);
      }
    }

    /** Signs `address` up on the hosted sign-up page (a virtual authenticator of its own) and answers the verification link e-mailed for it. */
    async function signUpOnPage(address: string): Promise<{ device: WebAuthnPage; link: string; userId: string }> {
      const before = smtp.mails.length;
      const device = await WebAuthnPage.open(browser, store.url('signup'));
      await device.addVirtualAuthenticator(PLATFORM_AUTHENTICATOR);
      await device.page.getByLabel('Username').fill(address);
      await device.page.getByRole('button', { name: 'Create account with a passkey' }).click();
      await device.page.waitForURL(store.url('passkeys'));
      const listed = store.backend.expect(
        await store.backend.call('GET', `/api/identity-store/stores/${STORE}/users?userKey=${encodeURIComponent(address)}`),
        200,
      ).body;
      assert.equal(listed.items[0].email, address);
      assert.equal(listed.items[0].emailVerified, false);
      assert.equal(await server.deliverEmails(), 1);
      const mail = await smtp.waitFor(before + 1);
      assert.deepEqual(mail.to, [address]);
      assert.equal(mail.subject, 'Confirm your e-mail address for Acme <Customers>');
      assert.match(mail.text, /choose “No, I did not sign up”/, 'the e-mail tells a reader who did not sign up what to do');
      const link = /(http:\/\/localhost:\d+\/acme\/identity\/customers\/verify-email#[A-Za-z0-9_-]+)/.exec(mail.text)?.[1];
      assert.ok(link, mail.text);
      return { device, link, userId: listed.items[0].id };
    }

    const userById = async (id: string) => store.backend.call('GET', `/api/identity-store/stores/${STORE}/users/${id}`);

    test(`with verifyEmail on, the e-mailed link shows the account first and verifies only when confirmed (${kind})`, async () => {
      await withVerifyEmail(async () => {
        const refused = await server.http.request(
          'POST',
          `/${TENANT}/identity/${STORE}/register/webauthn/begin`,
          { identifier: 'grace' },
          { origin: server.origin },
        );
        assert.equal(refused.status, 400, 'the identifier must be an e-mail address');
        assert.equal((refused.body as { code: string }).code, 'VALIDATION_FAILED');
        const { device, link, userId } = await signUpOnPage('grace@example.com');
        try {
          const page = device.page;
          const watch = watchPage(page);
          await page.goto(link);
          // Opening the link (as a mail scanner would) shows the account and changes nothing.
          await page.locator('#verify-account', { hasText: 'grace@example.com' }).waitFor();
          await page.getByRole('heading', { name: 'Did you create this account?' }).waitFor();
          const confirm = page.getByRole('button', { name: 'Yes, confirm my address', disabled: false });
          await confirm.waitFor();
          assert.equal(await page.getByRole('button', { name: 'No, I did not sign up' }).getAttribute('aria-describedby'), 'disown-hint');
          assert.match(await page.locator('#disown-hint').innerText(), /the account and its passkeys are deleted/);
          assert.match(await page.locator('#verify-created').innerText(), /\d{4}/, 'the creation time is shown');
          assert.equal(store.backend.expect(await userById(userId), 200).body.emailVerified, false, 'not verified by opening the link');
          assert.deepEqual(await axeViolations(page), []);
          if (kind === 'sqlite') await screenshotViews(page, 'selfservice-verify-email-ask');

          await confirm.click();
          await page.getByRole('status').filter({ hasText: 'Thank you: grace@example.com is confirmed.' }).waitFor();
          assert.equal(await page.locator('#verify-details').isHidden(), true, 'the choice is gone');
          assert.equal(await page.evaluate(() => document.activeElement?.id), 'verify-title', 'focus moves to the heading');
          assert.equal(new URL(page.url()).hash, '', 'the spent link leaves the address bar');
          assert.deepEqual(await axeViolations(page), []);
          if (kind === 'sqlite') await screenshot(page, 'verify-email-en');
          const user = store.backend.expect(await userById(userId), 200).body;
          assert.equal(user.emailVerified, true);
          const changed = store.backend.expect(
            await store.backend.call('PATCH', `/api/identity-store/stores/${STORE}/users/${user.id}`, { email: 'grace@example.org' }),
            200,
          ).body;
          assert.equal(changed.emailVerified, false, 'a new address starts unverified');

          const again = await server.http.request(
            'POST',
            `/${TENANT}/identity/${STORE}/email/verify`,
            { token: link.split('#')[1] },
            { origin: server.origin },
          );
          assert.equal(again.status, 410);
          assert.equal((again.body as { code: string }).code, 'EMAIL_VERIFICATION_USED');
          // Opened again, the page says so in words, and offers nothing to press.
          await page.goto(link);
          await page.getByRole('alert').filter({ hasText: 'This link has already been used.' }).waitFor();
          assert.equal(await page.locator('#verify-details').isHidden(), true);
          assert.deepEqual(watch.problems(), []);
        } finally {
          await device.close();
        }
      });
    });

    test(`“I did not sign up”: the account someone made with my address is deleted, and I sign up with it (${kind})`, async () => {
      await withVerifyEmail(async () => {
        // Someone signs up with the victim's address and a passkey of their own.
        const attacker = await signUpOnPage('victim@example.com');
        // The victim opens the link in German, on a phone in dark mode, and answers with the keyboard.
        const victim = await WebAuthnPage.open(browser, 'about:blank');
        try {
          const page = victim.page;
          const watch = watchPage(page);
          await page.setViewportSize({ width: 360, height: 740 });
          await page.emulateMedia({ colorScheme: 'dark' });
          const [address, token] = attacker.link.split('#');
          await page.goto(`${address}?lang=de#${token}`);
          await page.locator('#verify-account', { hasText: 'victim@example.com' }).waitFor();
          const disown = page.getByRole('button', { name: 'Nein, das war ich nicht', disabled: false });
          await disown.waitFor();
          assert.match(await page.locator('#disown-hint').innerText(), /das Konto und seine Passkeys gelöscht/);
          assert.deepEqual(await axeViolations(page), []);
          await assertNothingWraps(page, 'verify-email (de) at 360 px');
          if (kind === 'sqlite') await screenshot(page, 'verify-email-ask-de-dark-360');

          await disown.focus();
          await page.keyboard.press('Enter');
          await page.getByRole('status').filter({ hasText: 'Erledigt: Das Konto wurde gelöscht.' }).waitFor();
          assert.equal(await page.locator('#verify-details').isHidden(), true);
          assert.equal(await page.evaluate(() => document.activeElement?.id), 'verify-title');
          const signUp = page.getByRole('link', { name: 'Konto erstellen' });
          await signUp.waitFor();
          assert.deepEqual(await axeViolations(page), []);
          if (kind === 'sqlite') await screenshot(page, 'verify-email-disowned-de-dark-360');

          // The account is gone, and its holder signed out.
          store.backend.expect(await userById(attacker.userId), 404, 'USER_NOT_FOUND');
          const me = await attacker.device.page.evaluate(async (url) => (await fetch(url)).status, `${store.base}/me`);
          assert.equal(me, 401);

          // The address is free: the victim signs up with it from the page's link.
          await victim.addVirtualAuthenticator(PLATFORM_AUTHENTICATOR);
          await signUp.click();
          await page.waitForURL(`${store.url('signup')}?lang=de`);
          await page.getByLabel('Benutzername').fill('victim@example.com');
          await page.getByRole('button', { name: 'Konto mit Passkey erstellen' }).click();
          await page.waitForURL(/\/passkeys/);
          const listed = store.backend.expect(
            await store.backend.call('GET', `/api/identity-store/stores/${STORE}/users?userKey=victim%40example.com`),
            200,
          ).body;
          assert.equal(listed.items.length, 1);
          assert.notEqual(listed.items[0].id, attacker.userId);
          assert.equal(await server.deliverEmails(), 1, 'the new account gets its own verification e-mail');
          assert.deepEqual(watch.problems(), []);
        } finally {
          await victim.close();
          await attacker.device.close();
        }
      });
    });

    test(`asking too often for one address is refused (${kind})`, async () => {
      const ask = () => server.http.request('POST', `/${TENANT}/identity/${STORE}/recovery/email`, { email: 'limit@example.com' }, { origin: server.origin });
      // The limits count in fixed one-minute windows: on a running clock the six asks can straddle two of them (a run
      // did, and the sixth was a first ask of the new window). Stopped, they all fall in one.
      server.clock.freeze();
      for (let i = 0; i < 5; i++) assert.equal((await ask()).status, 202);
      const refused = await ask();
      assert.equal(refused.status, 429);
      assert.equal((refused.body as { code: string }).code, 'RATE_LIMITED');
      assert.ok(refused.headers.get('retry-after'));
    });
  });
}

for (const kind of DATABASE_KINDS) {
  describe(`without SMTP (${kind})`, () => {
    let server: SelfServiceServer;
    let store: HostedStore;
    before(async () => {
      server = await startSelfServiceServer(kind);
      store = await setUpHostedStore(server, TENANT, STORE, 'Acme');
    });
    after(async () => {
      await server?.close();
    });

    test(`e-mail features answer EMAIL_NOT_CONFIGURED and the sign-in page offers no link (${kind})`, async () => {
      const asked = await server.http.request('POST', `/${TENANT}/identity/${STORE}/recovery/email`, { email: EMAIL }, { origin: server.origin });
      assert.equal(asked.status, 503);
      assert.equal((asked.body as { code: string }).code, 'EMAIL_NOT_CONFIGURED');
      const settings = store.backend.expect(await store.backend.call('GET', `/api/identity-store/stores/${STORE}`), 200).body.selfService;
      store.backend.expect(
        await store.backend.call('PATCH', `/api/identity-store/stores/${STORE}`, { selfService: { ...settings, verifyEmail: true } }),
        503,
        'EMAIL_NOT_CONFIGURED',
      );
      const signin = await fetch(store.url('signin'));
      const html = await signin.text();
      assert.ok(!html.includes('lost-passkey'), 'no link to the lost-passkey page');
      const lost = await fetch(store.url('lost-passkey'));
      assert.match(await lost.text(), /This service cannot send e-mail/);
    });
  });
}
