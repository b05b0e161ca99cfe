// Custom pages in real Chromium: a page served for a journey step runs sandboxed under its CSP (no network, no cookies,
// an opaque origin) inside the runner's iframe; the bridge gives it the step's session data, relays a WebAuthn request
// to the runner and returns the page's answer by postMessage; a plain HTML form works through the bridge unchanged; a
// foreign origin cannot frame the page.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from '../../../../e2e/support/browser.ts';
import { DATABASE_KINDS } from '../support/databases.ts';
import { startTestServer, type TestServer } from '../support/test-server.ts';

const PROBING_PAGE = `<!doctype html><html><head><title>probe</title></head><body><p>probe</p><script>
(async () => {
  const report = { sessionData: keyway.sessionData, constants: keyway.constants };
  try { await fetch('/healthz'); report.fetch = 'allowed'; } catch { report.fetch = 'blocked'; }
  try { report.cookie = document.cookie; } catch (error) { report.cookie = error.name; }
  report.origin = window.origin;
  report.credential = await keyway.createCredential({ challenge: 'Y2hhbGxlbmdl' });
  try { await keyway.getCredential({ challenge: 'x' }); } catch (error) { report.getError = error.name; }
  const answers = [keyway.submit(report), keyway.submit({ again: true }), keyway.cancel()];
  document.body.dataset.answers = JSON.stringify(answers);
})();
</script></body></html>`;

const SEED_FORM_PAGE = `<html lang="en"><head><meta charset="UTF-8"><title>Passkey Demo</title></head><body>
<form id="registration"><h1>Register with Passkey</h1>
<input id="name" name="name" placeholder="Name" value="john.doe" />
<input id="displayName" name="displayName" placeholder="Display Name" value="John Doe" />
<button type="submit">Register</button></form></body></html>`;

/** The runner side of the bridge (what the hosted runner does): relays WebAuthn requests and records what the page sends. */
const RUNNER = (
  src: string,
) => `<!doctype html><html><body><iframe id="page" sandbox="allow-scripts allow-forms" src="${src}" onload="window.loaded = true"></iframe><script>
window.received = [];
window.addEventListener('message', (event) => {
  const frame = document.getElementById('page').contentWindow;
  if (event.source !== frame || !event.data || event.data.keyway !== 1) return;
  window.received.push({ origin: event.origin, data: event.data });
  if (event.data.type === 'keyway:webauthn:create') frame.postMessage({ keyway: 1, type: 'keyway:webauthn:result', id: event.data.id, credential: { id: 'cred-1', echoed: event.data.options } }, '*');
  if (event.data.type === 'keyway:webauthn:get') frame.postMessage({ keyway: 1, type: 'keyway:webauthn:error', id: event.data.id, name: 'NotAllowedError', message: 'cancelled' }, '*');
});
</script></body></html>`;

async function publishPage(
  server: TestServer,
  api: { post: (path: string, body?: unknown) => Promise<{ status: number }> },
  name: string,
  html: string,
): Promise<void> {
  assert.equal((await api.post('/api/custom-pages', { name, html })).status, 201);
  assert.equal((await api.post(`/api/custom-pages/${name}/versions/1/publish`)).status, 200);
}

/** Serves the runner from the Keyway server's own origin (as the hosted runner is). */
async function openRunner(page: Page, server: TestServer, pageUrl: string): Promise<void> {
  await page.route(`${server.url}/runner-under-test`, (route) => route.fulfill({ status: 200, contentType: 'text/html', body: RUNNER(pageUrl) }));
  await page.goto(`${server.url}/runner-under-test`);
}

const submitted = (page: Page) =>
  page.waitForFunction(() => (window as unknown as { received: { data: { type: string } }[] }).received.find((m) => m.data.type === 'keyway:submit'));

