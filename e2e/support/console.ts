// The console in a real browser: a built dist/, a real Keyway serving it, operators enrolled from
// one-time links with Chrome's virtual authenticator, and the checks every view gets (axe, and
// screenshots light, dark and at 360 px into test-artifacts/console/).
import assert from 'node:assert/strict';
import type { Browser, Page } from 'playwright-core';
import { ensureConsoleBuilt } from '../../packages/console/scripts/console-build.ts';
import { axeViolations } from './axe.ts';
import { PLATFORM_AUTHENTICATOR, WebAuthnPage } from './browser.ts';
import { screenshotViews } from './layout.ts';
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

/** axe, then screenshots light, dark and 360 px (and nothing wraps or scrolls sideways there). */
export async function checkView(page: Page, name: string): Promise<void> {
  await assertAccessible(page, name);
  await screenshotViews(page, `console/${name}`);
}

/** The main navigation's link. */
export async function navigate(page: Page, name: string, heading = name): Promise<void> {
  await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name, exact: true }).click();
  await page.getByRole('heading', { level: 1, name: heading }).waitFor();
}
