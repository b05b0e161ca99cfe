// The store's application URL (selfService.applicationUrl): where hosted sign-in, sign-up and journeys lead when
// they were given no `return_to`. Set through the admin API, checked as `return_to` is (but it may be another
// origin: https, plain http only for localhost), stored as the absolute URL, and served to the pages. Both databases.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DATABASE_KINDS } from '../support/databases.ts';
import { ADMIN, BASE, ORIGIN, SELF_SERVICE, SelfServiceWorld, expectProblem, expectStatus } from './selfservice-fixture.ts';

/** The JSON data block of a hosted page. */
function pageData(html: string): Record<string, unknown> {
  const match = /<script type="application\/json" id="keyway-page">(.*?)<\/script>/s.exec(html);
  assert.ok(match, 'the page has its data block');
  return JSON.parse(match[1]!) as Record<string, unknown>;
}

for (const kind of DATABASE_KINDS) {
  describe(`self-service application URL on ${kind}`, () => {
    let world: SelfServiceWorld;
    before(async () => {
      world = await SelfServiceWorld.create(kind);
    });
    after(() => world.close());

    test('accepted: an https URL elsewhere, http on localhost, a path on Keyway; stored absolute and shown on GET', async () => {
      for (const [given, stored] of [
        ['https://shop.example.com/account?welcome=1#top', 'https://shop.example.com/account?welcome=1#top'],
        ['http://localhost:3000/', 'http://localhost:3000/'],
        ['/acme/identity/customers/passkeys', `${ORIGIN}/acme/identity/customers/passkeys`],
      ] as const) {
        const patched = await expectStatus(world.api.patch(ADMIN, { selfService: { ...SELF_SERVICE, applicationUrl: given } }), 200);
        assert.equal(patched.body.selfService.applicationUrl, stored, given);
        assert.equal((await expectStatus(world.api.get(ADMIN), 200)).body.selfService.applicationUrl, stored, given);
        const column = await world.db.selectFrom('stores').select('self_service').where('name', '=', 'customers').executeTakeFirstOrThrow();
        assert.equal((JSON.parse(column.self_service!) as { applicationUrl: string }).applicationUrl, stored);
      }
      // The hosted sign-in page hands it to its script.
      const page = await world.browser().request('GET', `${BASE}/signin`);
      assert.equal(page.status, 200);
      assert.equal(pageData(String(page.body)).applicationUrl, `${ORIGIN}/acme/identity/customers/passkeys`);
    });

    test('refused with the field named: other schemes, plain http elsewhere, user info, protocol-relative, controls, encoded separators; nothing changes', async () => {
      await expectStatus(world.api.patch(ADMIN, { selfService: { ...SELF_SERVICE, applicationUrl: 'https://shop.example.com/' } }), 200);
      for (const bad of [
        'javascript:alert(1)',
        'data:text/html,hi',
        'http://shop.example.com/',
        'https://user:secret@shop.example.com/',
        '//evil.example/',
        '/\\evil.example',
        'https://shop.example.com/a b',
        'https://shop.example.com/%2f%2fevil',
        'shop.example.com',
        'https://shop.example.com//x',
      ]) {
        const refused = await expectProblem(world.api.patch(ADMIN, { selfService: { ...SELF_SERVICE, applicationUrl: bad } }), 400, 'VALIDATION_FAILED');
        assert.deepEqual(
          refused.body.errors.map((e: { field: string }) => e.field),
          ['selfService.applicationUrl'],
          bad,
        );
      }
      assert.equal(
        (await expectStatus(world.api.get(ADMIN), 200)).body.selfService.applicationUrl,
        'https://shop.example.com/',
        'the stored value is unchanged',
      );
      // Removing it: the configuration without the field.
      const cleared = await expectStatus(world.api.patch(ADMIN, { selfService: SELF_SERVICE }), 200);
      assert.equal(cleared.body.selfService.applicationUrl, undefined);
    });
  });
}
