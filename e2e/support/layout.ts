// Layout checks for the hosted pages at a phone's width: nothing overflows the viewport sideways, and no
// control or short label breaks onto a second line (a wrapped primary button is the classic defect).
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Page } from 'playwright-core';
import { ARTIFACTS } from './hosted-pages.ts';

/** The elements that must stay on one line: buttons, button-like links, badges, labels, the header, definition terms. */
const SINGLE_LINE = 'button, .button-link, .badge, .field > label, .service-name, dt, .languages a';

export interface WrappedElement {
  text: string;
  lines: number;
}

/** Visible single-line elements whose text takes more than one line, and whether the page scrolls sideways. */
export async function layoutDefects(page: Page): Promise<{ overflow: number; wrapped: WrappedElement[] }> {
  return page.evaluate((selector) => {
    const wrapped: { text: string; lines: number }[] = [];
    for (const element of document.querySelectorAll<HTMLElement>(selector)) {
      if (element.offsetParent === null && getComputedStyle(element).position !== 'fixed') continue;
      const range = document.createRange();
      range.selectNodeContents(element);
      // Lines are the vertically disjoint groups of text boxes (a smaller font on the same line sits a little lower).
      const boxes = [...range.getClientRects()].filter((r) => r.width > 0).sort((a, b) => a.top - b.top);
      let lines = 0;
      let bottom = -Infinity;
      for (const box of boxes) {
        if (box.top >= bottom - 1) lines += 1;
        bottom = Math.max(bottom, box.bottom);
      }
      if (lines > 1) wrapped.push({ text: element.textContent?.trim() ?? '', lines });
    }
    return { overflow: document.documentElement.scrollWidth - window.innerWidth, wrapped };
  }, SINGLE_LINE);
}

/** Fails when the page at its current width scrolls sideways or wraps a control. */
export async function assertNothingWraps(page: Page, what: string): Promise<void> {
  const { overflow, wrapped } = await layoutDefects(page);
  assert.ok(overflow <= 0, `${what}: the page is ${overflow}px wider than the viewport`);
  assert.deepEqual(wrapped, [], `${what}: these wrap onto more than one line`);
}

/**
 * Screenshots of the current page into test-artifacts/: light at the page's width, dark, and at 360 px (light)
 * after checking that nothing wraps there. The viewport and colour scheme are put back afterwards.
 */
export async function screenshotViews(page: Page, name: string): Promise<void> {
  mkdirSync(ARTIFACTS, { recursive: true });
  const viewport = page.viewportSize();
  await page.screenshot({ path: resolve(ARTIFACTS, `${name}-light.png`), fullPage: true });
  await page.emulateMedia({ colorScheme: 'dark' });
  await page.screenshot({ path: resolve(ARTIFACTS, `${name}-dark.png`), fullPage: true });
  await page.emulateMedia({ colorScheme: 'light' });
  await page.setViewportSize({ width: 360, height: viewport?.height ?? 720 });
  await assertNothingWraps(page, `${name} at 360 px`);
  await page.screenshot({ path: resolve(ARTIFACTS, `${name}-360.png`), fullPage: true });
  if (viewport) await page.setViewportSize(viewport);
}
