import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DATABASE_KINDS } from '../support/databases.ts';
import { startTestServer, type TenantFixture, type TestServer } from '../support/test-server.ts';
import { definition, endReject, endSuccess, publish, setUpTenant, startPublic, submit, probeStep } from './engine-fixture.ts';

for (const kind of DATABASE_KINDS) {
  describe(`journey definitions and versions on ${kind}`, () => {
    let server: TestServer;
    let admin: TenantFixture;
    let userId: string;
    const audit = async (action: string) =>
      server.database.db.selectFrom('audit_events').selectAll().where('tenant_id', '=', 'acme').where('action', '=', action).execute();

    before(async () => {
      server = await startTestServer({ kind, stepTypes: [probeStep] });
      ({ admin, userId } = await setUpTenant(server));
    });
    after(() => server.close());

    test('create, draft, publish, list, read and delete, each audited', async () => {
      const created = await admin.api.post('/api/journeys', { journeyId: 'signin', name: 'Sign in' });
      assert.equal(created.status, 201);
      assert.deepEqual(
        { ...created.body, createdAt: undefined, updatedAt: undefined },
        { journeyId: 'signin', name: 'Sign in', draft: null, draftUpdatedAt: null, latestVersion: null, createdAt: undefined, updatedAt: undefined },
      );
      assert.equal((await admin.api.post('/api/journeys', { journeyId: 'signin' })).body.code, 'JOURNEY_ALREADY_EXISTS');
      assert.equal((await admin.api.post('/api/journeys', { journeyId: 'templates' })).status, 400);
      assert.equal((await admin.api.post('/api/journeys', { journeyId: 'Bad Id' })).status, 400);
      assert.equal((await admin.api.post('/api/journeys/signin/publish')).body.code, 'JOURNEY_NO_DRAFT');

      const version = await publish(admin, 'signin', definition([endSuccess()]));
      assert.equal(version, 1);
      assert.equal((await audit('journey.create')).length, 1);
      assert.equal((await audit('journey.draft.update')).length, 1);
      const [published] = await audit('journey.publish');
      assert.deepEqual(JSON.parse(published!.details!), { version: 1 });
      assert.equal(published!.actor, admin.clientId);

      for (const id of ['a1', 'a2', 'a3']) assert.equal((await admin.api.post('/api/journeys', { journeyId: id })).status, 201);
      const page1 = await admin.api.get('/api/journeys?limit=2');
      assert.deepEqual(
        page1.body.items.map((j: { journeyId: string }) => j.journeyId),
        ['signin', 'a1'],
      );
      const page2 = await admin.api.get(`/api/journeys?limit=2&cursor=${page1.body.nextCursor}`);
      assert.deepEqual(
        page2.body.items.map((j: { journeyId: string }) => j.journeyId),
        ['a2', 'a3'],
      );
      assert.equal(page2.body.nextCursor, null);
      assert.equal((await admin.api.get('/api/journeys?cursor=bogus')).body.code, 'INVALID_CURSOR');

      const deleted = await admin.api.delete('/api/journeys/a3');
      assert.equal(deleted.status, 204);
      assert.equal((await admin.api.get('/api/journeys/a3')).body.code, 'JOURNEY_NOT_FOUND');
      assert.equal((await audit('journey.delete')).length, 1);

      const other = await server.tenant('globex');
      assert.equal((await other.api.get('/api/journeys/signin')).status, 404, 'tenant isolation');
      assert.deepEqual((await other.api.get('/api/journeys')).body.items, []);
      const narrow = await admin.api.post('/api/admin/clients', { name: 'lister', permissions: ['TNT#acme#Journeys:list'] });
      const token = await server.token(narrow.body.clientId, narrow.body.clientSecret);
      assert.equal((await server.http.withToken(token).post('/api/journeys/signin/publish')).status, 403);
      assert.equal((await server.http.post('/api/journeys', { journeyId: 'x' })).status, 401);
    });

    test('published versions are immutable and a running instance keeps the version it started on', async () => {
      const v1 = definition([{ id: 'ask', type: 'test.prompt', parameters: { message: 'v1' }, outcomes: { next: 'done' } }, endSuccess()]);
      assert.equal(await publish(admin, 'pinned', v1), 1);
      const running = await startPublic(server, 'pinned');
      assert.equal(running.body.data.message, 'v1');

      const v2 = definition([{ id: 'ask', type: 'test.prompt', parameters: { message: 'v2' }, outcomes: { next: 'no' } }, endReject('no', 'V2_SAYS_NO')]);
      assert.equal(await publish(admin, 'pinned', v2), 2);
      const newer = await startPublic(server, 'pinned');
      assert.equal(newer.body.data.message, 'v2');

      // The instance started on v1 finishes by v1's graph.
      const finished = await submit(server, running.body.sessionId, { clientResponseOptionId: 'client_input', data: { user: userId } });
      assert.equal(finished.body.journeyStepId, 'success');
      const finishedNewer = await submit(server, newer.body.sessionId, { clientResponseOptionId: 'client_input', data: { user: userId } });
      assert.equal(finishedNewer.body.data.code, 'V2_SAYS_NO');

      // Each instance is listed with the version it ran on (the variables are not exposed).
      const instances = await admin.api.get('/api/journeys/pinned/instances');
      assert.equal(instances.status, 200, JSON.stringify(instances.body));
      assert.deepEqual(
        instances.body.items.map((i: { version: number; status: string; resultCode: string | null; userId: string | null; startedBy: string }) => [
          i.version,
          i.status,
          i.resultCode,
          i.userId,
          i.startedBy,
        ]),
        [
          [1, 'succeeded', null, userId, 'public'],
          [2, 'rejected', 'V2_SAYS_NO', userId, 'public'],
        ],
      );
      assert.equal(instances.body.items[0].vars, undefined);
      const rejected = await admin.api.get('/api/journeys/pinned/instances?status=rejected');
      assert.deepEqual(
        rejected.body.items.map((i: { version: number }) => i.version),
        [2],
      );
      const firstPage = await admin.api.get('/api/journeys/pinned/instances?limit=1');
      const secondPage = await admin.api.get(`/api/journeys/pinned/instances?limit=1&cursor=${firstPage.body.nextCursor}`);
      assert.deepEqual(
        [...firstPage.body.items, ...secondPage.body.items].map((i: { instanceId: string }) => i.instanceId),
        instances.body.items.map((i: { instanceId: string }) => i.instanceId),
      );
      assert.equal((await admin.api.get('/api/journeys/pinned/instances?status=bogus')).status, 400);

      // Editing the draft changes no published version.
      await admin.api.request('PUT', '/api/journeys/pinned/draft', { definition: definition([endReject('x')]) });
      const one = await admin.api.get('/api/journeys/pinned/versions/1');
      assert.equal(one.status, 200);
      assert.deepEqual(one.body.definition, v1);
      assert.deepEqual((await admin.api.get('/api/journeys/pinned/versions/2')).body.definition, v2);
      assert.equal((await admin.api.get('/api/journeys/pinned/versions/3')).body.code, 'JOURNEY_VERSION_NOT_FOUND');
      const versions = await admin.api.get('/api/journeys/pinned/versions');
      assert.deepEqual(
        versions.body.items.map((v: { version: number }) => v.version),
        [1, 2],
      );
      // There is no way to change a version: no route takes a write on it.
      assert.equal((await admin.api.request('PUT', '/api/journeys/pinned/versions/1', { definition: v2 })).status, 404);
      assert.equal((await admin.api.request('DELETE', '/api/journeys/pinned/versions/1')).status, 404);
    });
  });
}
