import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { loadTemplates } from '../../src/journeys/templates.ts';
import { DATABASE_KINDS } from '../support/databases.ts';
import { startTestServer, type TenantFixture, type TestServer } from '../support/test-server.ts';
import { definition, endReject, endSuccess, setUpTenant } from './engine-fixture.ts';

for (const kind of DATABASE_KINDS) {
  describe(`journey template installation on ${kind}`, () => {
    let server: TestServer;
    let admin: TenantFixture;
    before(async () => {
      server = await startTestServer({ kind });
      ({ admin } = await setUpTenant(server));
    });
    after(() => server.close());

    test('installing a definition creates and publishes it, is idempotent, and publishes a new version only on change', async () => {
      const journeys = server.services.journeyDefinitions;
      const actor = { tenantId: 'acme', actor: 'cli' };
      const first = definition([endSuccess()]);
      assert.deepEqual(await journeys.installDefinition(actor, 'tpl', 'Template', first as never), { journeyId: 'tpl', version: 1, status: 'created' });
      assert.deepEqual(await journeys.installDefinition(actor, 'tpl', 'Template', first as never), { journeyId: 'tpl', version: 1, status: 'unchanged' });
      assert.deepEqual(await journeys.installDefinition(actor, 'tpl', 'Template', definition([endReject()]) as never), { journeyId: 'tpl', version: 2, status: 'updated' });
      await assert.rejects(journeys.installDefinition(actor, 'tpl2', 'Bad', definition([{ id: 'x', type: 'nope' }]) as never), { code: 'JOURNEY_DEFINITION_INVALID' });
      assert.equal((await admin.api.get('/api/journeys/tpl2')).status, 404, 'nothing written for an invalid template');
    });

    test('the install endpoint refuses a missing setting, store or template before writing anything', async () => {
      const journeysBefore = (await admin.api.get('/api/journeys')).body.items.length;
      const noPolicy = await admin.api.post('/api/journeys/templates/install', { store: 'customers' });
      assert.equal(noPolicy.status, 400);
      assert.equal(noPolicy.body.code, 'VALIDATION_FAILED');
      assert.equal(noPolicy.body.errors[0].field, 'registrationPolicy');
      assert.match(noPolicy.body.errors[0].message, /has none/);
      assert.equal((await admin.api.get('/api/journeys')).body.items.length, journeysBefore);
      assert.deepEqual((await admin.api.get('/api/custom-forms')).body.items, [], 'no form was created either');
      const noStore = await admin.api.post('/api/journeys/templates/install', { store: 'missing' });
      assert.equal(noStore.status, 404);
      assert.equal(noStore.body.code, 'STORE_NOT_FOUND');
      const unknown = await admin.api.post('/api/journeys/templates/install', { store: 'customers', templates: ['no-such-template'] });
      assert.equal(unknown.status, 404);
      assert.equal(unknown.body.code, 'JOURNEY_NOT_FOUND');
      assert.equal(loadTemplates().length, 4);
    });
  });
}
