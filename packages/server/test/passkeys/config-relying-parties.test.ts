import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DATABASE_KINDS } from '../support/databases.ts';
import { startTestServer, type TenantFixture, type TestServer } from '../support/test-server.ts';

const ANDROID_ORIGIN = 'android:apk-key-hash:' + 'Zm9vYmFyZm9vYmFyZm9vYmFyZm9vYmFyZm9vYmFyZm8';
const FINGERPRINT = Array.from({ length: 32 }, (_, i) => i.toString(16).padStart(2, '0')).join(':');

const EXAMPLE_RP = {
  id: 'example.com',
  name: 'Example',
  origins: ['https://example.com', 'https://login.example.com', 'https://shop.example.org', ANDROID_ORIGIN],
  relatedOrigins: ['https://shop.example.org'],
  topOrigins: ['https://partner.example.net'],
  androidApps: [{ packageName: 'com.example.app', sha256CertFingerprints: [FINGERPRINT] }],
  appleAppIds: ['ABCDE12345.com.example.app'],
};

for (const kind of DATABASE_KINDS) {
  describe(`relying party API on ${kind}`, () => {
    let server: TestServer;
    let acme: TenantFixture;
    const rps = '/api/identity-store/stores/customers/passkeys/relyingParties';

    const count = async (table: 'relying_parties' | 'audit_events') =>
      Number(
        (
          await server.database.db
            .selectFrom(table)
            .select((eb) => eb.fn.countAll().as('n'))
            .executeTakeFirstOrThrow()
        ).n,
      );
    const storedRp = (rpId: string) =>
      server.database.db.selectFrom('relying_parties').selectAll().where('rp_id', '=', rpId).where('tenant_id', '=', 'acme').executeTakeFirst();

    /** A create refused with 400: its code, the problem on `field`, and nothing written. */
    async function rejected(body: unknown, code: 'VALIDATION_FAILED', field: string, message: RegExp) {
      const [rowsBefore, auditBefore] = [await count('relying_parties'), await count('audit_events')];
      const response = await acme.api.post(rps, body);
      assert.equal(response.status, 400, JSON.stringify(response.body));
      assert.equal(response.body.code, code);
      assert.equal(response.headers.get('content-type'), 'application/problem+json; charset=utf-8');
      const problem = response.body.errors?.find((e: { field: string }) => e.field === field);
      assert.ok(problem, `expected a problem on ${field}: ${JSON.stringify(response.body)}`);
      assert.match(problem.message, message);
      assert.equal(await count('relying_parties'), rowsBefore);
      assert.equal(await count('audit_events'), auditBefore);
    }

    before(async () => {
      server = await startTestServer({ kind });
      acme = await server.tenant('acme');
      assert.equal((await acme.api.post('/api/identity-store/stores', { name: 'customers' })).status, 201);
    });
    after(() => server.close());

    test('creates a relying party with every field, reads it, lists it, via both path prefixes', async () => {
      const created = await acme.api.post(rps, EXAMPLE_RP);
      assert.equal(created.status, 201, JSON.stringify(created.body));
      const rp = created.body;
      assert.deepEqual(
        { ...rp, createdAt: undefined, updatedAt: undefined },
        {
          ...EXAMPLE_RP,
          androidApps: [{ packageName: 'com.example.app', sha256CertFingerprints: [FINGERPRINT.toUpperCase()] }],
          createdAt: undefined,
          updatedAt: undefined,
        },
        'fingerprints are stored upper-case',
      );
      assert.equal(rp.createdAt, rp.updatedAt);

      const row = await storedRp('example.com');
      assert.ok(row);
      assert.deepEqual(JSON.parse(row.origins), EXAMPLE_RP.origins);
      assert.deepEqual(JSON.parse(row.related_origins), EXAMPLE_RP.relatedOrigins);
      assert.deepEqual(JSON.parse(row.top_origins), EXAMPLE_RP.topOrigins);
      assert.deepEqual(JSON.parse(row.apple_app_ids), EXAMPLE_RP.appleAppIds);

      for (const path of [`${rps}/example.com`, '/api/identity-store/acme/stores/customers/passkeys/relyingParties/example.com']) {
        const read = await acme.api.get(path);
        assert.equal(read.status, 200, path);
        assert.deepEqual(read.body, rp);
      }
      const listed = await acme.api.get('/api/identity-store/acme/stores/customers/passkeys/relyingParties');
      assert.equal(listed.status, 200);
      assert.deepEqual(listed.body, { items: [rp], nextCursor: null });
    });

    test('optional fields default to empty lists; localhost with http origins is accepted', async () => {
      const created = await acme.api.post('/api/identity-store/acme/stores/customers/passkeys/relyingParties', {
        id: 'localhost',
        name: 'Local development',
        origins: ['http://localhost:3000', 'http://localhost', 'https://localhost:8443'],
      });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      assert.deepEqual(created.body.relatedOrigins, []);
      assert.deepEqual(created.body.topOrigins, [], 'no cross-origin embedding unless listed');
      assert.deepEqual(created.body.androidApps, []);
      assert.deepEqual(created.body.appleAppIds, []);
      assert.ok(await storedRp('localhost'));
    });

    test('the service lookup used by ceremonies finds a relying party by store id, and only in its tenant', async () => {
      const store = await server.services.identity.findStore('acme', 'customers');
      const rp = await server.services.relyingParties.find('acme', store.id, 'example.com');
      assert.equal(rp.name, 'Example');
      assert.deepEqual(rp.origins, EXAMPLE_RP.origins);
      await assert.rejects(server.services.relyingParties.find('acme', store.id, 'example.org'), { code: 'RELYING_PARTY_NOT_FOUND' });
      await assert.rejects(server.services.relyingParties.find('globex', store.id, 'example.com'), { code: 'RELYING_PARTY_NOT_FOUND' });
    });

    test('paginates with nextCursor', async () => {
      for (const id of ['a.example.net', 'b.example.net', 'c.example.net']) {
        assert.equal((await acme.api.post(rps, { id, name: id, origins: [`https://${id}`] })).status, 201);
      }
      const first = await acme.api.get(`${rps}?limit=2`);
      assert.equal(first.status, 200);
      assert.deepEqual(
        first.body.items.map((rp: { id: string }) => rp.id),
        ['example.com', 'localhost'],
      );
      assert.ok(first.body.nextCursor);
      const second = await acme.api.get(`${rps}?limit=2&cursor=${first.body.nextCursor}`);
      assert.deepEqual(
        second.body.items.map((rp: { id: string }) => rp.id),
        ['a.example.net', 'b.example.net'],
      );
      const bad = await acme.api.get(`${rps}?cursor=bm90LWEtY3Vyc29y`);
      assert.equal(bad.status, 400);
      assert.equal(bad.body.code, 'INVALID_CURSOR');
    });

    test('the RP ID must be a registrable domain or localhost: public suffixes, IPs, upper case, URLs are refused', async () => {
      const base = { name: 'x', origins: ['https://example.com'] };
      await rejected({ ...base, id: 'com' }, 'VALIDATION_FAILED', 'id', /public suffix/);
      await rejected({ ...base, id: 'co.uk', origins: ['https://x.co.uk'] }, 'VALIDATION_FAILED', 'id', /public suffix/);
      await rejected({ ...base, id: 'github.io', origins: ['https://x.github.io'] }, 'VALIDATION_FAILED', 'id', /public suffix/);
      await rejected({ ...base, id: '192.168.1.10', origins: ['https://192.168.1.10'] }, 'VALIDATION_FAILED', 'id', /IP address/);
      await rejected({ ...base, id: 'Example.com' }, 'VALIDATION_FAILED', 'id', /lower-case \(example\.com\)/);
      await rejected({ ...base, id: 'https://example.com' }, 'VALIDATION_FAILED', 'id', /without scheme, port or path/);
      await rejected({ ...base, id: 'exa_mple.com' }, 'VALIDATION_FAILED', 'id', /labels/);
    });

    test('origins must be https (http only on localhost), without path, under the RP ID or declared related', async () => {
      const base = { id: 'example.io', name: 'x' };
      await rejected({ ...base, origins: ['http://example.io'] }, 'VALIDATION_FAILED', 'origins.0', /http:\/\/ is allowed only for localhost/);
      await rejected({ ...base, origins: ['https://example.io', 'https://example.io/login'] }, 'VALIDATION_FAILED', 'origins.1', /without path/);
      await rejected({ ...base, origins: ['https://example.io/'] }, 'VALIDATION_FAILED', 'origins.0', /trailing slash/);
      await rejected({ ...base, origins: ['https://EXAMPLE.io'] }, 'VALIDATION_FAILED', 'origins.0', /https:\/\/example\.io/);
      await rejected(
        { ...base, origins: ['https://example.org'] },
        'VALIDATION_FAILED',
        'origins.0',
        /neither the RP ID example\.io nor a subdomain of it; declare it in relatedOrigins/,
      );
      await rejected({ ...base, origins: ['https://notexample.io'] }, 'VALIDATION_FAILED', 'origins.0', /neither/);
      await rejected({ ...base, origins: ['android:apk-key-hash:xyz'] }, 'VALIDATION_FAILED', 'origins.0', /43 characters/);
      await rejected(
        { ...base, origins: ['https://example.io'], relatedOrigins: ['https://example.org/path'] },
        'VALIDATION_FAILED',
        'relatedOrigins.0',
        /without path/,
      );
      await rejected({ ...base, origins: ['https://example.io'], relatedOrigins: [ANDROID_ORIGIN] }, 'VALIDATION_FAILED', 'relatedOrigins.0', /web origin/);
      await rejected({ ...base, origins: [] }, 'VALIDATION_FAILED', 'origins', /fewer than 1/);
      await rejected({ ...base, origins: ['https://example.io', 'https://example.io'] }, 'VALIDATION_FAILED', 'origins', /duplicate/);
      await rejected({ ...base, origins: ['https://example.io'], extra: true }, 'VALIDATION_FAILED', 'extra', /not a known field/);
      await rejected(
        { ...base, origins: ['https://example.io'], androidApps: [{ packageName: 'com.x', sha256CertFingerprints: ['AB:CD'] }] },
        'VALIDATION_FAILED',
        'androidApps.0.sha256CertFingerprints.0',
        /pattern/,
      );
      await rejected(
        {
          ...base,
          origins: ['https://example.io'],
          androidApps: [
            { packageName: 'com.x', sha256CertFingerprints: [FINGERPRINT] },
            { packageName: 'com.x', sha256CertFingerprints: [FINGERPRINT] },
          ],
        },
        'VALIDATION_FAILED',
        'androidApps.1.packageName',
        /listed twice/,
      );
      await rejected({ ...base, origins: ['https://example.io'], appleAppIds: ['com.example.app'] }, 'VALIDATION_FAILED', 'appleAppIds.0', /pattern/);
    });

    test('topOrigins are web origins as browsers serialise them (any site), never app origins; PATCH validates them too', async () => {
      const base = { id: 'example.io', name: 'x', origins: ['https://example.io'] };
      await rejected({ ...base, topOrigins: ['http://partner.example'] }, 'VALIDATION_FAILED', 'topOrigins.0', /http:\/\/ is allowed only for localhost/);
      await rejected({ ...base, topOrigins: ['https://partner.example', 'https://partner.example/shop'] }, 'VALIDATION_FAILED', 'topOrigins.1', /without path/);
      await rejected({ ...base, topOrigins: ['https://Partner.example'] }, 'VALIDATION_FAILED', 'topOrigins.0', /https:\/\/partner\.example/);
      await rejected({ ...base, topOrigins: [ANDROID_ORIGIN] }, 'VALIDATION_FAILED', 'topOrigins.0', /web origin/);
      await rejected({ ...base, topOrigins: ['*'] }, 'VALIDATION_FAILED', 'topOrigins.0', /origin/);
      await rejected({ ...base, topOrigins: ['https://a.example', 'https://a.example'] }, 'VALIDATION_FAILED', 'topOrigins', /duplicate/);

      const created = await acme.api.post(rps, {
        ...base,
        id: 'embedded.example',
        origins: ['https://embedded.example'],
        topOrigins: ['https://shop.partner.example'],
      });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      assert.deepEqual(created.body.topOrigins, ['https://shop.partner.example']);
      const bad = await acme.api.patch(`${rps}/embedded.example`, { topOrigins: ['https://shop.partner.example/'] });
      assert.equal(bad.status, 400);
      assert.deepEqual(
        bad.body.errors.map((e: { field: string }) => e.field),
        ['topOrigins.0'],
      );
      assert.deepEqual(JSON.parse((await storedRp('embedded.example'))!.top_origins), ['https://shop.partner.example'], 'a refused PATCH changes nothing');
      const patched = await acme.api.patch(`${rps}/embedded.example`, { topOrigins: ['https://a.partner.example', 'https://b.partner.example'] });
      assert.equal(patched.status, 200, JSON.stringify(patched.body));
      assert.deepEqual((await acme.api.get(`${rps}/embedded.example`)).body.topOrigins, ['https://a.partner.example', 'https://b.partner.example']);
      const cleared = await acme.api.patch(`${rps}/embedded.example`, { topOrigins: [] });
      assert.deepEqual(cleared.body.topOrigins, []);
      assert.equal((await storedRp('embedded.example'))!.top_origins, '[]');
    });

    test('every bad origin is reported at once, each with its index', async () => {
      const response = await acme.api.post(rps, { id: 'example.io', name: 'x', origins: ['https://example.io', 'http://example.io', 'https://other.io'] });
      assert.equal(response.status, 400);
      assert.deepEqual(
        response.body.errors.map((e: { field: string }) => e.field),
        ['origins.1', 'origins.2'],
      );
      assert.match(response.body.detail, /^origins\.1: .+; origins\.2: .+/);
    });

    test('a second relying party with the same RP ID in the store is 409; another store may use it', async () => {
      const [rowsBefore, auditBefore] = [await count('relying_parties'), await count('audit_events')];
      const again = await acme.api.post(rps, { ...EXAMPLE_RP, name: 'Again' });
      assert.equal(again.status, 409);
      assert.equal(again.body.code, 'RELYING_PARTY_ALREADY_EXISTS');
      assert.match(again.body.detail, /store customers already has a relying party example\.com/);
      assert.equal(await count('relying_parties'), rowsBefore);
      assert.equal(await count('audit_events'), auditBefore);
      assert.equal((await acme.api.get(`${rps}/example.com`)).body.name, 'Example');
      assert.equal((await acme.api.post('/api/identity-store/stores', { name: 'staff' })).status, 201);
      const inOtherStore = await acme.api.post('/api/identity-store/stores/staff/passkeys/relyingParties', EXAMPLE_RP);
      assert.equal(inOtherStore.status, 201);
    });

    test('PATCH replaces the named fields, keeps the others, and validates the merged result', async () => {
      const before = (await acme.api.get(`${rps}/example.com`)).body;
      const patched = await acme.api.patch(`${rps}/example.com`, { name: 'Example Inc.', appleAppIds: [] });
      assert.equal(patched.status, 200, JSON.stringify(patched.body));
      assert.equal(patched.body.name, 'Example Inc.');
      assert.deepEqual(patched.body.appleAppIds, []);
      assert.deepEqual(patched.body.origins, before.origins);
      assert.equal(patched.body.createdAt, before.createdAt);
      assert.ok(patched.body.updatedAt >= before.updatedAt);
      const row = await storedRp('example.com');
      assert.equal(row?.name, 'Example Inc.');
      assert.equal(row?.apple_app_ids, '[]');

      // Dropping the related origin that an origin relies on leaves the RP inconsistent: refused.
      const orphan = await acme.api.patch(`${rps}/example.com`, { relatedOrigins: [] });
      assert.equal(orphan.status, 400);
      assert.equal(orphan.body.code, 'VALIDATION_FAILED');
      assert.deepEqual(
        orphan.body.errors.map((e: { field: string }) => e.field),
        ['origins.2'],
      );
      assert.deepEqual(JSON.parse((await storedRp('example.com'))!.related_origins), ['https://shop.example.org']);

      const viaAlias = await acme.api.patch('/api/identity-store/acme/stores/customers/passkeys/relyingParties/example.com', {
        origins: ['https://example.com'],
        relatedOrigins: [],
      });
      assert.equal(viaAlias.status, 200);
      assert.deepEqual(viaAlias.body.origins, ['https://example.com']);
      assert.deepEqual(viaAlias.body.relatedOrigins, []);

      const renameId = await acme.api.patch(`${rps}/example.com`, { id: 'example.net' });
      assert.equal(renameId.status, 400);
      assert.equal(renameId.body.errors[0].field, 'id');
      const empty = await acme.api.patch(`${rps}/example.com`, {});
      assert.equal(empty.status, 400);
      const missing = await acme.api.patch(`${rps}/nothing.example`, { name: 'x' });
      assert.equal(missing.status, 404);
      assert.equal(missing.body.code, 'RELYING_PARTY_NOT_FOUND');
    });

    test('DELETE removes it (204), then GET and DELETE are 404', async () => {
      const removed = await acme.api.delete(`${rps}/c.example.net`);
      assert.equal(removed.status, 204);
      assert.equal(await storedRp('c.example.net'), undefined);
      const read = await acme.api.get(`${rps}/c.example.net`);
      assert.equal(read.status, 404);
      assert.equal(read.body.code, 'RELYING_PARTY_NOT_FOUND');
      assert.equal((await acme.api.delete(`${rps}/c.example.net`)).status, 404);
      const viaAlias = await acme.api.delete('/api/identity-store/acme/stores/customers/passkeys/relyingParties/b.example.net');
      assert.equal(viaAlias.status, 204);
      assert.equal(await storedRp('b.example.net'), undefined);
    });

    test('an unknown store is 404 STORE_NOT_FOUND', async () => {
      const response = await acme.api.post('/api/identity-store/stores/nope/passkeys/relyingParties', EXAMPLE_RP);
      assert.equal(response.status, 404);
      assert.equal(response.body.code, 'STORE_NOT_FOUND');
      assert.equal((await acme.api.get('/api/identity-store/stores/nope/passkeys/relyingParties')).body.code, 'STORE_NOT_FOUND');
    });

    test('another tenant gets 404 and changes nothing; no token 401; a token without the permission 403', async () => {
      const globex = await server.tenant('globex');
      for (const path of [rps, `${rps}/example.com`, '/api/identity-store/acme/stores/customers/passkeys/relyingParties/example.com']) {
        const response = await globex.api.get(path);
        assert.equal(response.status, 404, path);
        assert.ok(['STORE_NOT_FOUND', 'TENANT_NOT_FOUND'].includes(response.body.code), response.body.code);
      }
      assert.equal((await globex.api.patch(`${rps}/example.com`, { name: 'Mallory' })).status, 404);
      assert.equal((await globex.api.delete(`${rps}/example.com`)).status, 404);
      // globex's own store of the same name does not reveal acme's relying party either.
      assert.equal((await globex.api.post('/api/identity-store/stores', { name: 'customers' })).status, 201);
      const own = await globex.api.get(`${rps}/example.com`);
      assert.equal(own.status, 404);
      assert.equal(own.body.code, 'RELYING_PARTY_NOT_FOUND');
      assert.equal((await acme.api.get(`${rps}/example.com`)).body.name, 'Example Inc.');

      assert.equal((await server.http.get(rps)).status, 401);

      const reader = await acme.api.post('/api/admin/clients', {
        name: 'rp-reader',
        permissions: ['TNT#acme#IdentityStore:getRelyingParty', 'TNT#acme#IdentityStore:listRelyingParties'],
      });
      assert.equal(reader.status, 201);
      const readerApi = server.http.withToken(await server.token(reader.body.clientId, reader.body.clientSecret));
      assert.equal((await readerApi.get(`${rps}/example.com`)).status, 200);
      assert.equal((await readerApi.get(rps)).status, 200);
      const before = await count('relying_parties');
      for (const [response, permission] of [
        [await readerApi.post(rps, { id: 'new.example.com', name: 'x', origins: ['https://new.example.com'] }), 'createRelyingParty'],
        [await readerApi.patch(`${rps}/example.com`, { name: 'x' }), 'updateRelyingParty'],
        [await readerApi.delete(`${rps}/example.com`), 'deleteRelyingParty'],
      ] as const) {
        assert.equal(response.status, 403);
        assert.equal(response.body.code, 'FORBIDDEN');
        assert.match(response.body.detail, new RegExp(`TNT#acme#IdentityStore:${permission}`));
      }
      assert.equal(await count('relying_parties'), before);
      assert.equal((await acme.api.get(`${rps}/example.com`)).body.name, 'Example Inc.');
    });

    test('each change appended its audit event in the caller’s tenant', async () => {
      const events = (await server.services.audit.list('acme', { targetType: 'relyingParty', limit: 200 })).items;
      const summary = events.map((e) => `${e.action} ${e.targetId}`);
      for (const expected of [
        'relyingParty.create example.com',
        'relyingParty.create localhost',
        'relyingParty.update example.com',
        'relyingParty.delete c.example.net',
        'relyingParty.delete b.example.net',
      ]) {
        assert.ok(summary.includes(expected), `missing ${expected} in ${summary.join(', ')}`);
      }
      const create = events.find((e) => e.action === 'relyingParty.create' && e.targetId === 'example.com')!;
      assert.equal(create.actor, acme.clientId);
      assert.equal(create.outcome, 'success');
      assert.deepEqual(create.details, { store: 'customers', origins: EXAMPLE_RP.origins });
      assert.ok(create.requestId);
      const update = events.find((e) => e.action === 'relyingParty.update' && e.targetId === 'example.com')!;
      assert.deepEqual(update.details, { store: 'customers', fields: ['name', 'appleAppIds'] });
      assert.equal(events.filter((e) => e.action === 'relyingParty.update' && e.targetId === 'example.com').length, 2, 'refused PATCHes wrote nothing');
      assert.deepEqual(
        events.filter((e) => e.action === 'relyingParty.update' && e.targetId === 'embedded.example').map((e) => e.details),
        [1, 2].map(() => ({ store: 'customers', fields: ['topOrigins'] })),
        'the two accepted topOrigins PATCHes, not the refused one',
      );
    });
  });
}
