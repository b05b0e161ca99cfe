import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DATABASE_KINDS } from '../support/databases.ts';
import { startTestServer, type TenantFixture, type TestServer } from '../support/test-server.ts';

/** Which clients a client may manage: only those it covers; the tenant always keeps a full admin. */
for (const kind of DATABASE_KINDS) {
  describe(`API client management targets on ${kind}`, () => {
    let server: TestServer;
    let acme: TenantFixture;
    before(async () => {
      server = await startTestServer({ kind });
      acme = await server.tenant('acme');
    });
    after(() => server.close());

    const snapshot = async () => ({
      clients: await server.database.db.selectFrom('api_clients').selectAll().orderBy('id').execute(),
      audit: (await server.database.db.selectFrom('audit_events').select('id').execute()).length,
    });
    async function clientWith(permissions: string[]) {
      const created = await acme.api.post('/api/admin/clients', { name: `c-${permissions.join('-').slice(0, 60)}`, permissions });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      const token = await server.token(created.body.clientId, created.body.clientSecret);
      return { clientId: created.body.clientId as string, secret: created.body.clientSecret as string, api: server.http.withToken(token) };
    }

    test('a client holding only rotateApiClientSecret cannot rotate the full-admin client’s secret (nor mint a stronger client)', async () => {
      const rotator = await clientWith(['TNT#acme#Admin:rotateApiClientSecret', 'TNT#acme#Admin:createApiClient']);
      const before = await snapshot();
      const takeover = await rotator.api.post(`/api/admin/clients/${acme.clientId}/secret`);
      assert.equal(takeover.status, 403);
      assert.equal(takeover.body.code, 'API_CLIENT_NOT_COVERED');
      assert.equal(takeover.body.clientSecret, undefined);
      const mint = await rotator.api.post('/api/admin/clients', { name: 'root', permissions: ['TNT#acme#*'] });
      assert.equal(mint.status, 403);
      assert.equal(mint.body.code, 'PERMISSION_NOT_GRANTABLE');
      assert.deepEqual(await snapshot(), before, 'the secret hash and everything else are unchanged');
      // The full-admin client still authenticates with its old secret, and its live token works.
      await server.token(acme.clientId, acme.clientSecret);
      assert.equal((await acme.api.get('/api/admin/clients')).status, 200);
      // A client it covers (itself) it may rotate.
      const own = await rotator.api.post(`/api/admin/clients/${rotator.clientId}/secret`);
      assert.equal(own.status, 200);
    });

    test('update, disable and delete of a client holding more than the caller are refused and change nothing', async () => {
      const manager = await clientWith(['TNT#acme#Admin:updateApiClient', 'TNT#acme#Admin:deleteApiClient', 'TNT#acme#IdentityStore:getStore']);
      const broader = await clientWith(['TNT#acme#IdentityStore:*']);
      const before = await snapshot();
      for (const [method, path, body] of [
        ['PATCH', `/api/admin/clients/${acme.clientId}`, { enabled: false }],
        ['PATCH', `/api/admin/clients/${broader.clientId}`, { enabled: false }],
        ['PATCH', `/api/admin/clients/${broader.clientId}`, { name: 'renamed' }],
        // The new permissions are the caller's, but the old ones are not: still refused.
        ['PATCH', `/api/admin/clients/${broader.clientId}`, { permissions: ['TNT#acme#IdentityStore:getStore'] }],
        ['DELETE', `/api/admin/clients/${broader.clientId}`, undefined],
        ['DELETE', `/api/admin/clients/${acme.clientId}`, undefined],
      ] as const) {
        const answer = await manager.api.request(method, path, body);
        assert.equal(answer.status, 403, `${method} ${path} ${JSON.stringify(body)}`);
        assert.equal(answer.body.code, 'API_CLIENT_NOT_COVERED');
      }
      assert.deepEqual(await snapshot(), before);
      assert.equal((await broader.api.get('/api/identity-store/stores')).status, 200, 'the broader client still works');

      // A covered client: narrowing within the caller's permissions and deleting are allowed.
      const narrow = await clientWith(['TNT#acme#IdentityStore:getStore']);
      const widen = await manager.api.patch(`/api/admin/clients/${narrow.clientId}`, { permissions: ['TNT#acme#IdentityStore:*'] });
      assert.equal(widen.status, 403);
      assert.equal(widen.body.code, 'PERMISSION_NOT_GRANTABLE');
      assert.equal((await manager.api.patch(`/api/admin/clients/${narrow.clientId}`, { enabled: false })).status, 200);
      assert.equal((await manager.api.delete(`/api/admin/clients/${narrow.clientId}`)).status, 204);
    });

    test('the tenant’s last enabled full-admin client cannot be disabled, narrowed or deleted', async () => {
      const before = await snapshot();
      for (const [method, body] of [
        ['PATCH', { enabled: false }],
        ['PATCH', { permissions: ['TNT#acme#Admin:*'] }],
        ['DELETE', undefined],
      ] as const) {
        const answer = await acme.api.request(method, `/api/admin/clients/${acme.clientId}`, body);
        assert.equal(answer.status, 409, `${method} ${JSON.stringify(body)}`);
        assert.equal(answer.body.code, 'LAST_FULL_ADMIN_CLIENT');
      }
      assert.deepEqual(await snapshot(), before);
      assert.equal((await acme.api.patch(`/api/admin/clients/${acme.clientId}`, { name: 'renamed admin' })).status, 200, 'renaming keeps it a full admin');

      // A disabled full admin does not count; an enabled second one does.
      const second = await clientWith(['TNT#acme#*']);
      assert.equal((await acme.api.patch(`/api/admin/clients/${second.clientId}`, { enabled: false })).status, 200);
      assert.equal((await acme.api.patch(`/api/admin/clients/${acme.clientId}`, { enabled: false })).body.code, 'LAST_FULL_ADMIN_CLIENT');
      assert.equal((await acme.api.patch(`/api/admin/clients/${second.clientId}`, { enabled: true })).status, 200);
      const third = await clientWith(['TNT#acme#*']);
      assert.equal((await third.api.delete(`/api/admin/clients/${second.clientId}`)).status, 204);
      assert.equal((await third.api.patch(`/api/admin/clients/${acme.clientId}`, { permissions: ['TNT#acme#Admin:*'] })).status, 200);
      const last = await third.api.delete(`/api/admin/clients/${third.clientId}`);
      assert.equal(last.status, 409);
      assert.equal(last.body.code, 'LAST_FULL_ADMIN_CLIENT');
    });

    test('two full admins disabling each other at once: exactly one succeeds (client management is serialised per tenant)', async () => {
      const globex = await server.tenant('globex');
      const second = await server.services.tenancy.createClient(
        { tenantId: 'globex', clientId: globex.clientId, permissions: ['TNT#globex#*'] },
        { tenantId: 'globex', actor: globex.clientId },
        { name: 'second', permissions: ['TNT#globex#*'] },
      );
      const as = (clientId: string) => ({ tenantId: 'globex', clientId, permissions: ['TNT#globex#*'] });
      // Straight to the service (the HTTP auth hook would see the first commit revoke the other's token).
      // Two warm connections, so the two transactions really overlap on PostgreSQL.
      await Promise.all([1, 2, 3].map(() => server.database.db.selectFrom('tenants').select('id').execute()));
      const outcomes = await Promise.allSettled([
        server.services.tenancy.updateClient(as(globex.clientId), { tenantId: 'globex', actor: globex.clientId }, second.clientId, { enabled: false }),
        server.services.tenancy.updateClient(as(second.clientId), { tenantId: 'globex', actor: second.clientId }, globex.clientId, { enabled: false }),
      ]);
      assert.deepEqual(outcomes.map((outcome) => outcome.status).sort(), ['fulfilled', 'rejected']);
      const refused = outcomes.find((outcome) => outcome.status === 'rejected');
      assert.equal((refused?.reason as { code?: string }).code, 'LAST_FULL_ADMIN_CLIENT');
      const enabled = await server.database.db.selectFrom('api_clients').select('id').where('tenant_id', '=', 'globex').where('enabled', '=', 1).execute();
      assert.equal(enabled.length, 1, 'the tenant keeps one enabled full admin');
    });
  });
}