for (const kind of DATABASE_KINDS) {
  describe(`custom pages in Chromium on ${kind}`, () => {
    let server: TestServer;
    let browser: Browser;
    before(async () => {
      server = await startTestServer({ kind });
      const acme = await server.tenant('acme');
      await publishPage(server, acme.api, 'probe', PROBING_PAGE);
      await publishPage(server, acme.api, 'seed-form', SEED_FORM_PAGE);
      browser = await launchChromium();
    });
    after(async () => {
      await browser?.close();
      await server.close();
    });

    test('sandboxed: no network, no cookies, an opaque origin; session data in, WebAuthn relayed through the runner, one answer out', async () => {
      const grant = await server.services.pages.grant({
        tenantId: 'acme',
        sessionId: 'i-1',
        stepId: 'page',
        pageName: 'probe',
        data: { sessionData: { passkeyRegClientRequest: { challenge: 'abc' } }, constants: { brand: 'Acme' } },
      });
      const context = await browser.newContext();
      const page = await context.newPage();
      const violations: string[] = [];
      page.on('console', (message) => {
        if (/Content Security Policy/i.test(message.text())) violations.push(message.text());
      });
      await openRunner(page, server, grant.url);
      await submitted(page);
      const received = (await page.evaluate(() => (window as unknown as { received: unknown[] }).received)) as { origin: string; data: Record<string, any> }[]; // eslint-disable-line @typescript-eslint/no-explicit-any -- test convenience
      assert.deepEqual(
        received.map((m) => m.data.type),
        ['keyway:ready', 'keyway:webauthn:create', 'keyway:webauthn:get', 'keyway:submit'],
      );
      assert.ok(
        received.every((m) => m.origin === 'null'),
        'the page has an opaque origin',
      );
      const report = received.at(-1)!.data.data;
      assert.deepEqual(report.sessionData, { passkeyRegClientRequest: { challenge: 'abc' } });
      assert.deepEqual(report.constants, { brand: 'Acme' });
      assert.equal(report.fetch, 'blocked');
      assert.equal(report.cookie, 'SecurityError');
      assert.equal(report.origin, 'null');
      assert.deepEqual(report.credential, { id: 'cred-1', echoed: { challenge: 'Y2hhbGxlbmdl' } });
      assert.equal(report.getError, 'NotAllowedError');
      const answers = await page.frameLocator('#page').locator('body[data-answers]').getAttribute('data-answers');
      assert.deepEqual(JSON.parse(answers!), [true, false, false], 'a page answers once: later submit/cancel calls are refused');
      const all = (await page.evaluate(() => (window as unknown as { received: { data: { type: string } }[] }).received)).map((m) => m.data.type);
      assert.deepEqual(
        all.filter((type) => type === 'keyway:submit' || type === 'keyway:cancel'),
        ['keyway:submit'],
      );
      assert.ok(
        violations.some((v) => /connect-src/.test(v)),
        `the fetch was blocked by connect-src: ${violations.join(' | ')}`,
      );
      await context.close();
    });

    test('the TrustX processes’ plain HTML form works unchanged: submitting it sends its fields to the runner', async () => {
      const grant = await server.services.pages.grant({
        tenantId: 'acme',
        sessionId: 'i-2',
        stepId: 'page',
        pageName: 'seed-form',
        data: { sessionData: {}, constants: {} },
      });
      const context = await browser.newContext();
      const page = await context.newPage();
      await openRunner(page, server, grant.url);
      const frame = page.frameLocator('#page');
      await frame.locator('#displayName').fill('Jane Doe');
      await frame.getByRole('button', { name: 'Register' }).click();
      const message = (await (await submitted(page)).jsonValue()) as unknown as { data: { data: unknown } };
      assert.deepEqual(message.data.data, { name: 'john.doe', displayName: 'Jane Doe' });
      await context.close();
    });

    test("another origin cannot frame the page (frame-ancestors 'self')", async () => {
      const grant = await server.services.pages.grant({
        tenantId: 'acme',
        sessionId: 'i-3',
        stepId: 'page',
        pageName: 'probe',
        data: { sessionData: {}, constants: {} },
      });
      const context = await browser.newContext();
      const page = await context.newPage();
      await page.route('http://other.test/', (route) => route.fulfill({ status: 200, contentType: 'text/html', body: RUNNER(`${server.url}${grant.url}`) }));
      await page.goto('http://other.test/');
      await page.waitForFunction(() => (window as unknown as { loaded?: boolean }).loaded === true);
      const child = page.frames().find((frame) => frame !== page.mainFrame())!;
      assert.match(child.url(), /^chrome-error:/, 'the browser refused to render the page in a foreign frame');
      assert.deepEqual(await page.evaluate(() => (window as unknown as { received: unknown[] }).received), []);
      await context.close();
    });
  });
}
