// What a browser gets where the API has no page: the home page at `/` (version, documentation, health), a
// store's root sending it to the sign-in page, the HTML not-found page for a mistyped address, and the
// favicon — while an API client asking for JSON keeps getting problem+json. Real Chromium, both databases.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { DATABASE_KINDS } from '../packages/server/test/support/databases.ts';
import { launchChromium } from './support/browser.ts';
import { hostedStoreSuite, watchPage } from './support/hosted-pages.ts';
import { screenshotViews } from './support/layout.ts';

const VERSION = (JSON.parse(readFileSync(resolve(import.meta.dirname, '..', 'packages', 'server', 'package.json'), 'utf8')) as { version: string }).version;

let browser: Browser;
before(async () => {
  browser = await launchChromium();
});
after(async () => {
  await browser?.close();
});

/** A request as an API client makes it: the status, content type and problem code. */
async function asApiClient(url: string, accept: string): Promise<{ status: number; type: string; code?: string }> {
  const response = await fetch(url, { headers: { accept }, redirect: 'manual' });
  const type = response.headers.get('content-type') ?? '';
  const body = type.includes('json') ? ((await response.json()) as { code?: string }) : undefined;
  return { status: response.status, type, ...(body?.code ? { code: body.code } : {}) };
}

for (const kind of DATABASE_KINDS) {
  describe(`browser pages outside the API (${kind})`, () => {
    const hosted = hostedStoreSuite(kind);

    test(`/ answers a browser with the Keyway page: version, documentation, health (${kind})`, async () => {
      const context = await browser.newContext({ extraHTTPHeaders: { 'accept-language': 'en' } });
      try {
        const page = await context.newPage();
        const watch = watchPage(page);
        const response = await page.goto(`${hosted.server.origin}/`);
        assert.equal(response?.status(), 200);
        assert.match(response?.headers()['content-type'] ?? '', /^text\/html/);
        await page.getByRole('heading', { level: 1, name: 'Keyway is running' }).waitFor();
        assert.equal(await page.locator('[data-version]').textContent(), VERSION);
        assert.equal(await page.locator('[data-health]').getAttribute('data-health'), 'ready');
        assert.match(
          (await page.locator('[data-health]').textContent()) ?? '',
          new RegExp(`Ready: the database \\(${kind === 'sqlite' ? 'sqlite' : 'postgres'}`),
        );
        assert.equal(await page.getByRole('link', { name: 'API documentation' }).getAttribute('href'), '/docs');
        assert.equal(await page.getByRole('link', { name: 'Readiness check' }).getAttribute('href'), '/readyz');
        if (kind === 'sqlite') await screenshotViews(page, 'site-home-en');
        // German from Accept-Language, and from the language link.
        await page.getByRole('link', { name: 'Deutsch' }).click();
        await page.getByRole('link', { name: 'API-Dokumentation' }).waitFor();
        assert.equal(await page.locator('html').getAttribute('lang'), 'de');
        assert.match((await page.locator('[data-health]').textContent()) ?? '', /^Bereit: /);
        if (kind === 'sqlite') await screenshotViews(page, 'site-home-de');
        assert.deepEqual(watch.problems(), []);
      } finally {
        await context.close();
      }
      // API clients keep today's answer: no endpoint at `/`.
      for (const accept of ['application/json', '*/*', 'application/json, text/html;q=0.5']) {
        assert.deepEqual(
          await asApiClient(`${hosted.server.origin}/`, accept),
          { status: 404, type: 'application/problem+json; charset=utf-8', code: 'ROUTE_NOT_FOUND' },
          accept,
        );
      }
    });

    test(`a store's root sends a browser to its sign-in page (${kind})`, async () => {
      const context = await browser.newContext();
      try {
        const page = await context.newPage();
        await page.goto(`${hosted.store.base}?lang=de&return_to=%2Facme%2Fidentity%2Fcustomers%2Fpasskeys`);
        assert.equal(page.url(), `${hosted.store.url('signin')}?lang=de&return_to=%2Facme%2Fidentity%2Fcustomers%2Fpasskeys`);
        await page.getByRole('heading', { level: 1, name: 'Anmelden' }).waitFor();
        await page.goto(`${hosted.store.base}/`);
        assert.equal(page.url(), hosted.store.url('signin'));
      } finally {
        await context.close();
      }
      assert.deepEqual(await asApiClient(hosted.store.base, 'application/json'), {
        status: 404,
        type: 'application/problem+json; charset=utf-8',
        code: 'ROUTE_NOT_FOUND',
      });
    });

    test(`a mistyped hosted address gets the HTML not-found page, an API client problem+json (${kind})`, async () => {
      const context = await browser.newContext({ extraHTTPHeaders: { 'accept-language': 'en' } });
      try {
        const page = await context.newPage();
        const watch = watchPage(page);
        const response = await page.goto(`${hosted.store.base}/sigin`);
        assert.equal(response?.status(), 404);
        assert.match(response?.headers()['content-type'] ?? '', /^text\/html/);
        await page.getByRole('heading', { level: 1, name: 'Page not found' }).waitFor();
        assert.equal(await page.locator('.service-name').textContent(), 'Acme Customers');
        await page.getByRole('link', { name: 'Go to the sign-in page' }).click();
        await page.waitForURL(hosted.store.url('signin'));
        if (kind === 'sqlite') {
          await page.goto(`${hosted.store.base}/sigin`);
          await screenshotViews(page, 'site-not-found-store-en');
        }
        // An unknown store, or an address that is nothing: the generic page (no hint that a store exists).
        for (const path of ['/acme/identity/nobody/sigin', '/nothing/here']) {
          const missing = await page.goto(`${hosted.server.origin}${path}?lang=de`);
          assert.equal(missing?.status(), 404, path);
          await page.getByRole('heading', { level: 1, name: 'Seite nicht gefunden' }).waitFor();
          assert.equal(await page.locator('.service-name').textContent(), 'Keyway', path);
          assert.equal(await page.getByRole('link', { name: 'Zur Startseite' }).getAttribute('href'), '/', path);
        }
        if (kind === 'sqlite') await screenshotViews(page, 'site-not-found-de');
        assert.deepEqual(watch.problems(), []);
      } finally {
        await context.close();
      }
      assert.deepEqual(await asApiClient(`${hosted.store.base}/sigin`, 'application/json'), {
        status: 404,
        type: 'application/problem+json; charset=utf-8',
        code: 'ROUTE_NOT_FOUND',
      });
      assert.deepEqual(await asApiClient(`${hosted.store.base}/sigin`, '*/*'), {
        status: 404,
        type: 'application/problem+json; charset=utf-8',
        code: 'ROUTE_NOT_FOUND',
      });
    });

    test(`a favicon at /favicon.ico and linked from every page (${kind})`, async () => {
      const ico = await fetch(`${hosted.server.origin}/favicon.ico`);
      assert.equal(ico.status, 200);
      assert.equal(ico.headers.get('content-type'), 'image/x-icon');
      assert.deepEqual([...new Uint8Array(await ico.arrayBuffer()).slice(0, 4)], [0, 0, 1, 0], 'an ICO file');
      const context = await browser.newContext();
      try {
        const page = await context.newPage();
        for (const url of [`${hosted.server.origin}/`, hosted.store.url('signin'), `${hosted.store.base}/sigin`]) {
          await page.goto(url);
          const icons = await page.locator('link[rel="icon"]').evaluateAll((links) => links.map((l) => (l as HTMLLinkElement).href));
          assert.deepEqual(icons, [`${hosted.server.origin}/favicon.ico`, `${hosted.server.origin}/favicon.svg`], url);
        }
        // Both decode as images in the browser (the page's CSP allows them: img-src 'self').
        const sizes = await page.evaluate(
          async (hrefs) => {
            return Promise.all(
              hrefs.map(
                (href) =>
                  new Promise<number>((resolveSize, reject) => {
                    const image = new Image();
                    image.onload = () => resolveSize(image.naturalWidth);
                    image.onerror = () => reject(new Error(`${href} does not decode`));
                    image.src = href;
                  }),
              ),
            );
          },
          ['/favicon.ico', '/favicon.svg'],
        );
        assert.ok(
          sizes.every((width) => width > 0),
          `decoded widths ${sizes.join(', ')}`,
        );
      } finally {
        await context.close();
      }
    });
  });
}
