import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DATABASE_KINDS } from '../support/databases.ts';
import { startTestServer, type TenantFixture, type TestServer } from '../support/test-server.ts';

const FULL_USER = {
  userKey: 'alice',
  externalId: 'crm-1001',
  email: 'Alice@Example.com',
  firstName: 'Alice',
  lastName: 'Liddell',
  dateOfBirth: '1990-02-28',
  locale: { country: 'IE', language: 'en', variant: '1996-fonipa' },
  nationalities: ['IE', 'GB'],
  status: 'active',
  timezone: 'Europe/Dublin',
  type: 'customer',
  attributes: { tier: 'gold', 'crm.segment': 'b2c' },
};

for (const kind of DATABASE_KINDS) {
  describe(`identity store API on ${kind}`, () => {
    let server: TestServer;
    let acme: TenantFixture;
    const users = '/api/identity-store/stores/customers/users';

    const countRows = async (table: 'users' | 'audit_events' | 'stores') =>
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
      const created = await acme.api.post('/api/identity-store/stores', { name: 'customers', displayName: 'Customers' });
      assert.equal(created.status, 201);
    });
    after(() => server.close());

    test('adds a user with every Add User field and reads it by id, by externalId and via the tenant path', async () => {
      const created = await acme.api.post(users, FULL_USER);
      assert.equal(created.status, 201, JSON.stringify(created.body));
      const user = created.body;
      assert.match(user.id, /^[0-9a-f]{16}[A-Za-z0-9_-]{10}$/);
      assert.equal(user.email, 'alice@example.com', 'e-mail is stored lower-cased');
      assert.deepEqual(
        { ...user, id: undefined, createdAt: undefined, updatedAt: undefined },
        { ...FULL_USER, email: 'alice@example.com', emailVerified: false, id: undefined, createdAt: undefined, updatedAt: undefined },
      );

      const byId = await acme.api.get(`${users}/${user.id}`);
      assert.equal(byId.status, 200);
      assert.deepEqual(byId.body, user);
      const byExt = await acme.api.get(`${users}/crm-1001/ext`);
      assert.equal(byExt.status, 200);
      assert.deepEqual(byExt.body, user);
      const viaTenantPath = await acme.api.get(`/api/identity-store/acme/stores/customers/users/${user.id}`);
      assert.equal(viaTenantPath.status, 200);
      assert.deepEqual(viaTenantPath.body, user);
    });

    test('generates an externalId when absent (a UUIDv7: time first) and accepts a single nationality', async () => {
      const created = await acme.api.post(users, { userKey: 'no-ext', nationalities: 'DE' });
      assert.equal(created.status, 201);
      assert.match(created.body.externalId, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      // Its first 48 bits are the time it was made, in milliseconds (RFC 9562 §5.7): later ones do not sort before it.
      const millis = (uuid: string) => parseInt(uuid.replace(/-/g, '').slice(0, 12), 16);
      assert.ok(Math.abs(millis(created.body.externalId) - Date.now()) < 60_000);
      const later = await acme.api.post(users, { userKey: 'no-ext-later' });
      assert.ok(millis(later.body.externalId) >= millis(created.body.externalId));
      assert.deepEqual(created.body.nationalities, ['DE']);
      assert.equal(created.body.status, 'active');
    });

    test('a duplicate externalId is 409 EXT_ID_NOT_UNIQUE and a duplicate userKey 409 USER_KEY_NOT_UNIQUE; nothing is written', async () => {
      await acme.api.post(users, { userKey: 'dup-a', externalId: 'dup-ext' });
      const [usersBefore, auditBefore] = [await countRows('users'), await countRows('audit_events')];
      const dupExt = await acme.api.post(users, { userKey: 'dup-b', externalId: 'dup-ext' });
      assert.equal(dupExt.status, 409);
      assert.equal(dupExt.body.code, 'EXT_ID_NOT_UNIQUE');
      assert.equal(dupExt.headers.get('content-type'), 'application/problem+json; charset=utf-8');
      const dupKey = await acme.api.post(users, { userKey: 'dup-a' });
      assert.equal(dupKey.status, 409);
      assert.equal(dupKey.body.code, 'USER_KEY_NOT_UNIQUE');
      assert.equal(await countRows('users'), usersBefore);
      assert.equal(await countRows('audit_events'), auditBefore);
    });

    const invalid: Array<[string, Record<string, unknown>, string]> = [
      ['a date that does not exist', { dateOfBirth: '2023-02-29' }, 'dateOfBirth'],
      ['a date in another format', { dateOfBirth: '28/02/1990' }, 'dateOfBirth'],
      ['a three-letter language', { locale: { language: 'eng' } }, 'locale.language'],
      ['an unknown language', { locale: { language: 'qq' } }, 'locale.language'],
      ['a lower-case country', { locale: { country: 'ie' } }, 'locale.country'],
      ['a variant of 3 letters', { locale: { variant: 'abc' } }, 'locale.variant'],
      ['a 4-character variant not starting with a digit', { locale: { variant: 'abcd' } }, 'locale.variant'],
      ['an unknown status', { status: 'banned' }, 'status'],
      ['a made-up timezone', { timezone: 'Mars/Olympus_Mons' }, 'timezone'],
      ['an offset instead of a timezone name', { timezone: '+01:00' }, 'timezone'],
      ['a type of 65 characters', { type: 'x'.repeat(65) }, 'type'],
      ['a malformed e-mail', { email: 'not-an-email' }, 'email'],
      ['too many attributes', { attributes: Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`k${i}`, 'v'])) }, 'attributes'],
      ['an attribute value too long', { attributes: { big: 'x'.repeat(1025) } }, 'attributes.big'],
      ['a non-string attribute', { attributes: { n: 1 } }, 'attributes.n'],
      ['an unknown field', { nickname: 'al' }, 'nickname'],
      ['a number where a string is expected', { firstName: 42 }, 'firstName'],
    ];
    for (const [name, fields, field] of invalid) {
      test(`rejects ${name} with 400 naming ${field}, changing nothing`, async () => {
        const before = await countRows('users');
        const response = await acme.api.post(users, { userKey: `bad-${field}`, ...fields });
        assert.equal(response.status, 400, JSON.stringify(response.body));
        assert.equal(response.body.code, 'VALIDATION_FAILED');
        assert.equal(response.body.errors[0].field, field);
        assert.match(response.body.detail, new RegExp(`^${field.replace('.', '\\.')}: `));
        assert.equal(await countRows('users'), before);
      });
    }

    test('accepts TZDB time zone names and the variant rule of 4 characters starting with a digit', async () => {
      const response = await acme.api.post(users, { userKey: 'tz', timezone: 'EST', locale: { language: 'de', country: 'AT', variant: '1901' } });
      assert.equal(response.status, 201, JSON.stringify(response.body));
    });

    test('lists users with cursor pagination and filters', async () => {
      for (let i = 0; i < 5; i++) await acme.api.post(users, { userKey: `page-${i}`, email: `page${i}@example.com`, status: i % 2 ? 'locked' : 'pending' });
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const query: string = cursor ? `?limit=2&cursor=${cursor}` : '?limit=2';
        const page = await acme.api.get(`${users}${query}`);
        assert.equal(page.status, 200);
        assert.ok(page.body.items.length <= 2);
        seen.push(...page.body.items.map((u: { userKey: string }) => u.userKey));
        cursor = page.body.nextCursor;
      } while (cursor);
      assert.equal(new Set(seen).size, seen.length, 'no user appears twice');
      assert.deepEqual(
        seen.filter((k) => k.startsWith('page-')),
        ['page-0', 'page-1', 'page-2', 'page-3', 'page-4'],
        'creation order',
      );

      const byEmail = await acme.api.get(`${users}?email=PAGE3@example.com`);
      assert.deepEqual(
        byEmail.body.items.map((u: { userKey: string }) => u.userKey),
        ['page-3'],
      );
      const locked = await acme.api.get(`${users}?status=locked`);
      assert.deepEqual(
        locked.body.items.map((u: { userKey: string }) => u.userKey),
        ['page-1', 'page-3'],
      );
      const byKey = await acme.api.get(`${users}?userKey=page-2`);
      assert.equal(byKey.body.items.length, 1);
      const byExt = await acme.api.get(`${users}?externalId=crm-1001`);
      assert.deepEqual(
        byExt.body.items.map((u: { userKey: string }) => u.userKey),
        ['alice'],
      );
      const badCursor = await acme.api.get(`${users}?cursor=bm9wZQ`);
      assert.equal(badCursor.status, 400);
      assert.equal(badCursor.body.code, 'INVALID_CURSOR');
    });

    test('updates by id and by externalId, clears fields with null, and keeps uniqueness', async () => {
      const created = (await acme.api.post(users, { userKey: 'patchme', externalId: 'patch-ext', firstName: 'Pat', type: 'staff' })).body;
      const patched = await acme.api.patch(`${users}/${created.id}`, { firstName: 'Patricia', type: null, status: 'locked' });
      assert.equal(patched.status, 200);
      assert.equal(patched.body.firstName, 'Patricia');
      assert.equal(patched.body.type, undefined);
      assert.equal(patched.body.status, 'locked');
      const byExt = await acme.api.patch(`${users}/patch-ext/ext`, { lastName: 'Smith' });
      assert.equal(byExt.status, 200);
      assert.equal(byExt.body.lastName, 'Smith');
      assert.equal(byExt.body.firstName, 'Patricia');
      const clash = await acme.api.patch(`${users}/${created.id}`, { externalId: 'crm-1001' });
      assert.equal(clash.status, 409);
      assert.equal(clash.body.code, 'EXT_ID_NOT_UNIQUE');
      const stored = await acme.api.get(`${users}/${created.id}`);
      assert.equal(stored.body.externalId, 'patch-ext');
      const empty = await acme.api.patch(`${users}/${created.id}`, {});
      assert.equal(empty.status, 400);
    });

    test('an e-mail address sent back unchanged (in any letter case) stays verified; a new one starts unverified', async () => {
      const created = (await acme.api.post(users, { userKey: 'verified-mail', email: 'vera@example.com' })).body;
      await server.database.db.updateTable('users').set({ email_verified_at: Date.now() }).where('id', '=', created.id).execute();
      assert.equal((await acme.api.get(`${users}/${created.id}`)).body.emailVerified, true);
      // A client that PATCHes the whole user sends the address back.
      const same = await acme.api.patch(`${users}/${created.id}`, { email: 'Vera@Example.com', firstName: 'Vera' });
      assert.equal(same.status, 200);
      assert.equal(same.body.email, 'vera@example.com');
      assert.equal(same.body.emailVerified, true);
      const other = await acme.api.patch(`${users}/${created.id}`, { email: 'vera@elsewhere.example' });
      assert.equal(other.body.emailVerified, false);
    });

    test('deletes by id and by externalId', async () => {
      const a = (await acme.api.post(users, { userKey: 'del-a' })).body;
      await acme.api.post(users, { userKey: 'del-b', externalId: 'del-b-ext' });
      assert.equal((await acme.api.delete(`${users}/${a.id}`)).status, 204);
      assert.equal((await acme.api.get(`${users}/${a.id}`)).body.code, 'USER_NOT_FOUND');
      assert.equal((await acme.api.delete(`${users}/del-b-ext/ext`)).status, 204);
      const gone = await acme.api.get(`${users}/del-b-ext/ext`);
      assert.equal(gone.status, 404);
      assert.equal(gone.body.code, 'USER_NOT_FOUND');
    });

    test('stores: create, list, read, rename, refuse duplicates and deleting a store with users', async () => {
      const dup = await acme.api.post('/api/identity-store/stores', { name: 'customers' });
      assert.equal(dup.status, 409);
      assert.equal(dup.body.code, 'STORE_ALREADY_EXISTS');
      assert.equal((await acme.api.post('/api/identity-store/stores', { name: 'staff' })).status, 201);
      const list = await acme.api.get('/api/identity-store/stores');
      assert.deepEqual(
        list.body.items.map((s: { name: string }) => s.name),
        ['customers', 'staff'],
      );
      const renamed = await acme.api.patch('/api/identity-store/stores/staff', { displayName: 'Staff' });
      assert.equal(renamed.body.displayName, 'Staff');
      const badName = await acme.api.post('/api/identity-store/stores', { name: 'no spaces' });
      assert.equal(badName.status, 400);
      assert.equal(badName.body.errors[0].field, 'name');
      const notEmpty = await acme.api.delete('/api/identity-store/stores/customers');
      assert.equal(notEmpty.status, 409);
      assert.equal(notEmpty.body.code, 'STORE_NOT_EMPTY');
      assert.equal((await acme.api.delete('/api/identity-store/stores/staff')).status, 204);
      assert.equal((await acme.api.get('/api/identity-store/stores/staff')).body.code, 'STORE_NOT_FOUND');
    });

    test('another tenant gets 404 on acme’s store and users; no token 401; a token without the permission 403', async () => {
      const globex = await server.tenant('globex');
      const alice = (await acme.api.get(`${users}/crm-1001/ext`)).body;
      for (const path of [
        '/api/identity-store/stores/customers',
        `${users}/${alice.id}`,
        `${users}/crm-1001/ext`,
        `/api/identity-store/acme/stores/customers/users/${alice.id}`,
      ]) {
        const response = await globex.api.get(path);
        assert.equal(response.status, 404, path);
        assert.ok(['STORE_NOT_FOUND', 'TENANT_NOT_FOUND'].includes(response.body.code), response.body.code);
      }
      const patch = await globex.api.patch(`/api/identity-store/stores/customers/users/${alice.id}`, { firstName: 'Mallory' });
      assert.equal(patch.status, 404);
      assert.equal((await acme.api.get(`${users}/${alice.id}`)).body.firstName, 'Alice');

      const anonymous = await server.http.get(`${users}/${alice.id}`);
      assert.equal(anonymous.status, 401);
      assert.equal(anonymous.body.code, 'UNAUTHENTICATED');
      assert.match(anonymous.headers.get('www-authenticate') ?? '', /^Bearer/);
      const garbage = await server.http.withToken('kwt_not-a-real-token').get(`${users}/${alice.id}`);
      assert.equal(garbage.status, 401);

      const reader = await acme.api.post('/api/admin/clients', { name: 'reader', permissions: ['TNT#acme#IdentityStore:getUser'] });
      const readerApi = server.http.withToken(await server.token(reader.body.clientId, reader.body.clientSecret));
      assert.equal((await readerApi.get(`${users}/${alice.id}`)).status, 200);
      const forbidden = await readerApi.post(users, { userKey: 'nope' });
      assert.equal(forbidden.status, 403);
      assert.equal(forbidden.body.code, 'FORBIDDEN');
      assert.match(forbidden.body.detail, /TNT#acme#IdentityStore:createUser/);
    });

    test('every mutating call appended an audit event with tenant, actor, action, target and outcome', async () => {
      const events: Array<Record<string, unknown>> = [];
      let cursor: string | null = null;
      do {
        const page = await acme.api.get(`/api/audit?limit=200${cursor ? `&cursor=${cursor}` : ''}`);
        assert.equal(page.status, 200);
        events.push(...page.body.items);
        cursor = page.body.nextCursor;
      } while (cursor);
      const actions = events.map((e) => e.action);
      for (const action of ['tenant.create', 'apiClient.create', 'store.create', 'user.create', 'user.update', 'user.delete', 'store.update', 'store.delete']) {
        assert.ok(actions.includes(action), `missing ${action}`);
      }
      const userCreate = events.find((e) => e.action === 'user.create')!;
      assert.equal(userCreate.tenant, 'acme');
      assert.equal(userCreate.actor, acme.clientId);
      assert.equal(userCreate.outcome, 'success');
      assert.equal(userCreate.targetType, 'user');
      assert.ok(userCreate.requestId);
      assert.ok(
        events.every((e) => e.tenant === 'acme'),
        'only the caller’s tenant',
      );
      const filtered = await acme.api.get('/api/audit?action=store.delete');
      assert.deepEqual(
        filtered.body.items.map((e: { targetId: string }) => e.targetId),
        ['staff'],
      );
    });
  });
}
