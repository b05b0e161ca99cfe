// /docs (Swagger UI, branded Keyway) is served like the hosted pages: the same security headers on
// the page and every asset, a CSP that forbids framing, and it still renders under it in Chromium:
// Keyway's title and bar, the document read from /openapi.json, operations before the error catalogue.
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, Locator } from 'playwright-core';
import { launchChromium } from '../../../../e2e/support/browser.ts';
import { startTestServer, type TestServer } from '../support/test-server.ts';

const ARTIFACTS = resolve(import.meta.dirname, '..', '..', '..', '..', 'test-artifacts');
const SECURITY_HEADERS = [
  'content-security-policy',
  'x-content-type-options',
  'x-frame-options',
  'referrer-policy',
  'cross-origin-opener-policy',
  'permissions-policy',
];

/**
 * Opens the first schema of the models section. Swagger UI virtualises the operations above it: as
 * the page scrolls down to the schema, the list re-measures the operations it now draws and the
 * section moves, so on a loaded machine a click can land before it settles. The click is repeated
 * until the accordion reports itself expanded (Playwright's own checks cover each single click).
 */
async function expandFirstSchema(models: Locator): Promise<void> {
  const accordion = models.locator('.json-schema-2020-12-accordion').first();
  const expanded = accordion.locator('.json-schema-2020-12-accordion__icon--expanded');
  for (let attempt = 1; attempt <= 5; attempt++) {
    if ((await expanded.count()) === 0) await accordion.click();
    try {
      await expanded.waitFor({ timeout: 5_000 });
      return;
    } catch {
      // The click went elsewhere while the list re-measured: look again and click again.
    }
  }
  assert.fail('the first schema did not expand after five clicks');
}

describe('API docs', () => {
  let server: TestServer;
  let browser: Browser;
  before(async () => {
    server = await startTestServer({ kind: 'sqlite' });
    browser = await launchChromium();
  });
  after(async () => {
    await browser.close();
    await server.close();
  });

  test('/docs and its assets carry the hosted pages’ security headers, with frame-ancestors none', async () => {
    // A hosted page (the not-found page of an unknown tenant is one) as the reference.
    const hosted = await fetch(`${server.url}/nobody/identity/customers/signin`);
    assert.equal(hosted.status, 404);
    const docsPaths = [
      '/docs',
      '/docs/',
      '/docs/static/index.html',
      '/docs/static/swagger-ui-bundle.js',
      '/docs/static/swagger-ui.css',
      '/docs/static/swagger-initializer.js',
      '/docs/json',
    ];
    for (const docsPath of docsPaths) {
      const response = await fetch(`${server.url}${docsPath}`, { redirect: 'manual' });
      // Read to the end: an unread body keeps the connection busy, and closing the server waits for it.
      await response.arrayBuffer();
      assert.ok(response.status < 400, `${docsPath}: ${response.status}`);
      const csp = response.headers.get('content-security-policy') ?? '';
      assert.match(csp, /frame-ancestors 'none'/, docsPath);
      assert.match(csp, /object-src 'none'/, docsPath);
      assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/, docsPath);
      for (const name of SECURITY_HEADERS.filter((h) => h !== 'content-security-policy')) {
        assert.equal(response.headers.get(name), hosted.headers.get(name), `${docsPath}: ${name}`);
      }
      assert.equal(response.headers.get('x-frame-options'), 'DENY');
      assert.equal(response.headers.get('x-content-type-options'), 'nosniff');
    }
  });

  test('Swagger UI renders the operations in Chromium with no CSP violation and no console error', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const problems: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error' || /Content Security Policy/i.test(message.text())) problems.push(message.text());
    });
    page.on('pageerror', (error) => problems.push(error.message));
    await page.addInitScript(() => {
      document.addEventListener('securitypolicyviolation', (event) => console.error(`CSP violation: ${event.violatedDirective} ${event.blockedURI}`));
    });
    try {
      await page.goto(`${server.url}/docs`);
      // Swagger UI renders the first tags of a long document at once (the rest as the reader scrolls).
      await page.locator('.opblock').first().waitFor({ timeout: 30_000 });
      const operations = await page.locator('.opblock').count();
      assert.ok(operations >= 5, `Swagger UI shows the operations (${operations})`);
      // Open one operation: its schema renders too.
      await page.locator('.opblock-summary').first().click();
      await page.locator('.opblock-body').first().waitFor();
      assert.deepEqual(problems, []);
    } finally {
      await context.close();
    }
  });

  test('/docs is Keyway’s: title and bar pointing at /openapi.json, no Swagger branding, operations first and the error catalogue after them', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    const fetched: string[] = [];
    page.on('request', (request) => {
      if (['fetch', 'xhr'].includes(request.resourceType())) fetched.push(new URL(request.url()).pathname);
    });
    try {
      await page.goto(`${server.url}/docs`);
      await page.locator('.opblock').first().waitFor({ timeout: 30_000 });
      assert.equal(await page.title(), 'Keyway API reference');
      assert.deepEqual(fetched, ['/openapi.json'], 'the document is read from /openapi.json');
      const bar = page.locator('header.keyway-bar');
      assert.equal(await bar.locator('.keyway-name').innerText(), 'Keyway API reference');
      assert.equal(await bar.getByRole('link').getAttribute('href'), '/openapi.json');
      assert.equal(await bar.getByRole('link').innerText(), '/openapi.json');
      // Swagger UI's own top bar (its logo and URL box) and its favicons are gone; no text names Swagger or Fastify.
      assert.equal(await page.locator('.topbar').count(), 0);
      assert.deepEqual(await page.locator('link[rel~="icon"]').evaluateAll((links) => links.map((link) => link.getAttribute('href'))), [
        '/docs/static/theme/favicon.svg',
      ]);
      assert.doesNotMatch(await page.locator('body').innerText(), /swagger|fastify/i);
      // The introduction is short: the error codes are not listed before the operations.
      const introduction = await page.locator('.information-container').innerText();
      assert.doesNotMatch(introduction, /EXT_ID_NOT_UNIQUE|STORE_NOT_FOUND/);
      // Operations first, in the declared tag order; the schemas (with ErrorCode, the error catalogue) after them.
      const tags = await page.locator('.opblock-tag').allInnerTexts();
      assert.equal(tags[0]?.split('\n')[0], 'oauth2');
      const lastOperation = await page.locator('.opblock').last().boundingBox();
      const models = page.locator('section.models');
      const modelsBox = await models.boundingBox();
      assert.ok(lastOperation && modelsBox && modelsBox.y > lastOperation.y, 'the schemas come after the operations');
      assert.equal(await models.locator('.json-schema-2020-12__title').first().innerText(), 'ErrorCode', 'the error catalogue leads the schemas');
      await expandFirstSchema(models);
      await models.getByText('EXT_ID_NOT_UNIQUE', { exact: true }).waitFor();
      mkdirSync(ARTIFACTS, { recursive: true });
      await page.screenshot({ path: resolve(ARTIFACTS, 'docs-error-catalogue.png') });
    } finally {
      await context.close();
    }
  });

  test('a page cannot frame /docs', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    try {
      // A page on another origin (about:blank has none) tries to frame the docs.
      await page.setContent(`<iframe src="${server.url}/docs"></iframe>`);
      const frame = page.frames().find((f) => f.url().includes('/docs'));
      const rendered = frame
        ? await frame
            .locator('#swagger-ui')
            .count()
            .catch(() => 0)
        : 0;
      assert.equal(rendered, 0, 'the browser refuses to render /docs in a frame');
    } finally {
      await context.close();
    }
  });
});
