// Writes that are not a resource's own edit still make a new version of it, on both databases: an edit form opened
// before a secret rotation, a publish, a membership or domain change, or the user's own activation answers 409
// EDIT_CONFLICT when saved, and changes nothing; loaded again, the same edit goes through.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { SEED_REGISTRATION_FORM } from '../journeys/forms-fixtures.ts';
import { ADMIN, ORIGIN, SelfServiceWorld, expectProblem, expectStatus } from '../selfservice/selfservice-fixture.ts';
import { DATABASE_KINDS } from '../support/databases.ts';
import { SoftAuthenticator } from '../support/soft-authenticator.ts';

const ORGS = `${ADMIN}/organizations`;

for (const kind of DATABASE_KINDS) {
  describe(`writes beside the edit make a form stale, on ${kind}`, () => {
    let world: SelfServiceWorld;
    before(async () => {
      world = await SelfServiceWorld.create(kind);
    });
    after(() => world.close());

    /** Opens the resource (its ETag), runs the other write, then saves the stale form: 409, the resource as the other write left it; loaded again, the save goes through. */
    async function staleAfter(path: string, otherWrite: () => Promise<unknown>, edit: Record<string, unknown>, field: string) {
      const opened = await expectStatus(world.api.get(path), 200);
      const etag = opened.headers.get('etag')!;
      await otherWrite();
      const between = await expectStatus(world.api.get(path), 200);
      assert.notEqual(between.headers.get('etag'), etag, `${path}: the other write made a new version`);
      const refused = await expectProblem(world.api.request('PATCH', path, edit, { 'if-match': etag }), 409, 'EDIT_CONFLICT');
      assert.equal(refused.headers.get('etag'), between.headers.get('etag'), 'the refusal names the current version');
      assert.deepEqual((await world.api.get(path)).body[field], between.body[field], `${path}: the stale save changed nothing`);
      const saved = await expectStatus(world.api.request('PATCH', path, edit, { 'if-match': between.headers.get('etag')! }), 200);
      assert.equal(saved.body[field], edit[field]);
    }

    test('rotating an API client’s secret', async () => {
      const client = await expectStatus(world.api.post('/api/admin/clients', { name: 'rotated', permissions: ['TNT#acme#IdentityStore:getUser'] }), 201);
      const path = `/api/admin/clients/${client.body.clientId}`;
      await staleAfter(path, () => expectStatus(world.api.post(`${path}/secret`), 200), { name: 'Renamed' }, 'name');
    });

    test('adding, changing and removing a member; adding and removing a domain', async () => {
      const org = await expectStatus(world.api.post(ORGS, { name: 'Stale GmbH' }), 201);
      const path = `${ORGS}/${org.body.id}`;
      const user = await expectStatus(world.api.post(`${ADMIN}/users`, { userKey: 'member' }), 201);
      const member = `${path}/members/${user.body.id}`;
      await staleAfter(path, () => expectStatus(world.api.post(`${path}/members`, { userId: user.body.id }), 201), { displayName: 'One' }, 'displayName');
      await staleAfter(path, () => expectStatus(world.api.request('PUT', member, { roles: ['admin'] }), 200), { displayName: 'Two' }, 'displayName');
      await staleAfter(path, () => expectStatus(world.api.request('DELETE', member), 204), { displayName: 'Three' }, 'displayName');
      await staleAfter(path, () => expectStatus(world.api.post(`${path}/domains`, { domain: 'stale.example' }), 201), { displayName: 'Four' }, 'displayName');
      await staleAfter(path, () => expectStatus(world.api.request('DELETE', `${path}/domains/stale.example`), 204), { displayName: 'Five' }, 'displayName');
    });

    test('a user activating their pending account with their first passkey', async () => {
      const browser = world.browser();
      const begun = await expectStatus(browser.post('/register/webauthn/begin', { identifier: 'pending@example.com' }), 200);
      const listed = await expectStatus(world.api.get(`${ADMIN}/users?userKey=pending@example.com`), 200);
      const pending = listed.body.items[0] as { id: string; status: string };
      assert.equal(pending.status, 'pending');
      const credential = new SoftAuthenticator().register(begun.body.publicKey, { origin: ORIGIN });
      await staleAfter(
        `${ADMIN}/users/${pending.id}`,
        async () => {
          await expectStatus(browser.post('/register/webauthn/finish', credential), 201);
          assert.equal((await world.api.get(`${ADMIN}/users/${pending.id}`)).body.status, 'active');
        },
        { firstName: 'Pat' },
        'firstName',
      );
    });

    test('publishing a journey and a form version', async () => {
      await expectStatus(world.api.post('/api/journeys', { journeyId: 'published' }), 201);
      const definition = {
        schemaVersion: 1,
        store: 'customers',
        start: 'done',
        access: { public: true },
        steps: [{ id: 'done', type: 'general.end', parameters: { result: 'success' } }],
      };
      const opened = await expectStatus(world.api.get('/api/journeys/published'), 200);
      const drafted = await expectStatus(
        world.api.request('PUT', '/api/journeys/published/draft', { definition }, { 'if-match': opened.headers.get('etag')! }),
        200,
      );
      await expectStatus(world.api.post('/api/journeys/published/publish'), 201);
      // The designer's copy from before the publish (the ETag its save answered) is stale now.
      await expectProblem(
        world.api.request('PUT', '/api/journeys/published/draft', { definition, name: 'Stale' }, { 'if-match': drafted.headers.get('etag')! }),
        409,
        'EDIT_CONFLICT',
      );
      assert.notEqual((await world.api.get('/api/journeys/published')).body.name, 'Stale');

      await expectStatus(world.api.post('/api/custom-forms', { name: 'published-form', form: SEED_REGISTRATION_FORM }), 201);
      const version = '/api/custom-forms/published-form/versions/1';
      const before = await expectStatus(world.api.get(version), 200);
      await expectStatus(world.api.post(`${version}/publish`), 200);
      const after = await expectStatus(world.api.get(version), 200);
      assert.notEqual(after.headers.get('etag'), before.headers.get('etag'), 'publishing makes a new version of the form version');
    });
  });
}
