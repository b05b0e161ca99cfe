import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DATABASE_KINDS } from '../support/databases.ts';
import { startTestServer, type TenantFixture, type TestServer } from '../support/test-server.ts';

const ORGS = '/api/identity-store/stores/customers/organizations';

for (const kind of DATABASE_KINDS) {
  describe(`organizations API on ${kind}`, () => {
    let server: TestServer;
    let acme: TenantFixture;
    let alice: { id: string };
    let bob: { id: string };

    const count = async (table: 'organizations' | 'organization_members' | 'organization_domains' | 'audit_events') =>
      Number(
        (
          await server.database.db
            .selectFrom(table)
            .select((eb) => eb.fn.countAll().as('n'))
            .executeTakeFirstOrThrow()
        ).n,
      );

    before(async () => {
      server = await startTestServer({ kind });
      acme = await server.tenant('acme');
      for (const name of ['customers', 'partners']) assert.equal((await acme.api.post('/api/identity-store/stores', { name })).status, 201);
      alice = (await acme.api.post('/api/identity-store/stores/customers/users', { userKey: 'alice', email: 'alice@acme.example' })).body;
      bob = (await acme.api.post('/api/identity-store/stores/customers/users', { userKey: 'bob' })).body;
    });
    after(() => server.close());

    test('create, read, list (paginated, searched), update with If-Match, delete; each change audited', async () => {
      const audit = await count('audit_events');
      const created = await acme.api.post(ORGS, { name: '  Globex Corp ', displayName: 'Globex', policy: { deviceBoundOnly: true } });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      assert.equal(created.body.name, 'Globex Corp', 'the name is trimmed');
      assert.deepEqual(created.body.policy, { passkeyRequired: false, deviceBoundOnly: true, aaguidAllowList: [], aaguidDenyList: [] });
      for (const name of ['Initech', 'Umbrella']) assert.equal((await acme.api.post(ORGS, { name })).status, 201);

      const read = await acme.api.get(`${ORGS}/${created.body.id}`);
      assert.equal(read.status, 200);
      assert.deepEqual(read.body, created.body);
      const etag = read.headers.get('etag')!;
      assert.ok(etag);

      const first = await acme.api.get(`${ORGS}?limit=2`);
      assert.deepEqual(
        first.body.items.map((o: { name: string }) => o.name),
        ['Globex Corp', 'Initech'],
      );
      const second = await acme.api.get(`${ORGS}?limit=2&cursor=${first.body.nextCursor}`);
      assert.deepEqual(
        second.body.items.map((o: { name: string }) => o.name),
        ['Umbrella'],
      );
      assert.equal(second.body.nextCursor, null);
      assert.deepEqual(
        (await acme.api.get(`${ORGS}?q=GLOBEX`)).body.items.map((o: { name: string }) => o.name),
        ['Globex Corp'],
      );

      const updated = await acme.api.request(
        'PATCH',
        `${ORGS}/${created.body.id}`,
        { policy: { aaguidDenyList: ['CB69481E-8FF7-4039-93EC-0A2729A154A8'] } },
        { 'if-match': etag },
      );
      assert.equal(updated.status, 200, JSON.stringify(updated.body));
      assert.deepEqual(updated.body.policy, {
        passkeyRequired: false,
        deviceBoundOnly: true,
        aaguidAllowList: [],
        aaguidDenyList: ['cb69481e-8ff7-4039-93ec-0a2729a154a8'],
      });
      const stale = await acme.api.request('PATCH', `${ORGS}/${created.body.id}`, { displayName: 'Stale' }, { 'if-match': etag });
      assert.equal(stale.status, 409);
      assert.equal(stale.body.code, 'EDIT_CONFLICT');
      assert.equal((await acme.api.get(`${ORGS}/${created.body.id}`)).body.displayName, 'Globex');

      const umbrella = second.body.items[0];
      assert.equal((await acme.api.delete(`${ORGS}/${umbrella.id}`)).status, 204);
      const gone = await acme.api.get(`${ORGS}/${umbrella.id}`);
      assert.equal(gone.status, 404);
      assert.equal(gone.body.code, 'ORGANIZATION_NOT_FOUND');
      // 3 creates, 1 update, 1 delete.
      assert.equal((await count('audit_events')) - audit, 5);
    });

    test('bad input is a 400 or 409 with its code and changes nothing', async () => {
      const before = [await count('organizations'), await count('audit_events')];
      const cases: Array<[unknown, number, string]> = [
        [{ name: 'globex corp' }, 409, 'ORGANIZATION_ALREADY_EXISTS'],
        [{ name: 'ＧＬＯＢＥＸ ＣＯＲＰ' }, 409, 'ORGANIZATION_ALREADY_EXISTS'],
        [{ name: 'Zero\u200bWidth' }, 400, 'VALIDATION_FAILED'],
        [{ name: '   ' }, 400, 'VALIDATION_FAILED'],
        [{ name: 'x', policy: { aaguidAllowList: ['not-an-aaguid'] } }, 400, 'VALIDATION_FAILED'],
        [{ name: 'x', extra: 1 }, 400, 'VALIDATION_FAILED'],
      ];
      for (const [body, status, code] of cases) {
        const response = await acme.api.post(ORGS, body);
        assert.equal(response.status, status, JSON.stringify(body));
        assert.equal(response.body.code, code, JSON.stringify(body));
      }
      const missingStore = await acme.api.post('/api/identity-store/stores/nope/organizations', { name: 'x' });
      assert.equal(missingStore.body.code, 'STORE_NOT_FOUND');
      assert.deepEqual([await count('organizations'), await count('audit_events')], before);
    });

    test('members: add a user of the store with roles, list, change roles, remove; errors by code', async () => {
      const org = (await acme.api.post(ORGS, { name: 'Members Inc' })).body;
      const members = `${ORGS}/${org.id}/members`;
      const added = await acme.api.post(members, { userId: alice.id, roles: ['admin', 'billing', 'admin'] });
      assert.equal(added.status, 201, JSON.stringify(added.body));
      assert.deepEqual(added.body.roles, ['admin', 'billing']);
      assert.equal(added.body.userKey, 'alice');
      assert.equal((await acme.api.post(members, { userId: bob.id })).status, 201);

      const before = [await count('organization_members'), await count('audit_events')];
      const again = await acme.api.post(members, { userId: alice.id });
      assert.equal(again.status, 409);
      assert.equal(again.body.code, 'ORGANIZATION_MEMBER_EXISTS');
      const stranger = await acme.api.post(members, { userId: 'no-such-user' });
      assert.equal(stranger.status, 404);
      assert.equal(stranger.body.code, 'USER_NOT_FOUND');
      // A user of another store of the same tenant is not a user of this organization's store.
      const partner = (await acme.api.post('/api/identity-store/stores/partners/users', { userKey: 'pat' })).body;
      assert.equal((await acme.api.post(members, { userId: partner.id })).body.code, 'USER_NOT_FOUND');
      const badRole = await acme.api.post(members, { userId: bob.id, roles: ['bad role'] });
      assert.equal(badRole.status, 400);
      assert.equal(await count('organization_members'), before[0]);

      const page = await acme.api.get(`${members}?limit=1`);
      assert.equal(page.body.items.length, 1);
      assert.ok(page.body.nextCursor);
      const rest = await acme.api.get(`${members}?cursor=${page.body.nextCursor}`);
      assert.deepEqual([...page.body.items, ...rest.body.items].map((m: { userId: string }) => m.userId).sort(), [alice.id, bob.id].sort());

      const changed = await acme.api.request('PUT', `${members}/${bob.id}`, { roles: ['viewer'] });
      assert.equal(changed.status, 200);
      assert.deepEqual((await acme.api.get(`${members}/${bob.id}`)).body.roles, ['viewer']);
      assert.equal((await acme.api.delete(`${members}/${bob.id}`)).status, 204);
      const removed = await acme.api.delete(`${members}/${bob.id}`);
      assert.equal(removed.status, 404);
      assert.equal(removed.body.code, 'ORGANIZATION_MEMBER_NOT_FOUND');
      assert.equal((await acme.api.request('PUT', `${members}/${bob.id}`, { roles: [] })).body.code, 'ORGANIZATION_MEMBER_NOT_FOUND');

      // Deleting the user ends the membership; deleting the organization ends the rest.
      const carol = (await acme.api.post('/api/identity-store/stores/customers/users', { userKey: 'carol' })).body;
      assert.equal((await acme.api.post(members, { userId: carol.id })).status, 201);
      assert.equal((await acme.api.delete(`/api/identity-store/stores/customers/users/${carol.id}`)).status, 204);
      assert.equal((await acme.api.get(`${members}/${carol.id}`)).body.code, 'ORGANIZATION_MEMBER_NOT_FOUND');
      assert.equal((await acme.api.delete(`${ORGS}/${org.id}`)).status, 204);
      const left = await server.database.db.selectFrom('organization_members').selectAll().where('organization_id', '=', org.id).execute();
      assert.deepEqual(left, []);
    });

    test('domains: claimed in lower-case IDNA form, unique per store, marked verified by an administrator', async () => {
      const org = (await acme.api.post(ORGS, { name: 'Domains GmbH' })).body;
      const other = (await acme.api.post(ORGS, { name: 'Other GmbH' })).body;
      const domains = `${ORGS}/${org.id}/domains`;
      const claimed = await acme.api.post(domains, { domain: 'Bücher.Example.' });
      assert.equal(claimed.status, 201, JSON.stringify(claimed.body));
      assert.equal(claimed.body.domain, 'xn--bcher-kva.example');
      assert.equal(claimed.body.verified, false);
      assert.match(claimed.body.verificationRecord, /^_keyway\.xn--bcher-kva\.example TXT "keyway-verification=[A-Za-z0-9_-]{32}"$/);

      const taken = await acme.api.post(`${ORGS}/${other.id}/domains`, { domain: 'XN--BCHER-KVA.example' });
      assert.equal(taken.status, 409);
      assert.equal(taken.body.code, 'ORGANIZATION_DOMAIN_TAKEN');
      for (const domain of ['localhost', 'not a domain', '192.168.0.1', 'a..b', '-x.example']) {
        const bad = await acme.api.post(domains, { domain });
        assert.equal(bad.status, 400, domain);
        assert.equal(bad.body.code, 'VALIDATION_FAILED', domain);
      }
      // The same domain in another store is another claim.
      const partnerOrg = (await acme.api.post('/api/identity-store/stores/partners/organizations', { name: 'Domains GmbH' })).body;
      assert.equal(
        (await acme.api.post(`/api/identity-store/stores/partners/organizations/${partnerOrg.id}/domains`, { domain: 'bücher.example' })).status,
        201,
      );

      const verified = await acme.api.post(`${domains}/B%C3%BCcher.example/verify`);
      assert.equal(verified.status, 200, JSON.stringify(verified.body));
      assert.equal(verified.body.verified, true);
      assert.deepEqual(
        (await acme.api.get(domains)).body.items.map((d: { domain: string; verified: boolean }) => [d.domain, d.verified]),
        [['xn--bcher-kva.example', true]],
      );
      const notClaimed = await acme.api.post(`${domains}/other.example/verify`);
      assert.equal(notClaimed.status, 404);
      assert.equal(notClaimed.body.code, 'ORGANIZATION_DOMAIN_NOT_FOUND');
      assert.equal((await acme.api.delete(`${domains}/xn--bcher-kva.example`)).status, 204);
      assert.deepEqual((await acme.api.get(domains)).body.items, []);
    });

    test('isolation: another tenant and another store see 404; a token without the permission 403', async () => {
      const org = (await acme.api.post(ORGS, { name: 'Isolated' })).body;
      await acme.api.post(`${ORGS}/${org.id}/members`, { userId: alice.id, roles: ['admin'] });
      const globex = await server.tenant('globex');
      assert.equal((await globex.api.post('/api/identity-store/stores', { name: 'customers' })).status, 201);
      for (const path of [`${ORGS}/${org.id}`, `${ORGS}/${org.id}/members`, `${ORGS}/${org.id}/domains`]) {
        const response = await globex.api.get(path);
        assert.equal(response.status, 404, path);
        assert.equal(response.body.code, 'ORGANIZATION_NOT_FOUND', path);
      }
      assert.equal((await globex.api.delete(`${ORGS}/${org.id}`)).status, 404);
      assert.equal((await globex.api.patch(`${ORGS}/${org.id}`, { name: 'Stolen' })).status, 404);
      assert.deepEqual((await globex.api.get(ORGS)).body.items, []);
      // The same id under another store of the same tenant is not found either.
      assert.equal((await acme.api.get(`/api/identity-store/stores/partners/organizations/${org.id}`)).body.code, 'ORGANIZATION_NOT_FOUND');
      assert.equal((await acme.api.get(`${ORGS}/${org.id}`)).body.name, 'Isolated');

      const reader = await acme.api.post('/api/admin/clients', { name: 'org-reader', permissions: ['TNT#acme#IdentityStore:getOrganization'] });
      const readerApi = server.http.withToken(await server.token(reader.body.clientId, reader.body.clientSecret));
      assert.equal((await readerApi.get(`${ORGS}/${org.id}`)).status, 200);
      const forbidden = await readerApi.post(`${ORGS}/${org.id}/members`, { userId: bob.id });
      assert.equal(forbidden.status, 403);
      assert.equal(forbidden.body.code, 'FORBIDDEN');
      assert.match(forbidden.body.detail, /TNT#acme#IdentityStore:addOrganizationMember/);
      assert.equal((await readerApi.delete(`${ORGS}/${org.id}`)).body.code, 'FORBIDDEN');
      assert.equal((await acme.api.get(`${ORGS}/${org.id}/members`)).body.items.length, 1);
    });
  });
}
