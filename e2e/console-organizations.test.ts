// The console's Organizations area in a real browser on both databases: an owner creates an organization with a
// device-bound-only policy, sees it, edits it (name and AAGUID deny list), adds a member with roles, claims a
// domain and marks it verified, then deletes the organization. Each view is checked with axe and screenshotted
// (light, dark, 360 px).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { DATABASE_KINDS } from '../packages/server/test/support/databases.ts';
import type { HttpClient } from '../packages/server/test/support/http-client.ts';
import { launchChromium, type WebAuthnPage } from './support/browser.ts';
import { checkView, enrolOperator, ensureConsoleBuilt, invitationLink } from './support/console.ts';
import { watchPage } from './support/hosted-pages.ts';
import { startSelfServiceServer, type SelfServiceServer } from './support/selfservice-server.ts';

const TENANT = 'acme';
const STORE = 'customers';
const AAGUID = 'cb69481e-8ff7-4039-93ec-0a2729a154a8';

let browser: Browser;
before(async () => {
  await ensureConsoleBuilt();
  browser = await launchChromium();
});
after(async () => {
  await browser?.close();
});

for (const kind of DATABASE_KINDS) {
  describe(`console organizations (${kind})`, () => {
    let server: SelfServiceServer;
    let admin: HttpClient;
    let owner: WebAuthnPage;
    let page: Page;
    /** CSP refusals and uncaught errors on the operator's page, from enrolment to the last test */
    let problems: () => string[] = () => [];

    before(async () => {
      server = await startSelfServiceServer(kind);
      admin = (await server.tenant(TENANT)).api;
      assert.equal((await admin.post('/api/identity-store/stores', { name: STORE })).status, 201);
      assert.equal((await admin.post(`/api/identity-store/stores/${STORE}/users`, { userKey: 'alice' })).status, 201);
      owner = await enrolOperator(browser, await invitationLink(server, TENANT, 'owner'), 'Ada Operator');
      page = owner.page;
      ({ problems } = watchPage(page));
    });
    after(async () => {
      await owner?.close();
      await server?.close();
    });

    test('create → see → edit → members and domains → delete, each view axe-clean', async () => {
      await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Organizations', exact: true }).click();
      await page.getByRole('heading', { level: 1, name: 'Organizations' }).waitFor();
      await page.getByText('No organizations yet.').waitFor();

      await page.getByRole('button', { name: 'Add organization' }).click();
      const create = page.getByRole('dialog');
      await create.getByLabel('Organization name').fill('Globex');
      await create.getByText('Device-bound passkeys only').click();
      await create.getByRole('button', { name: 'Save' }).click();
      await page.getByRole('link', { name: 'Globex', exact: true }).waitFor();
      await checkView(page, 'organizations');

      const row = page.getByRole('row').filter({ has: page.getByRole('link', { name: 'Globex', exact: true }) });
      await row.getByRole('button', { name: 'Edit' }).click();
      const edit = page.getByRole('dialog');
      await edit.getByLabel('Organization name').fill('Globex Corp');
      await edit.getByLabel('Refused authenticator models (AAGUIDs)').fill(AAGUID.toUpperCase());
      await edit.getByRole('button', { name: 'Save' }).click();
      await page.getByRole('link', { name: 'Globex Corp', exact: true }).waitFor();
      const listed = (await admin.get(`/api/identity-store/stores/${STORE}/organizations`)).body.items;
      assert.equal(listed.length, 1);
      assert.deepEqual(listed[0].policy, { passkeyRequired: false, deviceBoundOnly: true, aaguidAllowList: [], aaguidDenyList: [AAGUID] });

      await page.getByRole('link', { name: 'Globex Corp', exact: true }).click();
      await page.getByRole('heading', { level: 1, name: 'Globex Corp' }).waitFor();
      const members = page.getByRole('region', { name: 'Members' });
      await members.getByLabel('User key').fill('alice');
      await members.getByLabel('Roles', { exact: true }).fill('admin billing');
      await members.getByRole('button', { name: 'Add member' }).click();
      await members.getByRole('row', { name: /alice/ }).getByText('admin, billing').waitFor();
      const domains = page.getByRole('region', { name: 'E-mail domains' });
      await domains.getByLabel('Domain').fill('Globex.Example');
      await domains.getByRole('button', { name: 'Claim domain' }).click();
      await domains.getByRole('heading', { name: 'globex.example' }).waitFor();
      await domains.getByText('Not verified').waitFor();
      await domains.getByText(/_keyway\.globex\.example TXT "keyway-verification=/).waitFor();
      await checkView(page, 'organization-detail');
      await domains.getByRole('button', { name: 'Mark verified' }).click();
      await domains.getByText('Verified', { exact: true }).waitFor();
      const orgId = listed[0].id as string;
      const member = await admin.get(`/api/identity-store/stores/${STORE}/organizations/${orgId}/members`);
      assert.deepEqual(
        member.body.items.map((m: { userKey: string; roles: string[] }) => [m.userKey, m.roles]),
        [['alice', ['admin', 'billing']]],
      );

      await page.getByRole('link', { name: 'All organizations' }).click();
      const again = page.getByRole('row').filter({ has: page.getByRole('link', { name: 'Globex Corp', exact: true }) });
      await again.getByRole('button', { name: 'Delete' }).click();
      await page.getByRole('alertdialog').getByRole('button', { name: 'Delete' }).click();
      await page.getByText('No organizations yet.').waitFor();
      assert.equal((await admin.get(`/api/identity-store/stores/${STORE}/organizations/${orgId}`)).body.code, 'ORGANIZATION_NOT_FOUND');
    });

    test('no view the tests above opened broke the CSP or threw', () => {
      assert.deepEqual(problems(), []);
    });
  });
}
