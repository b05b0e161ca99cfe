// Organizations in the hosted journey runner: Debian Chromium + Chrome's virtual authenticator against the real
// server on both databases. An application starts the Mosaic sign-in for an organization; the member signs in with
// the passkey on the device and the ID token carries org_id and org_roles; someone not a member is refused.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { decodeJwt } from 'jose';
import type { Browser, Page } from 'playwright-core';
import { DATABASE_KINDS } from '../packages/server/test/support/databases.ts';
import { launchChromium, WebAuthnPage } from './support/browser.ts';
import { watchPage } from './support/hosted-pages.ts';
import { Device, journeyScreenshot, setUpJourneyTenant, STORE, waitForStep, type JourneyTenant } from './support/journey-runner.ts';
import { startSelfServiceServer, type SelfServiceServer } from './support/selfservice-server.ts';

let browser: Browser;
before(async () => {
  browser = await launchChromium();
});
after(async () => {
  await browser?.close();
});

const ORGS = `/api/identity-store/stores/${STORE}/organizations`;

for (const kind of DATABASE_KINDS) {
  describe(`organizations in the journey runner (${kind})`, () => {
    let server: SelfServiceServer;
    let tenant: JourneyTenant;
    let webauthn: WebAuthnPage;
    let page: Page;
    let problems: () => string[];
    let dana: { id: string };

    /** The answer to the next submit the page sends, read to the end. */
    const nextSubmit = (p: Page) =>
      p.waitForResponse((response) => response.url().endsWith('/submit')).then(async (r) => (await r.json()) as Record<string, any>); // eslint-disable-line @typescript-eslint/no-explicit-any -- test convenience

    /** The application starts the journey (for a user or an organization); the runner continues it with its session. */
    async function openStarted(journeyId: string, body: Record<string, unknown>): Promise<void> {
      const started = await tenant.api.post(`/${tenant.tenantId}/journeys/${journeyId}/start`, body, { origin: server.origin });
      assert.equal(started.status, 200, JSON.stringify(started.body));
      await page.goto(tenant.runnerUrl(journeyId, `#session=${started.body.sessionId}`));
    }

    before(async () => {
      server = await startSelfServiceServer(kind);
      tenant = await setUpJourneyTenant(server);
      webauthn = await WebAuthnPage.open(browser, `${server.origin}/healthz`);
      page = webauthn.page;
      ({ problems } = watchPage(page));
      await new Device(webauthn).attach();
      // Dana gets a passkey on this device through the registration journey her application starts.
      dana = await tenant.backend.createUser({ userKey: 'dana', email: 'dana@globex.example' });
      await openStarted('mosaic-passkey-registration', { user: { userId: dana.id } });
      const step = await waitForStep(page, 'registerPasskeys', 'Add a passkey');
      const registered = nextSubmit(page);
      await step.getByRole('button', { name: 'Create a passkey' }).click();
      assert.equal((await registered).journeyStepId, 'success');
    });
    after(async () => {
      await webauthn?.close();
      await server?.close();
    });

    test('a member signs in for the organization: org_id and org_roles in the ID token', async () => {
      const org = (await tenant.api.post(ORGS, { name: 'Globex' })).body;
      assert.equal((await tenant.api.post(`${ORGS}/${org.id}/members`, { userId: dana.id, roles: ['admin', 'support'] })).status, 201);
      await openStarted('mosaic-passkey-sign-in', { organization: org.id });
      const login = await waitForStep(page, 'loginForm', 'Sign in');
      const answer = nextSubmit(page);
      await login.getByRole('button', { name: 'Sign in with a passkey' }).click();
      const end = await answer;
      assert.equal(end.journeyStepId, 'success', JSON.stringify(end));
      await waitForStep(page, 'success', 'All done');
      const claims = decodeJwt(String(end.data.idToken));
      assert.equal(claims.sub, dana.id);
      assert.equal(claims.org_id, org.id);
      assert.deepEqual(claims.org_roles, ['admin', 'support']);
      assert.deepEqual(end.data.organization, { id: org.id, name: 'Globex', roles: ['admin', 'support'] });
      assert.deepEqual(problems(), []);
    });

    test('someone not a member is refused with ORGANIZATION_MEMBERSHIP_REQUIRED, and the page says so', async () => {
      const org = (await tenant.api.post(ORGS, { name: 'Initech' })).body;
      await openStarted('mosaic-passkey-sign-in', { organization: org.id });
      const login = await waitForStep(page, 'loginForm', 'Sign in');
      const answer = nextSubmit(page);
      await login.getByRole('button', { name: 'Sign in with a passkey' }).click();
      const end = await answer;
      assert.equal(end.journeyStepId, 'rejection', JSON.stringify(end));
      assert.equal(end.data.code, 'ORGANIZATION_MEMBERSHIP_REQUIRED');
      assert.equal(end.data.idToken, undefined);
      const rejection = await waitForStep(page, 'rejection');
      await rejection.getByText('ORGANIZATION_MEMBERSHIP_REQUIRED').waitFor();
      if (kind === 'sqlite') await journeyScreenshot(page, 'organization-refused-en');
      assert.deepEqual(problems(), []);
    });
  });
}
