// Shared set-up for the console tests: the self-service world (a tenant with a store, its relying party and
// policies, KEYWAY_PUBLIC_URL = ORIGIN) plus operators enrolled the way the console's browser does it.
import assert from 'node:assert/strict';
import type { OperatorRole } from '../../src/console/operator-roles.ts';
import type { Browser, SelfServiceWorld } from '../selfservice/selfservice-fixture.ts';
import { ORIGIN, expectStatus } from '../selfservice/selfservice-fixture.ts';
import { HttpClient } from '../support/http-client.ts';
import { SoftAuthenticator } from '../support/soft-authenticator.ts';

export { ORIGIN };
export const CONSOLE_API = '/acme/console/api';

/** The token in an enrolment link's fragment. */
export function tokenOfLink(url: string): string {
  const match = /^https:\/\/login\.keyway\.test\/acme\/console\/enrol#token=([A-Za-z0-9_-]{43})$/.exec(url);
  assert.ok(match, `an enrolment link: ${url}`);
  return match[1]!;
}

export interface EnrolledOperator {
  browser: Browser;
  authenticator: SoftAuthenticator;
  operator: { id: string; displayName: string; role: OperatorRole };
}

/** A one-time link as the command line makes it. */
export async function invitationLink(world: SelfServiceWorld, role: OperatorRole): Promise<string> {
  const invitation = await world.server.services.operators.invite(undefined, { tenantId: 'acme', actor: 'cli' }, role);
  return invitation.url;
}

/** Enrolment as the console does it: options with the link's token, the authenticator creates the passkey, finish. */
export async function enrol(world: SelfServiceWorld, link: string, displayName = 'Ada Operator'): Promise<EnrolledOperator> {
  const browser = world.browser();
  const authenticator = new SoftAuthenticator({ backupEligible: true, backupState: true });
  const token = tokenOfLink(link);
  const options = await expectStatus(browser.request('POST', `${CONSOLE_API}/enrolment/options`, { token, displayName }), 200);
  const credential = authenticator.register(options.body.publicKey, { origin: ORIGIN });
  const finished = await expectStatus(browser.request('POST', `${CONSOLE_API}/enrolment/finish`, { token, credential }), 201);
  return { browser, authenticator, operator: finished.body.operator };
}

export async function enrolAs(world: SelfServiceWorld, role: OperatorRole, displayName?: string): Promise<EnrolledOperator> {
  return enrol(world, await invitationLink(world, role), displayName);
}

/** The session's access token as an admin-API client. */
export async function consoleApi(world: SelfServiceWorld, browser: Browser): Promise<{ api: HttpClient; session: Record<string, unknown> }> {
  const session = await expectStatus(browser.request('GET', `${CONSOLE_API}/session`), 200);
  return { api: new HttpClient(world.server.url, session.body.accessToken as string), session: session.body };
}
