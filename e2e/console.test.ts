// The console in a real browser on both databases: the first operator enrols from the `init` link and
// signs in again with the passkey; then, without curl, sets up a store, a relying party, policies and
// self-service, creates a user (the API's validation messages on the fields), edits, locks and deletes
// them, issues a recovery link with its QR code; creates, rotates, disables and deletes an API client;
// forms, pages and journeys from create to publish; a stale edit answers 409 EDIT_CONFLICT on screen;
// the audit log shows the operator's actions; a Viewer sees no "Add user" and the API refuses the forced
// call with 403. Every view is checked with axe and screenshotted (en, de, dark, 360 px).
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, afterEach, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { DATABASE_KINDS } from '../packages/server/test/support/databases.ts';
import { MetadataBlob, type MetadataProvider } from '../packages/server/src/passkeys/mds-blob.ts';
import type { HttpClient } from '../packages/server/test/support/http-client.ts';
import { SoftAuthenticator } from '../packages/server/test/support/soft-authenticator.ts';
import { PLATFORM_AUTHENTICATOR, WebAuthnPage, launchChromium } from './support/browser.ts';
import { checkView, enrolOperator, ensureConsoleBuilt, invitationLink, navigate } from './support/console.ts';
import { watchPage } from './support/hosted-pages.ts';
import { startSelfServiceServer, type SelfServiceServer } from './support/selfservice-server.ts';

const TENANT = 'acme';
const STORE = 'customers';
// FIDO metadata naming one authenticator model with an icon: a real MetadataBlob, handed in where the server loads
// BLOBs (loading and verifying one is attestation-trust.test.ts's subject).
const METADATA_URL = 'https://mds.keyway.test/blob';
const ICON_MODEL = '0f0e0d0c-0b0a-0908-0706-050403020100';
const ICON = `data:image/svg+xml;base64,${Buffer.from(
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 40 40"><rect width="40" height="40" rx="9" fill="#0b6e4f"/><path d="M13 10v20M13 20l12-10M17 17l9 13" stroke="#fff" stroke-width="4" fill="none" stroke-linecap="round"/></svg>',
).toString('base64')}`;
const METADATA: MetadataProvider = {
  get: async () =>
    new MetadataBlob(1, new Date('2099-01-01'), [
      { aaguid: ICON_MODEL, description: 'Keyway Test Key', icon: ICON, attestationRootCertificates: [], attestationTypes: [], statusReports: [] },
    ]),
};

let browser: Browser;
before(async () => {
  await ensureConsoleBuilt();
  browser = await launchChromium();
});
after(async () => {
  await browser?.close();
});

/** The signed-in operator's id, from the console's session endpoint. */
function sessionOperatorId(page: Page): Promise<string> {
  return page.evaluate(async (tenant) => ((await (await fetch(`/${tenant}/console/api/session`)).json()) as { operator: { id: string } }).operator.id, TENANT);
}

