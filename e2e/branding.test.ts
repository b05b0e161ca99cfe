// A branded store in real Chromium on both databases: its logo (a real PNG, loaded under the page's
// CSP), product name, colours (the primary button's computed colours are the branding's effective ones,
// light and dark), only the offered languages, axe clean, and nothing overflowing or wrapping at 360 px.
// Screenshots go to test-artifacts/branding-*.png.
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { dataUrl, discPng } from '../packages/server/test/branding/logo-fixture.ts';
import { DATABASE_KINDS } from '../packages/server/test/support/databases.ts';
import { axeViolations } from './support/axe.ts';
import { launchChromium } from './support/browser.ts';
import { ARTIFACTS, AUTHENTICATION_POLICY, REGISTRATION_POLICY, RP_ID, hostedStoreSuite, watchPage } from './support/hosted-pages.ts';

const LOGO_SIZE = 96;
const BRANDING = {
  productName: 'Acme Pay',
  logo: dataUrl(discPng(LOGO_SIZE, '#0b6e4f')),
  primaryColor: '#0b6e4f',
  palettes: { dark: { background: '#0b100d', surface: '#141c18' } },
  languages: { offered: ['en', 'fr', 'es'], default: 'en' },
};

/** `#rrggbb` as Chromium reports a computed colour. */
function rgb(hex: string): string {
  const [r, g, b] = [1, 3, 5].map((i) => Number.parseInt(hex.slice(i, i + 2), 16));
  return `rgb(${r}, ${g}, ${b})`;
}

async function shot(page: Page, name: string): Promise<void> {
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: resolve(ARTIFACTS, `branding-${name}.png`), fullPage: true });
}

/** What the test compares: the primary button's colours, the logo as loaded, the header and the language links. */
async function observe(page: Page) {
  return page.evaluate(() => {
    const button = document.querySelector('button.primary')!;
    const style = getComputedStyle(button);
    const logo = document.querySelector<HTMLImageElement>('header img.brand-logo');
    return {
      buttonBackground: style.backgroundColor,
      buttonText: style.color,
      logoLoaded: logo !== null && logo.complete && logo.naturalWidth > 0 ? logo.naturalWidth : 0,
      logoHeight: logo?.getBoundingClientRect().height ?? 0,
      header: document.querySelector('header')!.textContent,
      languages: [...document.querySelectorAll('footer .languages a')].map((a) => a.textContent),
    };
  });
}

/** Horizontal overflow of the page, and every button or link-button whose label takes more than one line. */
async function layoutProblems(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const problems: string[] = [];
    if (document.documentElement.scrollWidth > window.innerWidth)
      problems.push(`page is ${document.documentElement.scrollWidth}px wide in ${window.innerWidth}px`);
    for (const element of document.querySelectorAll<HTMLElement>('main button:not([hidden]), main .button-link')) {
      if (element.offsetParent === null) continue;
      const range = document.createRange();
      range.selectNodeContents(element);
      const lines = new Set([...range.getClientRects()].map((r) => Math.round(r.top))).size;
      if (lines > 1) problems.push(`"${element.textContent}" wraps onto ${lines} lines`);
    }
    return problems;
  });
}

let browser: Browser;
before(async () => {
  browser = await launchChromium();
});
after(async () => {
  await browser?.close();
});

