// The console in a real browser: a built dist/, a real Keyway serving it, operators enrolled from
// one-time links with Chrome's virtual authenticator, and the checks every view gets (axe, and
// screenshots light, dark and at 360 px into test-artifacts/console/).
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { ensureConsoleBuilt } from '../../packages/console/scripts/console-build.ts';
import { axeViolations } from './axe.ts';
import { PLATFORM_AUTHENTICATOR, WebAuthnPage } from './browser.ts';
import { ARTIFACTS } from './hosted-pages.ts';
import { assertNothingWraps } from './layout.ts';
import type { SelfServiceServer } from './selfservice-server.ts';

export type OperatorRole = 'owner' | 'admin' | 'support' | 'viewer';

export { ensureConsoleBuilt };

/** A one-time enrolment link, as `keyway init` and `keyway console invite` print it. */
export async function invitationLink(server: SelfServiceServer, tenant: string, role: OperatorRole): Promise<string> {
  const operators = (
    server.services as unknown as {
      operators: { invite(trx: undefined, actor: { tenantId: string; actor: string }, role: OperatorRole): Promise<{ url: string }> };
    }
  ).operators;
  return (await operators.invite(undefined, { tenantId: tenant, actor: 'cli' }, role)).url;
}

/** Opens the link in a fresh browser context with a platform authenticator and enrols; ends on Overview. */
export async function enrolOperator(browser: Browser, link: string, displayName: string): Promise<WebAuthnPage> {
  const session = await WebAuthnPage.open(browser, link);
  await session.addVirtualAuthenticator({ ...PLATFORM_AUTHENTICATOR, defaultBackupEligibility: true, defaultBackupState: true });
  const page = session.page;
  // Every wait is for something the console shows within a moment; fail fast rather than after 30 s.
  page.setDefaultTimeout(10_000);
  await page.getByRole('heading', { level: 1, name: 'Become an operator' }).waitFor();
  await page.getByLabel('Your name').fill(displayName);
  await page.getByRole('button', { name: 'Create passkey and sign in' }).click();
  await page.getByRole('heading', { level: 1, name: 'Overview' }).waitFor();
  return session;
}

/** No serious or critical axe violation on the page as it is now. */
export async function assertAccessible(page: Page, view: string): Promise<void> {
  const violations = await axeViolations(page);
  assert.deepEqual(violations, [], `${view}: axe violations`);
}

/**
 * axe, then screenshots into test-artifacts/console/: light and dark at the page's width, and light at
 * 360 px after checking that nothing scrolls sideways or wraps there. The viewport and colour scheme
 * are put back even when a check fails, so the next test starts as the last one did.
 */
export async function checkView(page: Page, name: string): Promise<void> {
  // No colour transitions (the form preview's runner buttons have one): axe sees the scheme's colours, not a blend.
  await page.emulateMedia({ reducedMotion: 'reduce' });
  await assertAccessible(page, name);
  const directory = resolve(ARTIFACTS, 'console');
  mkdirSync(directory, { recursive: true });
  const viewport = page.viewportSize() ?? { width: 1280, height: 720 };
  await page.screenshot({ path: resolve(directory, `${name}-light.png`), fullPage: true });
  try {
    await page.emulateMedia({ colorScheme: 'dark' });
    await assertAccessible(page, `${name} (dark)`);
    await page.screenshot({ path: resolve(directory, `${name}-dark.png`), fullPage: true });
    await page.emulateMedia({ colorScheme: 'light' });
    await page.setViewportSize({ width: 360, height: viewport.height });
    await page.screenshot({ path: resolve(directory, `${name}-360.png`), fullPage: true });
    await assertNothingWraps(page, `${name} at 360 px`);
  } finally {
    await page.emulateMedia({ colorScheme: 'light', reducedMotion: null });
    await page.setViewportSize(viewport);
  }
}

/** The main navigation's link (the navigation is called "Console", "Konsole" in German). */
export async function navigate(page: Page, name: string, heading = name, navigation = 'Console'): Promise<void> {
  await page.getByRole('navigation', { name: navigation }).getByRole('link', { name, exact: true }).click();
  await page.getByRole('heading', { level: 1, name: heading }).waitFor();
}
