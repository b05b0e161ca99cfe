// axe-core in a real page: the engine is evaluated through the DevTools protocol (so the page's strict
// CSP, which refuses inline scripts, does not block it) and run against WCAG 2.2 A and AA.
import { createRequire } from 'node:module';
import type { Page } from 'playwright-core';

const axeSource = (createRequire(import.meta.url)('axe-core') as { source: string }).source;

/** axe's violations of the page as it is now: `rule: target…` lines, empty when it passes. */
export async function axeViolations(page: Page): Promise<string[]> {
  await page.evaluate(axeSource);
  const violations = await page.evaluate(async () => {
    const axe = (
      window as unknown as {
        axe: { run(context: Document, options: unknown): Promise<{ violations: Array<{ id: string; nodes: Array<{ target: unknown[] }> }> }> };
      }
    ).axe;
    // No preload: axe would copy every stylesheet it can read, shadow roots' included, into <style> elements of its
    // own, which a strict CSP refuses, so the tests that watch a page for CSP refusals would see axe's. The one rule
    // that reads them, css-orientation-lock, finds nothing in Keyway's pages: none of their styles mention orientation.
    const result = await axe.run(document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'] },
      preload: false,
    });
    return result.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  });
  return violations;
}
