// Organizations in the hosted journey runner: Debian Chromium + Chrome's virtual authenticator against the real
// server on both databases. An application starts the Mosaic sign-in for an organization; the member signs in with
// the passkey on the device and the ID token carries org_id and org_roles; someone not a member is refused. A member of
// several organizations chooses one on the runner's chooser (general.selectOrganization), or names it in the runner URL.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { decodeJwt } from 'jose';
import type { Browser, Page } from 'playwright-core';
import { DATABASE_KINDS } from '../packages/server/test/support/databases.ts';
import { axeViolations } from './support/axe.ts';
import { launchChromium, WebAuthnPage } from './support/browser.ts';
import { AUTHENTICATION_POLICY, RP_ID, watchPage } from './support/hosted-pages.ts';
import { Device, journeyScreenshot, publishJourney, setUpJourneyTenant, STORE, waitForStep, type JourneyTenant } from './support/journey-runner.ts';
import { startSelfServiceServer, type SelfServiceServer } from './support/selfservice-server.ts';

let browser: Browser;
before(async () => {
  browser = await launchChromium();
});
after(async () => {
  await browser?.close();
});

const ORGS = `/api/identity-store/stores/${STORE}/organizations`;

/** A public sign-in that then asks which of the user's organizations it is for. */
const ORG_SIGN_IN = {
  schemaVersion: 1,
  name: 'Sign in to an organization',
  store: STORE,
  access: { public: true },
  start: 'login',
  steps: [
    {
      id: 'login',
      type: 'mosaic.loginForm',
      parameters: { relyingPartyId: RP_ID, authenticationPolicy: AUTHENTICATION_POLICY },
      outcomes: { passkeys: 'authenticate' },
    },
    {
      id: 'authenticate',
      type: 'mosaic.passkeyAuthentication',
      parameters: { encodedResult: '${loginData.webauthn_encoded_result}' },
      outcomes: { success: 'choose' },
    },
    { id: 'choose', type: 'general.selectOrganization', parameters: {}, outcomes: { success: 'done' } },
    { id: 'done', type: 'general.end', parameters: { result: 'success' } },
  ],
};

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
      // The passkey's ceremony refuses it for the organization before its use is recorded; the sign-in form comes
      // back saying why, and offers another passkey.
      const refused = await answer;
      assert.equal(refused.journeyStepId, 'loginForm', JSON.stringify(refused));
      assert.equal(refused.data.previousError.code, 'ORGANIZATION_MEMBERSHIP_REQUIRED');
      assert.equal(refused.data.idToken, undefined);
      await page.getByRole('alert').filter({ hasText: 'This account is not a member of the organization.' }).waitFor();
      assert.deepEqual(await axeViolations(page), []);
      if (kind === 'sqlite') await journeyScreenshot(page, 'organization-refused-en');
      assert.deepEqual(problems(), []);
    });

    describe('a member of several organizations', () => {
      let hooli: { id: string };
      let umbrella: { id: string };
      before(async () => {
        await publishJourney(tenant.api, 'org-sign-in', ORG_SIGN_IN);
        hooli = (await tenant.api.post(ORGS, { name: 'Hooli' })).body;
        umbrella = (await tenant.api.post(ORGS, { name: 'Umbrella' })).body;
        assert.equal((await tenant.api.post(`${ORGS}/${hooli.id}/members`, { userId: dana.id, roles: ['viewer'] })).status, 201);
        assert.equal((await tenant.api.post(`${ORGS}/${umbrella.id}/members`, { userId: dana.id, roles: ['owner', 'billing'] })).status, 201);
      });

      /** Opens the runner on `query`, signs in with Dana's passkey and returns the answer to that submit. */
      async function signIn(query: string, button: string): ReturnType<typeof nextSubmit> {
        await page.goto(tenant.runnerUrl('org-sign-in', query));
        const login = await waitForStep(page, 'loginForm');
        const answer = nextSubmit(page);
        await login.getByRole('button', { name: button }).click();
        return answer;
      }

      test('chooses the second organization on the chooser: its org_id and org_roles in the ID token; axe clean', async () => {
        const offered = await signIn('?lang=en', 'Sign in with a passkey');
        assert.equal(offered.journeyStepId, 'choose', JSON.stringify(offered));
        const chooser = await waitForStep(page, 'selectOrganization', 'Choose an organization');
        // Globex (the first test), Hooli and Umbrella: each a button named by the organization and Dana's roles there.
        const choices = chooser.getByRole('list').getByRole('button');
        assert.deepEqual(await choices.allTextContents(), [
          'GlobexYour roles: admin, support',
          'HooliYour roles: viewer',
          'UmbrellaYour roles: owner, billing',
        ]);
        assert.deepEqual(await axeViolations(page), []);
        if (kind === 'sqlite') await journeyScreenshot(page, 'organization-chooser-en');
        // Keyboard: Tab from the heading reaches the first choice; Tab again the second.
        await page.keyboard.press('Tab');
        await page.keyboard.press('Tab');
        assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('data-organization')), hooli.id);
        const answer = nextSubmit(page);
        await page.keyboard.press('Enter');
        const end = await answer;
        assert.equal(end.journeyStepId, 'success', JSON.stringify(end));
        await waitForStep(page, 'success', 'All done');
        const claims = decodeJwt(String(end.data.idToken));
        assert.equal(claims.sub, dana.id);
        assert.equal(claims.org_id, hooli.id);
        assert.deepEqual(claims.org_roles, ['viewer']);
        assert.deepEqual(problems(), []);
      });

      test('the chooser in German (also dark and at 360 px): axe clean; a click picks Umbrella', async () => {
        await signIn('?lang=de', 'Mit einem Passkey anmelden');
        const chooser = await waitForStep(page, 'selectOrganization', 'Organisation wählen');
        const umbrellaButton = chooser.getByRole('button', { name: 'Umbrella Ihre Rollen: owner, billing' });
        await umbrellaButton.waitFor();
        assert.deepEqual(await axeViolations(page), []);
        if (kind === 'sqlite') {
          const viewport = page.viewportSize();
          await journeyScreenshot(page, 'organization-chooser-de');
          // Reduced motion: no colour transition half-way while axe measures the contrast of the new scheme.
          await page.emulateMedia({ colorScheme: 'dark', reducedMotion: 'reduce' });
          await page.setViewportSize({ width: 360, height: 740 });
          try {
            assert.deepEqual(await axeViolations(page), []);
            await journeyScreenshot(page, 'organization-chooser-de-dark-360');
          } finally {
            await page.emulateMedia({ colorScheme: 'light', reducedMotion: 'no-preference' });
            if (viewport) await page.setViewportSize(viewport);
          }
        }
        const answer = nextSubmit(page);
        await umbrellaButton.click();
        const end = await answer;
        assert.equal(end.journeyStepId, 'success', JSON.stringify(end));
        const claims = decodeJwt(String(end.data.idToken));
        assert.equal(claims.org_id, umbrella.id);
        assert.deepEqual(claims.org_roles, ['owner', 'billing']);
        assert.deepEqual(problems(), []);
      });

      test('?organization=<id> on the runner URL names the organization: no chooser, its claims in the ID token', async () => {
        const end = await signIn(`?lang=en&organization=${umbrella.id}`, 'Sign in with a passkey');
        assert.equal(end.journeyStepId, 'success', JSON.stringify(end));
        await waitForStep(page, 'success', 'All done');
        const claims = decodeJwt(String(end.data.idToken));
        assert.equal(claims.org_id, umbrella.id);
        assert.deepEqual(claims.org_roles, ['owner', 'billing']);
        assert.deepEqual(problems(), []);
      });

      test('?organization= naming no organization of the store: no journey starts, and the page says why', async () => {
        const started = page.waitForResponse((r) => r.url().endsWith('/start')).then(async (r) => ({ status: r.status(), body: await r.json() }));
        await page.goto(tenant.runnerUrl('org-sign-in', '?lang=en&organization=no-such-organization'));
        const answer = await started;
        assert.equal(answer.status, 404);
        assert.equal(answer.body.code, 'ORGANIZATION_NOT_FOUND');
        await page.locator('#error').getByText('This organization does not exist here.').waitFor();
      });
    });
  });
}
