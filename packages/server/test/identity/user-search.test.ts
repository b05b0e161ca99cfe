// The users search (`q`) in every script, on both databases: stored fields and search words are folded alike in
// JavaScript (shared/search-fold.ts) into users.search_text, which every write path keeps and migration 038 filled for
// the users stored before it — SQL lower() is ASCII-only on SQLite and on a C-locale PostgreSQL.
import assert from 'node:assert/strict';
import type { Kysely } from 'kysely';
import { after, before, describe, test } from 'node:test';
import { IdentityService } from '../../src/identity/identity-service.ts';
import type { ListUsersFilter } from '../../src/identity/user-schemas.ts';
import { SandboxIdentity, type IdentityReads } from '../../src/journeys/dry-run/sandbox-identity.ts';
import { ManualClock } from '../../src/shared/clock.ts';
import { foldForSearch, searchWords } from '../../src/shared/search-fold.ts';
import { openDatabase } from '../../src/storage/database.ts';
import { migrateToLatest, migrateUpTo } from '../../src/storage/migrate.ts';
import { ADMIN, SelfServiceWorld, expectStatus } from '../selfservice/selfservice-fixture.ts';
import { DATABASE_KINDS, createTestDatabase } from '../support/databases.ts';

describe('search fold', () => {
  test('case, accents, width, ß and the final sigma fold away, in any script; ASCII only lower-cases', () => {
    const cases: [string[], string][] = [
      [['Émile', 'émile', 'EMILE', 'ÉMILE', 'E\u0301mile', 'ＥＭＩＬＥ', 'emile'], 'emile'],
      [['Ärger', 'ärger', 'ÄRGER', 'A\u0308rger'], 'arger'],
      [['Straße', 'STRASSE', 'strasse', 'STRAẞE'], 'strasse'],
      [['ΟΔΥΣΣΕΥΣ', 'Οδυσσεύς', 'οδυσσευσ'], 'οδυσσευσ'],
      [['Ёлкин', 'ЕЛКИН'], 'елкин'],
      [['İstanbul', 'istanbul'], 'istanbul'],
      [['Mül\u00ADler', 'Mu\u200Bller'], 'muller'],
      [['ﬁsh'], 'fish'],
      [['한국어'], '한국어'],
      [['Per%Cent_User\\'], 'per%cent_user\\'],
    ];
    for (const [variants, folded] of cases) for (const variant of variants) assert.equal(foldForSearch(variant), folded, JSON.stringify(variant));
    // The Turkish dotless ı is a letter of its own (the fold is locale-independent); ł is not an accented l.
    assert.equal(foldForSearch('ILIK'), 'ilik');
    assert.equal(foldForSearch('ılık'), 'ılık');
    assert.equal(foldForSearch('Łódź'), 'łodz');
  });

  test('a search is split into words after folding (a compatibility space splits too), at most the given number', () => {
    assert.deepEqual(searchWords('  Émile\u00A0ZOLA\tＰＡＲＩＳ ', 8), ['emile', 'zola', 'paris']);
    assert.deepEqual(searchWords('a b c d', 2), ['a', 'b']);
    assert.deepEqual(searchWords(undefined, 8), []);
  });
});

/** An identity store with one empty store: in a dry-run, only the run's own users can answer. */
function emptyStore(): IdentityReads {
  return {
    findStore: async () => ({
      id: 's1',
      tenant_id: 'acme',
      name: 'customers',
      display_name: null,
      self_service: null,
      created_at: 0,
      updated_at: 0,
      config_version: 0,
      edit_version: 0,
    }),
    listUsers: async () => ({ items: [], nextCursor: null }),
    getUser: async () => Promise.reject(new Error('no real users here')),
    hasPasskeys: async () => false,
  };
}

describe('users search in a dry-run', () => {
  test('the users a run created are searched as the store searches its own (folded fields, every word)', async () => {
    // The real store is empty: only the run's own users can answer.
    const real = emptyStore();
    const sandbox = new SandboxIdentity(real, new ManualClock(), { tenantId: 'acme', permissions: [] });
    const actor = { tenantId: 'acme', actor: 'journey:test' };
    await sandbox.createUser(actor, 'customers', { userKey: 'zola', firstName: 'Émile', lastName: 'Zola' });
    await sandbox.createPendingUser(actor, 'customers', { userKey: 'strasse', lastName: 'Straße' });
    const keys = async (q?: string) => (await sandbox.listUsers('acme', 'customers', q === undefined ? {} : { q })).items.map((u) => u.userKey).sort();
    assert.deepEqual(await keys(), ['strasse', 'zola']);
    assert.deepEqual(await keys('EMILE zola'), ['zola']);
    assert.deepEqual(await keys('STRASSE'), ['strasse']);
    assert.deepEqual(await keys('émile straße'), []);
  });

  test("the e-mail and status filters apply to the run's own users as to the store's (an e-mail OTP step asks by e-mail)", async () => {
    const sandbox = new SandboxIdentity(emptyStore(), new ManualClock(), { tenantId: 'acme', permissions: [] });
    const actor = { tenantId: 'acme', actor: 'journey:test' };
    await sandbox.createUser(actor, 'customers', { userKey: 'ada', email: 'Ada@Example.com' });
    await sandbox.createUser(actor, 'customers', { userKey: 'bob', email: 'bob@example.com', status: 'locked' });
    await sandbox.createPendingUser(actor, 'customers', { userKey: 'cy' });
    const keys = async (filter: ListUsersFilter) => (await sandbox.listUsers('acme', 'customers', filter)).items.map((u) => u.userKey).sort();
    assert.deepEqual(await keys({ email: 'ADA@example.COM' }), ['ada']);
    assert.deepEqual(await keys({ email: 'nobody@example.com' }), []);
    assert.deepEqual(await keys({ status: 'locked' }), ['bob']);
    assert.deepEqual(await keys({ status: 'pending' }), ['cy']);
    assert.deepEqual(await keys({ status: 'active', email: 'bob@example.com' }), []);
  });
});