/** A fetch from inside the console page with the operator's session token: the status. */
function pageFetchStatus(page: Page, method: string, path: string, body?: unknown): Promise<number> {
  return page.evaluate(
    async ({ method, path, body, tenant }) => {
      const session = (await (await fetch(`/${tenant}/console/api/session`)).json()) as { accessToken: string };
      const response = await fetch(path, {
        method,
        // A JSON content type only with a body (an empty JSON body is refused with 400).
        headers: { authorization: `Bearer ${session.accessToken}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return response.status;
    },
    { method, path, body, tenant: TENANT },
  );
}

for (const kind of DATABASE_KINDS) {
  describe(`console (${kind})`, () => {
    let server: SelfServiceServer;
    let admin: HttpClient;
    let owner: WebAuthnPage;
    let page: Page;
    /** CSP refusals and uncaught errors on the owner's page, from enrolment to the last test */
    let problems: () => string[] = () => [];

    before(async () => {
      server = await startSelfServiceServer(kind, {}, { metadata: METADATA });
      admin = (await server.tenant(TENANT)).api;
    });
    after(async () => {
      await owner?.close();
      await server?.close();
    });
    // Each test starts from a fresh load, so one that failed with a dialog open does not take the next along.
    afterEach(async () => {
      await page?.goto(`${server.origin}/${TENANT}/console/overview`);
    });

    test('the first operator enrols from the init link and signs in again with the passkey', async () => {
      const link = await invitationLink(server, TENANT, 'owner');
      assert.match(link, new RegExp(`^${server.origin}/${TENANT}/console/enrol#token=`));
      owner = await enrolOperator(browser, link, 'Ada Operator');
      page = owner.page;
      ({ problems } = watchPage(page));
      assert.equal(new URL(page.url()).hash, '', 'the spent token is gone from the address bar');
      // A new tenant's Overview says where to begin: five steps, none done, the first a link to Stores.
      const start = page.getByRole('region', { name: 'Get started' });
      await start.getByRole('link', { name: 'Create an identity store for your users' }).waitFor();
      assert.equal(await start.getByRole('listitem').count(), 5);
      assert.equal(await start.getByText('Done', { exact: true }).count(), 0);
      await checkView(page, 'overview');
      await page.getByRole('button', { name: 'Sign out' }).click();
      await page.getByRole('heading', { level: 1, name: 'Sign in to the Keyway console' }).waitFor();
      await checkView(page, 'sign-in');
      await page.getByRole('button', { name: 'Sign in with a passkey' }).click();
      await page.getByRole('heading', { level: 1, name: 'Overview' }).waitFor();
      for (const name of ['Overview', 'Users', 'Relying parties', 'Policies', 'Journeys', 'Forms', 'Pages', 'API clients', 'Audit log']) {
        await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name, exact: true }).waitFor();
      }
    });

    test('the console keeps its CSP: no inline style or script on a fresh load, React Aria’s press rule from the stylesheet', async () => {
      await page.reload();
      await page.getByRole('heading', { level: 1, name: 'Overview' }).waitFor();
      await navigate(page, 'Stores');
      await navigate(page, 'Audit log');
      const signOut = page.getByRole('button', { name: 'Sign out' });
      // React Aria marks what it handles presses on, and would add this rule inline (refused by style-src 'self').
      assert.equal(await signOut.getAttribute('data-react-aria-pressable'), 'true');
      // pan-x pan-y pinch-zoom, which Chromium serialises as the one keyword meaning just that.
      assert.equal(await signOut.evaluate((button) => getComputedStyle(button).touchAction), 'manipulation');
      assert.equal(await page.locator('head style').count(), 0, 'no inline <style> in the head');
      assert.deepEqual(problems(), []);
    });

    test('stores: create, see, delete', async () => {
      await navigate(page, 'Stores');
      for (const name of [STORE, 'scratch']) {
        await page.getByRole('button', { name: 'Add store' }).click();
        await page.getByLabel('Store name').fill(name);
        await page.getByRole('dialog').getByRole('button', { name: 'Save' }).click();
        await page.getByRole('link', { name: `Users of ${name}` }).waitFor();
      }
      await checkView(page, 'stores');
      await page
        .getByRole('row', { name: /scratch/ })
        .getByRole('button', { name: 'Delete' })
        .click();
      await page.getByRole('alertdialog').getByRole('button', { name: 'Delete' }).click();
      await page.getByRole('link', { name: 'Users of scratch' }).waitFor({ state: 'detached' });
    });

    test('relying parties: create with origins and app ids, see the well-known preview, edit, delete', async () => {
      // The store-less link (where the navigation points before the stores have loaded) forwards to the current store's area.
      await page.goto(`${server.origin}/${TENANT}/console/store/relying-parties`);
      await page.getByRole('heading', { level: 1, name: 'Relying parties' }).waitFor();
      assert.equal(new URL(page.url()).pathname, `/${TENANT}/console/stores/${STORE}/relying-parties`);
      await navigate(page, 'Relying parties');
      const origin = server.origin;
      for (const id of ['localhost', 'example.com']) {
        await page.getByRole('button', { name: 'Add relying party' }).click();
        const dialog = page.getByRole('dialog');
        await dialog.getByLabel('RP ID').fill(id);
        await dialog.getByRole('textbox', { name: 'Name', exact: true }).fill(`${id} app`);
        await dialog.getByRole('textbox', { name: 'Origins', exact: true }).fill(id === 'localhost' ? origin : 'https://login.example.com');
        if (id === 'example.com') await dialog.getByLabel('Apple app IDs').fill('ABCDE12345.com.example.app');
        await dialog.getByRole('button', { name: 'Save' }).click();
        await page.getByRole('heading', { name: `${id} app (${id})` }).waitFor();
      }
      await page.getByText('Well-known files').last().click();
      await page.getByText('ABCDE12345.com.example.app').last().waitFor();
      await checkView(page, 'relying-parties');
      const card = page.getByRole('listitem').filter({ has: page.getByRole('heading', { name: 'example.com app (example.com)' }) });
      await card.getByRole('button', { name: 'Edit' }).click();
      await page.getByRole('dialog').getByRole('textbox', { name: 'Name', exact: true }).fill('Example');
      await page.getByRole('dialog').getByRole('button', { name: 'Save' }).click();
      await page.getByRole('heading', { name: 'Example (example.com)' }).waitFor();
      const edited = page.getByRole('listitem').filter({ has: page.getByRole('heading', { name: 'Example (example.com)' }) });
      await edited.getByRole('button', { name: 'Delete' }).click();
      await page.getByRole('alertdialog').getByRole('button', { name: 'Delete' }).click();
      await page.getByRole('heading', { name: 'Example (example.com)' }).waitFor({ state: 'detached' });
    });

    test('policies: create both kinds from the safe defaults, edit one, delete one', async () => {
      await navigate(page, 'Policies');
      for (const [button, name] of [
        ['Add registration policy', 'default'],
        ['Add authentication policy', 'default'],
        ['Add authentication policy', 'strict'],
      ] as const) {
        await page.getByRole('button', { name: button }).click();
        const dialog = page.getByRole('dialog');
        await dialog.getByLabel('Policy name').fill(name);
        await dialog.getByRole('button', { name: 'Save' }).click();
        await dialog.waitFor({ state: 'detached' });
      }
      await page.getByRole('button', { name: 'Edit policy strict' }).click();
      await page.getByRole('dialog').getByLabel('Timeout (ms)').fill('120000');
      await page.getByRole('dialog').getByRole('button', { name: 'Save' }).click();
      await page.getByRole('row', { name: /strict.*120000/ }).waitFor();
      await checkView(page, 'policies');
      await page
        .getByRole('row', { name: /strict/ })
        .getByRole('button', { name: 'Delete' })
        .click();
      await page.getByRole('alertdialog').getByRole('button', { name: 'Delete' }).click();
      await page.getByRole('row', { name: /strict/ }).waitFor({ state: 'detached' });
      const policies = await admin.get(`/api/identity-store/stores/${STORE}/passkeys/registrationPolicies/default`);
      assert.equal(policies.status, 200);
      assert.equal(policies.body.attestation, 'none');
    });

    test('self-service: enabled from the console, with the hosted page previewed', async () => {
      await navigate(page, 'Self-service');
      await page.getByText('Self-service enabled').click();
      // The self-hosted CAPTCHA of sign-ups: a checkbox with its explanation.
      await page.getByText('Ask sign-ups to solve a challenge').click();
      await page.getByRole('button', { name: 'Save' }).click();
      await page.getByRole('status').filter({ hasText: 'Saved.' }).waitFor();
      const store = await admin.get(`/api/identity-store/stores/${STORE}`);
      assert.equal(store.body.selfService.enabled, true);
      assert.equal(store.body.selfService.relyingPartyId, 'localhost');
      assert.equal(store.body.selfService.signUpChallenge, true);
      // The preview is framed (the one hosted page that allows it) and shows the form's settings before they are saved.
      await page.getByRole('region', { name: 'Live preview' }).getByRole('button', { name: /Page/ }).click();
      await page.getByRole('option', { name: 'signup' }).click();
      const preview = page.frameLocator('iframe[title="Live preview"]');
      await preview.getByRole('heading', { level: 1, name: 'Create your account' }).waitFor();
      const signUpOffered = store.body.selfService.allowSignUp as boolean;
      const closedText = preview.getByText('New accounts cannot be created here.', { exact: false });
      assert.equal(await closedText.count(), signUpOffered ? 0 : 1);
      await page.getByText('Allow sign-up').click();
      await (signUpOffered ? closedText.waitFor() : closedText.waitFor({ state: 'detached' }));
      assert.equal((await admin.get(`/api/identity-store/stores/${STORE}`)).body.selfService.allowSignUp, signUpOffered, 'not saved');
      await checkView(page, 'self-service');
      await page.getByText('Allow sign-up').click();
      // Overview ticks what is set up now: store, relying party, policies, self-service; a user is still to come.
      await navigate(page, 'Overview');
      const start = page.getByRole('region', { name: 'Get started' });
      await start.getByRole('link', { name: 'Add a user, or let one sign up' }).waitFor();
      await start.getByText('Done', { exact: true }).nth(3).waitFor();
      assert.equal(await start.getByText('Done', { exact: true }).count(), 4);
      await checkView(page, 'overview-start');
    });

    test('users: add with every field, the API’s messages on the fields, edit, lock, recovery link, delete', async () => {
      await navigate(page, 'Users');
      await page.getByRole('button', { name: 'Add user' }).click();
      const dialog = page.getByRole('dialog');
      await dialog.getByLabel('User key').fill('ada@example.com');
      await dialog.getByLabel('External ID').fill('ext 1');
      await dialog.getByLabel('Email').fill('ada@example.com');
      await dialog.getByLabel('First name').fill('Ada');
      await dialog.getByLabel('Last name').fill('Lovelace');
      await dialog.getByLabel('Date of birth').fill('1815-12-10');
      await dialog.getByLabel('Language', { exact: true }).fill('en');
      await dialog.getByLabel('Country').fill('GB');
      await dialog.getByLabel('Time zone').fill('Europe/London');
      await dialog.getByLabel('Attributes').fill('team=engines');
      await dialog.getByRole('button', { name: 'Save' }).click();
      // The API's VALIDATION_FAILED names the field; its message is under the field, which is marked invalid.
      await dialog.getByRole('textbox', { name: 'External ID' }).and(page.locator('[aria-invalid="true"]')).waitFor();
      await dialog
        .getByText(/externalId/)
        .first()
        .waitFor();
      assert.equal(await dialog.getByRole('textbox', { name: 'Email' }).getAttribute('aria-invalid'), null);
      await checkView(page, 'users-add-invalid');
      await dialog.getByLabel('External ID').fill('ext-1');
      await dialog.getByRole('button', { name: 'Save' }).click();
      await page.getByRole('heading', { level: 1, name: 'ada@example.com' }).waitFor();
      await checkView(page, 'user-profile');

      await page.getByLabel('First name').fill('Augusta');
      await page.getByRole('button', { name: 'Save' }).click();
      await page.getByRole('status').filter({ hasText: 'Saved.' }).waitFor();
      await page.getByRole('button', { name: 'Lock' }).click();
      await page.getByText('Locked').first().waitFor();
      const listed = await admin.get(`/api/identity-store/stores/${STORE}/users?userKey=ada%40example.com&status=locked`);
      assert.equal(listed.body.items[0].firstName, 'Augusta');
      assert.equal(listed.body.items[0].status, 'locked');
      assert.deepEqual(listed.body.items[0].attributes, { team: 'engines' });
      await page.getByRole('button', { name: 'Activate' }).click();
      await page.getByRole('button', { name: 'Lock' }).waitFor();

      await page.getByRole('tab', { name: 'Recovery' }).click();
      await page.getByRole('button', { name: 'Issue recovery link' }).click();
      await page.getByRole('img', { name: 'QR code of the recovery link' }).waitFor();
      const url = await page.getByRole('textbox', { name: 'Recovery link' }).inputValue();
      assert.match(url, new RegExp(`/${TENANT}/identity/${STORE}/recover#`));
      await checkView(page, 'user-recovery');
      for (const tab of ['Passkeys', 'Sessions', 'Audit trail']) {
        await page.getByRole('tab', { name: tab }).click();
        await page.getByRole('tabpanel').waitFor();
      }
      await page.getByRole('cell', { name: 'user.create' }).waitFor();
      await checkView(page, 'user-audit');

      await navigate(page, 'Users');
      await page.getByRole('searchbox', { name: 'Search users' }).fill('Lovelace');
      await page.getByRole('button', { name: 'Search', exact: true }).click();
      await page.getByRole('link', { name: 'ada@example.com' }).waitFor();
      await checkView(page, 'users');
      await page.getByRole('link', { name: 'ada@example.com' }).click();
      await page.getByRole('button', { name: 'Delete user' }).click();
      await page.getByRole('alertdialog').getByRole('button', { name: 'Delete user' }).click();
      await page.getByRole('heading', { level: 1, name: 'Users' }).waitFor();
      assert.equal((await admin.get(`/api/identity-store/stores/${STORE}/users?userKey=ada%40example.com`)).body.items.length, 0);
    });

    test('a stale edit is refused with 409 EDIT_CONFLICT and says so', async () => {
      const created = await admin.post(`/api/identity-store/stores/${STORE}/users`, { userKey: 'grace@example.com', firstName: 'Grace' });
      assert.equal(created.status, 201);
      await page.goto(`${server.origin}/${TENANT}/console/stores/${STORE}/users/${created.body.id}`);
      await page.getByRole('heading', { level: 1, name: 'grace@example.com' }).waitFor();
      assert.equal((await admin.patch(`/api/identity-store/stores/${STORE}/users/${created.body.id}`, { lastName: 'Hopper' })).status, 200);
      await page.getByLabel('First name').fill('G.');
      await page.getByRole('button', { name: 'Save' }).click();
      await page.getByRole('alert').filter({ hasText: 'Someone else changed this in the meantime.' }).waitFor();
      await checkView(page, 'user-conflict');
      const user = await admin.get(`/api/identity-store/stores/${STORE}/users/${created.body.id}`);
      assert.equal(user.body.firstName, 'Grace', 'nothing was overwritten');
      await page.getByRole('button', { name: 'Reload' }).click();
      // The form now shows the current record, the other writer's change included.
      await page.waitForFunction(() => [...document.querySelectorAll('input')].some((input) => input.value === 'Hopper'));
      await page.getByRole('alert').filter({ hasText: 'Someone else changed this' }).waitFor({ state: 'detached' });
    });

    test('a user’s passkeys show their provider’s icon from the FIDO metadata the policy names, or a neutral mark; so does Overview', async () => {
      await admin.patch(`/api/identity-store/stores/${STORE}/passkeys/registrationPolicies/default`, {
        attestationTrust: { requireTrustedAttestation: false, metadata: { url: METADATA_URL } },
      });
      const created = await admin.post(`/api/identity-store/stores/${STORE}/users`, { userKey: 'icons@example.com' });
      assert.equal(created.status, 201);
      const userId = created.body.id as string;
      for (const aaguid of [ICON_MODEL, '7f0e0d0c-0b0a-0908-0706-050403020100']) {
        const started = await admin.post(`/api/identity-store/stores/${STORE}/users/${userId}/passkeys/relyingParties/localhost/registrations/default`, {});
        assert.equal(started.status, 200, JSON.stringify(started.body));
        const response = new SoftAuthenticator({ aaguid }).register(started.body.clientRequest, { origin: server.origin });
        const finished = await admin.post(
          `/api/identity-store/stores/${STORE}/users/${userId}/passkeys/registrations/sessions/${started.body.sessionId}`,
          response,
        );
        assert.equal(finished.status, 201, JSON.stringify(finished.body));
      }
      await page.goto(`${server.origin}/${TENANT}/console/stores/${STORE}/users/${userId}`);
      await page.getByRole('heading', { level: 1, name: 'icons@example.com' }).waitFor();
      await page.getByRole('tab', { name: 'Passkeys' }).click();
      const known = page.locator('.passkey-card').filter({ hasText: 'Keyway Test Key' });
      await known.waitFor();
      assert.equal(await known.locator('img.provider-icon-light').getAttribute('src'), ICON);
      assert.ok(await known.locator('img.provider-icon-light').isVisible());
      const unknown = page.locator('.passkey-card').filter({ hasText: 'Unknown provider' });
      assert.equal(await unknown.getByTestId('provider-icon-neutral').count(), 1);
      assert.equal(await unknown.locator('img').count(), 0);
      await checkView(page, 'user-passkeys');
      // The dark scheme shows the dark icon (here the statement's one icon again), not the light one.
      await page.emulateMedia({ colorScheme: 'dark' });
      try {
        assert.ok(await known.locator('img.provider-icon-dark').isVisible());
        assert.ok(!(await known.locator('img.provider-icon-light').isVisible()));
      } finally {
        await page.emulateMedia({ colorScheme: 'light' });
      }
      await navigate(page, 'Overview');
      const top = page.locator('.provider-list li').filter({ hasText: 'Keyway Test Key' });
      assert.equal(await top.locator('img.provider-icon-light').getAttribute('src'), ICON);
      await checkView(page, 'overview-providers');
    });

    test('users: more than a page — "Show more" follows the cursor and keeps the search', async () => {
      // 105 users match the search (the API's page is 100); one more user does not.
      for (let i = 0; i < 105; i++) {
        const made = await admin.post(`/api/identity-store/stores/${STORE}/users`, { userKey: `paged-${String(i).padStart(3, '0')}` });
        assert.equal(made.status, 201);
      }
      assert.equal((await admin.post(`/api/identity-store/stores/${STORE}/users`, { userKey: 'unpaged' })).status, 201);
      // The search is part of the address (a searched list is a link); the box shows it.
      await page.goto(`${server.origin}/${TENANT}/console/stores/${STORE}/users?q=paged-`);
      await page.getByRole('status').filter({ hasText: 'Showing the first 100 users.' }).waitFor();
      assert.equal(await page.getByRole('searchbox', { name: 'Search users' }).inputValue(), 'paged-');
      const rows = page.getByRole('table', { name: 'Users' }).getByRole('row');
      assert.equal(await rows.count(), 101, 'a header row and the first page');
      await page.getByRole('link', { name: 'paged-099' }).waitFor();
      assert.equal(await page.getByRole('link', { name: 'paged-100' }).count(), 0);
      await checkView(page, 'users-paged');
      await page.getByRole('button', { name: 'Show more' }).click();
      await page.getByRole('status').filter({ hasText: 'Showing all 105 users.' }).waitFor();
      assert.equal(await rows.count(), 106);
      await page.getByRole('link', { name: 'paged-104' }).waitFor();
      assert.equal(await page.getByRole('link', { name: 'unpaged' }).count(), 0, 'the second page kept the search');
      assert.equal(await page.getByRole('button', { name: 'Show more' }).count(), 0);
      assert.equal(new URL(page.url()).searchParams.get('q'), 'paged-');
      // With users, the tenant is set up: Overview (read anew, not from the visit before) drops "Get started".
      await navigate(page, 'Overview');
      await page.getByRole('region', { name: 'Get started' }).waitFor({ state: 'detached' });
    });

    test('API clients: create with the permission picker, rotate, disable, delete', async () => {
      await navigate(page, 'API clients');
      await page.getByRole('button', { name: 'Create API client' }).click();
      const dialog = page.getByRole('dialog');
      await dialog.getByRole('textbox', { name: 'Name', exact: true }).fill('backend');
      await dialog.getByText('listUsers', { exact: true }).click();
      await dialog.getByText('getUser', { exact: true }).click();
      await dialog.getByRole('button', { name: 'Save' }).click();
      const secretDialog = page.getByRole('dialog', { name: 'Client secret' });
      const clientId = await secretDialog.getByLabel('Client ID').inputValue();
      assert.ok((await secretDialog.getByLabel('Client secret').inputValue()).length > 20);
      await checkView(page, 'api-client-secret');
      await secretDialog.getByRole('button', { name: 'Close' }).click();
      const client = await admin.get(`/api/admin/clients/${clientId}`);
      assert.deepEqual(client.body.permissions.sort(), [`TNT#${TENANT}#IdentityStore:getUser`, `TNT#${TENANT}#IdentityStore:listUsers`]);
      const card = page.getByRole('listitem').filter({ hasText: clientId });
      await card.getByRole('button', { name: 'Rotate secret' }).click();
      await page.getByRole('alertdialog').getByRole('button', { name: 'Rotate secret' }).click();
      await page.getByRole('dialog', { name: 'Client secret' }).getByRole('button', { name: 'Close' }).click();
      await card.getByRole('button', { name: 'Disable' }).click();
      await card.getByRole('button', { name: 'Enable' }).waitFor();
      assert.equal((await admin.get(`/api/admin/clients/${clientId}`)).body.enabled, false);
      await checkView(page, 'api-clients');
      await card.getByRole('button', { name: 'Delete' }).click();
      await page.getByRole('alertdialog').getByRole('button', { name: 'Delete' }).click();
      await card.waitFor({ state: 'detached' });
      assert.equal((await admin.get(`/api/admin/clients/${clientId}`)).status, 404);
    });

    test('forms, pages and journeys: create, edit, validate, publish', async () => {
      for (const area of ['Forms', 'Pages'] as const) {
        await navigate(page, area);
        await page.getByRole('button', { name: 'Create' }).click();
        await page.getByRole('dialog').getByRole('textbox', { name: 'Name' }).fill(`welcome-${area.toLowerCase()}`);
        await page.getByRole('dialog').getByRole('button', { name: 'Create' }).click();
        await page.getByRole('heading', { level: 1, name: `welcome-${area.toLowerCase()}` }).waitFor();
        if (area === 'Forms') {
          await page.getByRole('textbox', { name: 'JSON definition' }).fill('{"title": ');
          await page.getByText('This is not valid JSON').waitFor();
          await page.getByRole('textbox', { name: 'JSON definition' }).fill(JSON.stringify({ title: { type: 'title', values: { en: 'Hello there' } } }));
          await page.getByRole('status').filter({ hasText: 'Valid.' }).waitFor();
          await page.getByRole('heading', { name: 'Hello there' }).waitFor();
        } else {
          // The preview draws the page with its own inline styles (the console's CSP refuses them in its own document)
          // and runs none of its scripts; typing adds nothing to the browser's history.
          const history = await page.evaluate(() => window.history.length);
          const preview = page.frameLocator('iframe[title="Preview"]');
          for (const [colour, rgb] of [
            ['rebeccapurple', 'rgb(102, 51, 153)'],
            ['teal', 'rgb(0, 128, 128)'],
          ] as const) {
            await page
              .getByRole('textbox', { name: 'HTML' })
              .fill(
                `<!doctype html><html lang="en"><head><script>document.documentElement.dataset.ran = 'yes'</script>` +
                  `<style>h1 { color: ${colour} }</style></head><body><h1 style="letter-spacing: 3px">Welcome in ${colour}</h1></body></html>`,
              );
            const heading = preview.getByRole('heading', { name: `Welcome in ${colour}` });
            await heading.waitFor();
            assert.deepEqual(
              await heading.evaluate((h1) => [
                getComputedStyle(h1).color,
                getComputedStyle(h1).letterSpacing,
                h1.ownerDocument.documentElement.dataset.ran ?? 'no',
              ]),
              [rgb, '3px', 'no'],
            );
          }
          assert.equal(await page.evaluate(() => window.history.length), history);
        }
        await page.getByRole('button', { name: 'Save version' }).click();
        await page.getByRole('status').filter({ hasText: 'Saved.' }).waitFor();
        await page.getByRole('button', { name: 'Publish' }).click();
        await page.getByText('Published', { exact: true }).first().waitFor();
        await checkView(page, `content-${area.toLowerCase()}`);
      }
      await navigate(page, 'Journeys');
      await page.getByRole('button', { name: 'Create journey' }).click();
      await page.getByRole('dialog').getByLabel('Journey ID').fill('sign-in');
      await page.getByRole('dialog').getByRole('button', { name: 'Create' }).click();
      await page.getByRole('textbox', { name: 'Draft' }).waitFor();
      await page.getByRole('button', { name: 'Validate' }).click();
      await page.getByRole('heading', { name: 'Problems' }).waitFor();
      await checkView(page, 'journey');
      await page.getByRole('button', { name: 'Delete' }).click();
      await page.getByRole('alertdialog').getByRole('button', { name: 'Delete' }).click();
      await page.getByRole('heading', { level: 1, name: 'Journeys' }).waitFor();
    });

    test('signing keys rotate; the audit log shows the operator’s actions and exports', async () => {
      await navigate(page, 'Signing keys');
      await page.getByRole('button', { name: 'Rotate signing key' }).click();
      await page.getByRole('alertdialog').getByRole('button', { name: 'Rotate signing key' }).click();
      await page.getByRole('cell', { name: 'Retired' }).first().waitFor();
      await checkView(page, 'signing-keys');
      await navigate(page, 'Audit log');
      await page.getByLabel('Action').fill('user.create');
      await page.getByRole('button', { name: 'Apply filters' }).click();
      await page.getByRole('cell', { name: 'user.create' }).first().waitFor();
      await checkView(page, 'audit');
      const session = await page.evaluate(
        async (tenant) => (await (await fetch(`/${tenant}/console/api/session`)).json()) as { operator: { id: string } },
        TENANT,
      );
      const events = await admin.get('/api/audit?action=user.create');
      assert.ok(
        events.body.items.some((e: { actor: string }) => e.actor.includes(session.operator.id)),
        'the console’s user.create names the operator as its actor',
      );
      const download = page.waitForEvent('download');
      await page.getByRole('button', { name: 'Export CSV' }).click();
      assert.match((await download).suggestedFilename(), /^audit-.*\.csv$/);
    });

    test('operators: invite a Viewer, who sees no "Add user" and whose forced call is refused with 403', async () => {
      await navigate(page, 'Operators');
      await page.getByRole('button', { name: 'Invite operator' }).click();
      const dialog = page.getByRole('dialog');
      await dialog.getByRole('button', { name: /Role/ }).click();
      await page.getByRole('option', { name: 'Viewer' }).click();
      await dialog.getByRole('button', { name: 'Invite operator' }).click();
      const link = await dialog.getByRole('textbox', { name: 'Invitation link' }).inputValue();
      await checkView(page, 'operators-invite');
      await dialog.getByRole('button', { name: 'Close' }).click();
      const viewer = await enrolOperator(browser, link, 'Victor Viewer');
      try {
        await navigate(viewer.page, 'Users');
        await viewer.page.getByRole('searchbox', { name: 'Search users' }).waitFor();
        assert.equal(await viewer.page.getByRole('button', { name: 'Add user' }).count(), 0);
        assert.equal(await pageFetchStatus(viewer.page, 'POST', `/api/identity-store/stores/${STORE}/users`, { userKey: 'forced' }), 403);
        await checkView(viewer.page, 'users-viewer');
      } finally {
        await viewer.close();
      }
      await page.reload();
      await page.getByRole('cell', { name: 'Victor Viewer', exact: true }).waitFor();
      await page.getByRole('link', { name: /Ada Operator/ }).click();
      await page.getByRole('heading', { level: 1, name: 'My passkeys' }).waitFor();
      await checkView(page, 'my-passkeys');
    });

    test('an operator adds a second passkey and sees both', async () => {
      // Its own operator, so the authenticator the first passkey lives on is known and can be swapped for a second one
      // (an authenticator that already holds an excluded credential would refuse the new one).
      const session = await WebAuthnPage.open(browser, await invitationLink(server, TENANT, 'viewer'));
      try {
        const first = await session.addVirtualAuthenticator({ ...PLATFORM_AUTHENTICATOR, defaultBackupEligibility: true, defaultBackupState: true });
        const operator = session.page;
        operator.setDefaultTimeout(10_000);
        await operator.getByLabel('Your name').fill('Paula Passkeys');
        await operator.getByRole('button', { name: 'Create passkey and sign in' }).click();
        await operator.getByRole('heading', { level: 1, name: 'Overview' }).waitFor();
        await operator.getByRole('link', { name: /Paula Passkeys/ }).click();
        await operator.getByRole('heading', { level: 1, name: 'My passkeys' }).waitFor();
        await operator.getByText('Your only passkey cannot be deleted.').waitFor();
        await session.removeVirtualAuthenticator(first);
        await session.addVirtualAuthenticator({ protocol: 'ctap2', transport: 'usb', hasResidentKey: true, hasUserVerification: true, isUserVerified: true });
        await operator.getByRole('button', { name: 'Add a passkey' }).click();
        await operator.locator('.passkey-card').nth(1).waitFor();
        assert.equal(await operator.locator('.passkey-card').count(), 2);
        await operator.getByText('Synced', { exact: true }).waitFor();
        await operator.getByText('Device-bound', { exact: true }).waitFor();
        // With two, either can be deleted: the "only passkey" note is gone and each card has its Delete.
        assert.equal(await operator.getByText('Your only passkey cannot be deleted.').count(), 0);
        assert.equal(await operator.getByRole('button', { name: 'Delete' }).count(), 2);
        await checkView(operator, 'my-passkeys-two');
      } finally {
        await session.close();
      }
    });

    test('operators: an owner changes another operator’s role and removes them; no one raises their own role or removes the last owner', async () => {
      const alan = await enrolOperator(browser, await invitationLink(server, TENANT, 'admin'), 'Alan Admin');
      try {
        const alanId = await sessionOperatorId(alan.page);
        // An admin may manage operators, but not make anyone an owner, themselves least of all.
        assert.equal(await pageFetchStatus(alan.page, 'PATCH', `/api/console/operators/${alanId}`, { role: 'owner' }), 403);
        const ownerId = await sessionOperatorId(page);
        // The tenant's only owner cannot remove or demote themselves.
        assert.equal(await pageFetchStatus(page, 'DELETE', `/api/console/operators/${ownerId}`), 409);
        assert.equal(await pageFetchStatus(page, 'PATCH', `/api/console/operators/${ownerId}`, { role: 'admin' }), 409);

        await navigate(page, 'Operators');
        const row = page.getByRole('row').filter({ hasText: 'Alan Admin' });
        await row.getByRole('button', { name: /Role of Alan Admin/ }).click();
        await page.getByRole('option', { name: 'Support' }).click();
        await row.getByRole('button', { name: /Support/ }).waitFor();
        const listed = await admin.get('/api/console/operators');
        assert.equal(listed.body.items.find((o: { id: string }) => o.id === alanId).role, 'support');
        // The new role applies to Alan's next request: Support may not manage operators at all.
        assert.equal(await pageFetchStatus(alan.page, 'PATCH', `/api/console/operators/${alanId}`, { role: 'admin' }), 403);
        await checkView(page, 'operators');

        await row.getByRole('button', { name: 'Remove' }).click();
        await page.getByRole('alertdialog').getByRole('button', { name: 'Remove' }).click();
        await row.waitFor({ state: 'detached' });
        const after = await admin.get('/api/console/operators');
        assert.equal(
          after.body.items.some((o: { id: string }) => o.id === alanId),
          false,
        );
        assert.equal(await pageFetchStatus(alan.page, 'GET', '/api/console/operators'), 401, 'a removed operator’s session ends');
      } finally {
        await alan.close();
      }
    });

    test('journey templates install from the console', async () => {
      await navigate(page, 'Journeys');
      await page.getByRole('button', { name: 'Install templates' }).click();
      const dialog = page.getByRole('dialog');
      await dialog.getByRole('button', { name: 'Install templates' }).click();
      await dialog.getByRole('status').filter({ hasText: 'Saved.' }).waitFor();
      await checkView(page, 'journeys-templates');
      await dialog.getByRole('button', { name: 'Close' }).click();
      const journeys = await admin.get('/api/journeys');
      assert.ok(journeys.body.items.length > 0, 'templates were installed');
      for (const journey of journeys.body.items as { journeyId: string; latestVersion: number }[]) {
        await page.getByRole('link', { name: journey.journeyId, exact: true }).waitFor();
        assert.ok(journey.latestVersion >= 1, `${journey.journeyId} is published`);
      }
    });

    test('the audit log exports JSON Lines and CSV, each a file a program can read', async () => {
      await navigate(page, 'Audit log');
      await page.getByLabel('Action').fill('user.create');
      await page.getByRole('button', { name: 'Apply filters' }).click();
      await page.getByRole('cell', { name: 'user.create' }).first().waitFor();
      const expected = (await admin.get('/api/audit?action=user.create&limit=200')).body.items.length as number;

      const jsonl = page.waitForEvent('download');
      await page.getByRole('button', { name: 'Export JSON Lines' }).click();
      const jsonlFile = await jsonl;
      assert.match(jsonlFile.suggestedFilename(), /^audit-.*\.jsonl$/);
      const lines = (await readFile((await jsonlFile.path())!, 'utf8')).split('\n').filter((line) => line !== '');
      const events = lines.map((line) => JSON.parse(line) as { action: string; actor: string; time: string });
      assert.equal(events.length, expected);
      assert.ok(
        events.every((e) => e.action === 'user.create'),
        'the export keeps the filter',
      );
      assert.ok(events.every((e) => typeof e.actor === 'string' && !Number.isNaN(Date.parse(e.time))));

      const csv = page.waitForEvent('download');
      await page.getByRole('button', { name: 'Export CSV' }).click();
      const csvFile = await csv;
      assert.match(csvFile.suggestedFilename(), /^audit-.*\.csv$/);
      const records = (await readFile((await csvFile.path())!, 'utf8')).split('\r\n').filter((line) => line !== '');
      const header = records[0]!.split(',');
      for (const column of ['action', 'actor']) assert.ok(header.includes(column), `CSV column ${column}`);
      assert.equal(records.length, expected + 1, 'a header and one record per event');
      const actionColumn = header.indexOf('action');
      // No field of a user.create event holds a line break, so each record is one line here.
      assert.ok(records.slice(1).every((record) => record.split(',')[actionColumn] === 'user.create'));
    });

    test('German', async () => {
      await page.getByRole('button', { name: /Language/ }).click();
      await page.getByRole('option', { name: 'Deutsch' }).click();
      await navigate(page, 'Benutzer', 'Benutzer', 'Konsole');
      await page.getByRole('button', { name: 'Benutzer hinzufügen' }).waitFor();
      await checkView(page, 'users-de');
      await navigate(page, 'Übersicht', 'Übersicht', 'Konsole');
      await checkView(page, 'overview-de');
      await page.getByRole('button', { name: /Sprache/ }).click();
      await page.getByRole('option', { name: 'English' }).click();
      await page.getByRole('heading', { level: 1, name: 'Overview' }).waitFor();
    });

    test('no view the tests above opened broke the CSP or threw', () => {
      assert.deepEqual(problems(), []);
    });
  });
}