for (const kind of DATABASE_KINDS) {
  describe(`a branded store in Chromium (${kind})`, () => {
    const hosted = hostedStoreSuite(kind);
    let effective: { light: Record<string, string>; dark: Record<string, string> };

    before(async () => {
      const put = await hosted.store.backend.call('PUT', '/api/identity-store/stores/customers/branding', BRANDING);
      effective = hosted.store.backend.expect(put, 200).body.effective;
    });

    for (const scheme of ['light', 'dark'] as const) {
      test(`${scheme}: logo, product name and the branding’s colours on the primary button; offered languages; axe clean (${kind})`, async () => {
        const context = await browser.newContext({ colorScheme: scheme, viewport: { width: 1024, height: 720 } });
        try {
          const page = await context.newPage();
          const watch = watchPage(page);
          await page.goto(hosted.store.url('signin'));
          await page.locator('#identifier[data-autofill]').waitFor({ state: 'attached' });
          const seen = await observe(page);
          assert.equal(seen.buttonBackground, rgb(effective[scheme].primary!), 'the primary button has the branding’s primary colour');
          assert.equal(seen.buttonText, rgb(effective[scheme].onPrimary!));
          if (scheme === 'light') assert.equal(effective.light.primary, '#0b6e4f');
          assert.equal(seen.logoLoaded, LOGO_SIZE, 'the logo loaded (the CSP allows it)');
          assert.ok(seen.logoHeight >= 32 && seen.logoHeight <= 48, `logo height ${seen.logoHeight}`);
          assert.equal(seen.header, 'Acme Pay');
          assert.deepEqual(seen.languages, ['English', 'Français', 'Español']);
          assert.deepEqual(await axeViolations(page), []);
          assert.deepEqual(watch.problems(), [], 'no CSP violation, no page error');
          if (kind === 'sqlite') await shot(page, `signin-${scheme}`);
        } finally {
          await context.close();
        }
      });
    }

    test(`the journey runner of the store: logo, product name, colours, the store's languages; axe clean (${kind})`, async () => {
      const installed = await hosted.store.backend.call('POST', '/api/journeys/templates/install', {
        store: 'customers',
        relyingPartyId: RP_ID,
        registrationPolicy: REGISTRATION_POLICY,
        authenticationPolicy: AUTHENTICATION_POLICY,
      });
      hosted.store.backend.expect(installed, 200);
      const context = await browser.newContext({ viewport: { width: 360, height: 740 } });
      try {
        const page = await context.newPage();
        const watch = watchPage(page);
        await page.goto(`${hosted.server.origin}/acme/journeys/trustx-passkey-registration?lang=es`);
        await page.locator('#step form button.primary').waitFor();
        const seen = await observe(page);
        assert.equal(seen.buttonBackground, rgb(effective.light.primary!));
        assert.equal(seen.logoLoaded, LOGO_SIZE);
        assert.equal(seen.header, 'Acme Pay');
        assert.deepEqual(seen.languages, ['English', 'Français', 'Español']);
        assert.deepEqual(await layoutProblems(page), []);
        assert.deepEqual(await axeViolations(page), []);
        assert.deepEqual(watch.problems(), []);
        if (kind === 'sqlite') await shot(page, 'runner-es-360');
      } finally {
        await context.close();
      }
    });

    test(`360 px wide, light and dark: no page overflows; no French or Spanish button wraps; axe clean (${kind})`, async () => {
      for (const scheme of ['light', 'dark'] as const) {
        const context = await browser.newContext({ colorScheme: scheme, viewport: { width: 360, height: 740 } });
        try {
          const page = await context.newPage();
          const watch = watchPage(page);
          for (const lang of BRANDING.languages.offered) {
            for (const name of ['signup', 'signin'] as const) {
              await page.goto(`${hosted.store.url(name)}?lang=${lang}`);
              await page.locator('html[lang]').waitFor();
              assert.equal(await page.locator('html').getAttribute('lang'), lang);
              const problems = await layoutProblems(page);
              assert.deepEqual(problems, [], `${name} ${lang} ${scheme}`);
              if (name === 'signup') assert.deepEqual(await axeViolations(page), [], `${name} ${lang} ${scheme}`);
              if (kind === 'sqlite' && scheme === 'dark' && lang !== 'en') await shot(page, `${name}-${lang}-360-dark`);
              if (kind === 'sqlite' && scheme === 'light') await shot(page, `${name}-${lang}-360`);
            }
          }
          assert.deepEqual(watch.problems(), []);
        } finally {
          await context.close();
        }
      }
    });
  });
}