for (const kind of DATABASE_KINDS) {
  describe(`users search on ${kind}`, () => {
    let world: SelfServiceWorld;
    const users = `${ADMIN}/users`;
    before(async () => {
      world = await SelfServiceWorld.create(kind);
    });
    after(() => world.close());

    const keys = async (q: string) =>
      ((await expectStatus(world.api.get(`${users}?q=${encodeURIComponent(q)}`), 200)).body.items as { userKey: string }[]).map((u) => u.userKey).sort();

    test('q ignores letter case, accents and width beyond ASCII, matches ß with ss, and still needs every word', async () => {
      const made = [
        { userKey: 'zola', firstName: 'Émile', lastName: 'Zola' },
        { userKey: 'aerger', lastName: 'ärger' },
        { userKey: 'strasse-upper', lastName: 'STRASSE' },
        { userKey: 'strasse-sharp', lastName: 'Straße' },
        { userKey: 'ｙａｍａｄａ', firstName: 'ＴＡＲＯ' },
        { userKey: 'odysseus', lastName: 'ΟΔΥΣΣΕΥΣ' },
        { userKey: 'jolkin', email: 'JOLKIN@Example.COM', lastName: 'ЁЛКИН' },
      ];
      for (const user of made) await expectStatus(world.api.post(users, user), 201);

      for (const q of ['émile', 'EMILE', 'Émile', 'emile', 'ÉMILE', 'E\u0301MILE', 'ＥＭＩＬＥ', 'émile zola', 'ZOLA ÉMI'])
        assert.deepEqual(await keys(q), ['zola'], q);
      for (const q of ['ÄRGER', 'ärger', 'Ärger', 'arger', 'A\u0308RGER']) assert.deepEqual(await keys(q), ['aerger'], q);
      for (const q of ['straße', 'STRASSE', 'Strasse', 'STRAẞE', 'raß']) assert.deepEqual(await keys(q), ['strasse-sharp', 'strasse-upper'], q);
      for (const q of ['taro', 'Taro', 'ｔａｒｏ', 'yamada', 'ＹＡＭＡＤＡ']) assert.deepEqual(await keys(q), ['ｙａｍａｄａ'], q);
      for (const q of ['οδυσσευς', 'Οδυσσεύς', 'ΟΔΥΣΣΕΥΣ']) assert.deepEqual(await keys(q), ['odysseus'], q);
      for (const q of ['ёлкин', 'Елкин', 'jolkin@example.com']) assert.deepEqual(await keys(q), ['jolkin'], q);
      // Every word must appear, and a word is found within one field, never across two.
      assert.deepEqual(await keys('émile ärger'), []);
      assert.deepEqual(await keys('émilezola'), []);
    });

    test('a user renamed by PATCH is found by the new name and no longer by the old; fields not patched stay searchable', async () => {
      const created = await expectStatus(world.api.post(users, { userKey: 'renamed', firstName: 'Jürgen', lastName: 'Groß' }), 201);
      assert.deepEqual(await keys('JURGEN'), ['renamed']);
      await expectStatus(world.api.patch(`${users}/${created.body.id}`, { firstName: 'Zoë' }), 200);
      assert.deepEqual(await keys('zoe'), ['renamed']);
      assert.deepEqual(await keys('jürgen'), []);
      assert.deepEqual(await keys('gross zoë'), ['renamed'], 'the last name, not patched, is still found');

      await expectStatus(world.api.patch(`${users}/${created.body.id}`, { lastName: null, email: 'Elodie.Roux@Example.com', userKey: 'renamed-again' }), 200);
      assert.deepEqual(await keys('groß'), []);
      assert.deepEqual(await keys('ÉLODIE.ROUX'), ['renamed-again']);
      assert.deepEqual(await keys('renamed-again zoe'), ['renamed-again']);
      // A patch of other fields leaves the search as it was.
      await expectStatus(world.api.patch(`${users}/${created.body.id}`, { status: 'locked', timezone: 'Europe/Berlin' }), 200);
      assert.deepEqual(await keys('élodie zoë'), ['renamed-again']);
    });

    test('two PATCHes of different names at the same moment: the user is found by both (each is computed from the row as the other left it)', async () => {
      for (let round = 0; round < 8; round++) {
        const userKey = `concurrent-${round}`;
        const created = await expectStatus(world.api.post(users, { userKey, firstName: 'Old', lastName: 'Old' }), 201);
        await Promise.all([
          expectStatus(world.api.patch(`${users}/${created.body.id}`, { firstName: `Alpha${round}` }), 200),
          expectStatus(world.api.patch(`${users}/${created.body.id}`, { lastName: `Omega${round}` }), 200),
        ]);
        assert.deepEqual(await keys(`alpha${round} omega${round}`), [userKey], `round ${round}`);
        assert.deepEqual(await keys(`${userKey} old`), [], `round ${round}: no name of before is left in the search`);
      }
    });

    test('a user who signed up through self-service is found by their identifier in any letter case and accents', async () => {
      const signedUp = await world.signUp(world.browser(), 'Anaïs.Müller@Example.com');
      assert.equal(signedUp.user.userKey, 'Anaïs.Müller@Example.com');
      for (const q of ['anais.muller', 'ANAÏS.MÜLLER@EXAMPLE.COM', 'müller@example']) assert.deepEqual(await keys(q), ['Anaïs.Müller@Example.com'], q);
    });
  });

  describe(`migration 038 (users search text) on ${kind}`, () => {
    test('folds the users stored before it, in batches, so they are found by the folded search; later writes keep it', async () => {
      const testDatabase = await createTestDatabase(kind);
      const database = openDatabase(testDatabase.url);
      try {
        await migrateUpTo(database, '037-console-session-idle');
        const db = database.db as unknown as Kysely<Record<string, Record<string, unknown>>>;
        await db.insertInto('tenants').values({ id: 'acme', created_at: 1 }).execute();
        await db.insertInto('stores').values({ id: 's1', tenant_id: 'acme', name: 'customers', created_at: 1, updated_at: 1 }).execute();
        const legacy = { tenant_id: 'acme', store_id: 's1', status: 'active', attributes: '{}', created_at: 1, updated_at: 1 };
        const row = (id: string, fields: { user_key: string; email?: string; first_name?: string; last_name?: string }) => ({
          ...legacy,
          id,
          external_id: `ext-${id}`,
          user_key_normalized: fields.user_key.toLowerCase(),
          email: null,
          first_name: null,
          last_name: null,
          ...fields,
        });
        // More users than one batch of the backfill (500), the accented ones first and last in id order.
        const filler = Array.from({ length: 1100 }, (_, i) => row(`u1-${String(i).padStart(4, '0')}`, { user_key: `filler-${i}` }));
        const rows = [
          row('u0', { user_key: 'zola', first_name: 'Émile', last_name: 'Zola', email: 'emile@example.com' }),
          ...filler,
          row('u2', { user_key: 'aerger', last_name: 'ÄRGER' }),
          row('u3', { user_key: 'yamada', first_name: 'ＴＡＲＯ' }),
          row('u4', { user_key: 'strasse', last_name: 'Straße' }),
        ];
        for (let i = 0; i < rows.length; i += 200)
          await db
            .insertInto('users')
            .values(rows.slice(i, i + 200))
            .execute();

        await migrateToLatest(database);

        const texts = await database.db.selectFrom('users').select(['id', 'search_text']).where('search_text', '=', '').execute();
        assert.deepEqual(texts, [], 'every user has a search text');
        const identity = new IdentityService({ db: database.db, clock: new ManualClock() });
        const find = async (q: string) => (await identity.listUsers('acme', 'customers', { q })).items.map((u) => u.id);
        assert.deepEqual(await find('ÉMILE'), ['u0']);
        assert.deepEqual(await find('emile zola'), ['u0']);
        assert.deepEqual(await find('ärger'), ['u2']);
        assert.deepEqual(await find('taro'), ['u3']);
        assert.deepEqual(await find('STRASSE'), ['u4']);
        assert.deepEqual(await find('filler-1099'), ['u1-1099']);
        assert.deepEqual(await find('ext-u1-0777'), ['u1-0777']);

        const actor = { tenantId: 'acme', actor: 'test' };
        await identity.updateUser(actor, 'customers', { id: 'u2' }, { lastName: 'Öztürk' });
        assert.deepEqual(await find('arger'), []);
        assert.deepEqual(await find('OZTURK'), ['u2']);
        const created = await identity.createUser(actor, 'customers', { userKey: 'new', firstName: 'Émilie' });
        assert.deepEqual(await find('EMILIE'), [created.id]);
      } finally {
        await database.close();
        await testDatabase.drop();
      }
    });
  });
}
