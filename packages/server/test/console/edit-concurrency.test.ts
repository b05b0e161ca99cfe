// Optimistic concurrency made atomic, on both databases: two writes sent at once with the same If-Match → exactly one
// changes the resource (and is audited), the other answers 409 EDIT_CONFLICT, on every editable resource; a stale
// delete changes nothing; a tag of a deleted resource does not match the one re-created under the same name; the
// claim is the write's own conditional UPDATE (its version column moves with each edit, with If-Match or without).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ADMIN, SelfServiceWorld, expectProblem, expectStatus } from '../selfservice/selfservice-fixture.ts';
import { DATABASE_KINDS } from '../support/databases.ts';
import { SEED_REGISTRATION_FORM } from '../journeys/forms-fixtures.ts';

for (const kind of DATABASE_KINDS) {
  describe(`atomic edit concurrency on ${kind}`, () => {
    let world: SelfServiceWorld;
    before(async () => {
      world = await SelfServiceWorld.create(kind);
    });
    after(() => world.close());

    const auditCount = async (action: string) =>
      Number(
        (
          await world.db
            .selectFrom('audit_events')
            .select((eb) => eb.fn.countAll().as('n'))
            .where('action', '=', action)
            .executeTakeFirstOrThrow()
        ).n,
      );

    test('two writes with the same If-Match at once: exactly one succeeds, on every editable resource', async () => {
      const user = await expectStatus(world.api.post(`${ADMIN}/users`, { userKey: 'racer', firstName: 'Start' }), 201);
      await expectStatus(world.api.post('/api/journeys', { journeyId: 'raced' }), 201);
      await expectStatus(world.api.post('/api/custom-forms', { name: 'raced-form', form: SEED_REGISTRATION_FORM }), 201);
      const client = await expectStatus(world.api.post('/api/admin/clients', { name: 'raced-client', permissions: ['TNT#acme#IdentityStore:getUser'] }), 201);
      const form = (title: string) => ({ form: { ...SEED_REGISTRATION_FORM, title: { ...SEED_REGISTRATION_FORM.title, values: { en: title } } } });
      const resources: {
        path: string;
        write: 'PATCH' | 'PUT';
        bodies: [unknown, unknown];
        action: string;
        read: (body: Record<string, unknown>) => unknown;
      }[] = [
        {
          path: `${ADMIN}/users/${user.body.id}`,
          write: 'PATCH',
          bodies: [{ firstName: 'A' }, { firstName: 'B' }],
          action: 'user.update',
          read: (b) => b.firstName,
        },
        { path: ADMIN, write: 'PATCH', bodies: [{ displayName: 'A' }, { displayName: 'B' }], action: 'store.update', read: (b) => b.displayName },
        {
          path: `${ADMIN}/passkeys/relyingParties/keyway.test`,
          write: 'PATCH',
          bodies: [{ name: 'A' }, { name: 'B' }],
          action: 'relyingParty.update',
          read: (b) => b.name,
        },
        {
          path: `${ADMIN}/passkeys/registrationPolicies/default`,
          write: 'PATCH',
          bodies: [{ timeout: 110000 }, { timeout: 130000 }],
          action: 'registrationPolicy.update',
          read: (b) => b.timeout,
        },
        {
          path: `${ADMIN}/passkeys/authenticationPolicies/default`,
          write: 'PATCH',
          bodies: [{ timeout: 110000 }, { timeout: 130000 }],
          action: 'authenticationPolicy.update',
          read: (b) => b.timeout,
        },
        {
          path: `${ADMIN}/branding`,
          write: 'PUT',
          bodies: [{ productName: 'A' }, { productName: 'B' }],
          action: 'store.branding.update',
          read: (b) => b.productName,
        },
        {
          path: `/api/admin/clients/${client.body.clientId}`,
          write: 'PATCH',
          bodies: [{ name: 'A' }, { name: 'B' }],
          action: 'apiClient.update',
          read: (b) => b.name,
        },
        {
          path: '/api/custom-forms/raced-form/versions/1',
          write: 'PUT',
          bodies: [form('A'), form('B')],
          action: 'journey.form.version.update',
          read: (b) => (b.form as typeof SEED_REGISTRATION_FORM).title.values.en,
        },
      ];
      for (const resource of resources) {
        const read = await expectStatus(world.api.get(resource.path), 200);
        const etag = read.headers.get('etag');
        assert.match(etag ?? '', /^"\d+\.[A-Za-z0-9_-]{12}"$/, resource.path);
        const auditedBefore = await auditCount(resource.action);
        const answers = await Promise.all(resource.bodies.map((body) => world.api.request(resource.write, resource.path, body, { 'if-match': etag! })));
        const statuses = answers.map((a) => a.status).sort();
        assert.deepEqual(statuses, [200, 409], `${resource.path}: ${JSON.stringify(answers.map((a) => a.body))}`);
        const winner = answers.findIndex((a) => a.status === 200);
        const loser = answers[1 - winner]!;
        assert.equal(loser.body.code, 'EDIT_CONFLICT');
        assert.equal(loser.headers.get('etag'), answers[winner]!.headers.get('etag'), 'the refusal names the version that won');
        const after = await expectStatus(world.api.get(resource.path), 200);
        assert.deepEqual(resource.read(after.body), resource.read(resource.bodies[winner] as Record<string, unknown>), resource.path);
        assert.equal(after.headers.get('etag'), answers[winner]!.headers.get('etag'), 'the write answers the ETag a read now gives');
        assert.equal(await auditCount(resource.action), auditedBefore + 1, `${resource.path}: only the winner is audited`);
      }

      // The journey draft is part of the journey: its PUT is checked against the journey's ETag.
      const journey = await expectStatus(world.api.get('/api/journeys/raced'), 200);
      const drafts = await Promise.all(
        ['A', 'B'].map((name) =>
          world.api.request('PUT', '/api/journeys/raced/draft', { name, definition: { nodes: [] } }, { 'if-match': journey.headers.get('etag')! }),
        ),
      );
      assert.deepEqual(drafts.map((d) => d.status).sort(), [200, 409]);
    });

    test('a stale delete changes nothing; a re-created resource does not match the old tag; the version moves with every edit', async () => {
      const made = await expectStatus(world.api.post(`${ADMIN}/users`, { userKey: 'short-lived', externalId: 'short-lived' }), 201);
      const url = `${ADMIN}/users/${made.body.id}`;
      const first = (await expectStatus(world.api.get(url), 200)).headers.get('etag')!;
      await expectStatus(world.api.patch(url, { firstName: 'Edited without If-Match' }), 200);
      const row = await world.db.selectFrom('users').select('edit_version').where('id', '=', made.body.id).executeTakeFirstOrThrow();
      assert.equal(row.edit_version, 1, 'a write without If-Match advances the version too');
      await expectProblem(world.api.request('DELETE', url, undefined, { 'if-match': first }), 409, 'EDIT_CONFLICT');
      await expectStatus(world.api.get(url), 200);
      // `*` accepts any current version (RFC 9110 §13.1.1).
      const deleted = await world.api.request('DELETE', url, undefined, { 'if-match': '*' });
      assert.equal(deleted.status, 204);

      const rp = `${ADMIN}/passkeys/relyingParties/gone.keyway.test`;
      await expectStatus(
        world.api.post(`${ADMIN}/passkeys/relyingParties`, { id: 'gone.keyway.test', name: 'Gone', origins: ['https://gone.keyway.test'] }),
        201,
      );
      const old = (await expectStatus(world.api.get(rp), 200)).headers.get('etag')!;
      await expectStatus(world.api.request('DELETE', rp, undefined, { 'if-match': old }), 204);
      await expectStatus(
        world.api.post(`${ADMIN}/passkeys/relyingParties`, { id: 'gone.keyway.test', name: 'Again', origins: ['https://gone.keyway.test'] }),
        201,
      );
      await expectProblem(world.api.request('PATCH', rp, { name: 'Overwritten' }, { 'if-match': old }), 409, 'EDIT_CONFLICT');
      assert.equal((await world.api.get(rp)).body.name, 'Again');
    });
  });
}
