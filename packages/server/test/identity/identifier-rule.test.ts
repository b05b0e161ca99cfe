// The identifier rule end to end: NUL and other controls never reach a database, and user keys / self-service
// identifiers are unique by their comparison form (NFKC, trimmed, lower-cased; zero-width and bidi controls refused).
import assert from 'node:assert/strict';
import type { Kysely } from 'kysely';
import { after, before, describe, test } from 'node:test';
import { isIdentifier, normaliseIdentifier } from '../../src/shared/identifier.ts';
import { openDatabase } from '../../src/storage/database.ts';
import { migrateToLatest, migrateUpTo } from '../../src/storage/migrate.ts';
import { IdentityService } from '../../src/identity/identity-service.ts';
import { ManualClock } from '../../src/shared/clock.ts';
import { createTestDatabase } from '../support/databases.ts';
import { ADMIN, SelfServiceWorld, expectProblem, expectStatus } from '../selfservice/selfservice-fixture.ts';
import { DATABASE_KINDS } from '../support/databases.ts';
import { snapshotDatabase } from '../support/database-snapshot.ts';

describe('identifier comparison form', () => {
  test('NFKC, trim and lower-case map width, case and spacing variants onto one form', () => {
    for (const variant of ['bob@x.example', 'BOB@X.EXAMPLE', 'ｂｏｂ@ｘ.ｅｘａｍｐｌｅ', ' Bob@x.example ', 'ＢＯＢ@x.example']) {
      assert.equal(normaliseIdentifier(variant), 'bob@x.example', variant);
    }
  });
  test('controls, zero-width, bidi controls, separators, unpaired surrogates and blank identifiers are refused', () => {
    for (const refused of [
      'bob\u0000',
      'bob\u0085',
      'bob\u200B',
      '\uFEFFbob',
      'b\u200Dob',
      'bob\u202E',
      'bob\u2066',
      'bob\u00AD',
      'bob\uFE0F',
      'bob\u2028',
      'bob\uD800',
      '   ',
      '\u3000',
    ]) {
      assert.equal(isIdentifier(refused), false, JSON.stringify(refused));
    }
  });
});

for (const kind of DATABASE_KINDS) {
  describe(`identifier rule on ${kind}`, () => {
    let world: SelfServiceWorld;
    const users = `${ADMIN}/users`;

    before(async () => {
      world = await SelfServiceWorld.create(kind);
    });
    after(() => world.close());

    test('self-service sign-up as "carol@x.example\\u0000" beside carol is 400 VALIDATION_FAILED naming identifier; nothing stored', async () => {
      const browser = world.browser();
      const carol = await world.signUp(browser, 'carol@x.example');
      const before = await snapshotDatabase(world.server.database);
      for (const identifier of ['carol@x.example\u0000', 'carol@x.example\u0000evil', 'carol@x.example\uD800']) {
        const refused = await expectProblem(world.browser().post('/register/webauthn/begin', { identifier }), 400, 'VALIDATION_FAILED');
        assert.equal(refused.body.errors[0].field, 'identifier');
        await expectProblem(world.browser().post('/login/webauthn/options', { identifier }), 400, 'VALIDATION_FAILED');
      }
      assert.deepEqual(await snapshotDatabase(world.server.database), before);
      const found = await expectStatus(world.api.get(`${users}?userKey=carol@x.example`), 200);
      assert.deepEqual(
        found.body.items.map((u: { id: string }) => u.id),
        [carol.user.id],
      );
    });

    test('admin Add User with NUL, C1 or a lone surrogate in userKey, another field or an attribute key is 400 naming the field; nothing stored', async () => {
      await expectStatus(world.api.post(users, { userKey: 'dave@x.example' }), 201);
      const before = await snapshotDatabase(world.server.database);
      const cases: [Record<string, unknown>, string][] = [
        [{ userKey: 'dave@x.example\u0000' }, 'userKey'],
        [{ userKey: 'dave2\u0085' }, 'userKey'],
        [{ userKey: 'dave3', firstName: 'Dave\u0000' }, 'firstName'],
        [{ userKey: 'dave4', lastName: '\uDC00' }, 'lastName'],
        [{ userKey: 'dave5', attributes: { 'a\u0000': 'x' } }, 'attributes'],
        [{ userKey: 'dave6', attributes: { tier: 'gold\u0001' } }, 'attributes.tier'],
      ];
      for (const [body, field] of cases) {
        const refused = await expectProblem(world.api.post(users, body), 400, 'VALIDATION_FAILED');
        assert.equal(refused.body.errors[0].field, field, JSON.stringify(body));
      }
      const dave = (await expectStatus(world.api.get(`${users}?userKey=dave@x.example`), 200)).body.items[0];
      await expectProblem(world.api.patch(`${users}/${dave.id}`, { userKey: 'dave@x.example\u0000' }), 400, 'VALIDATION_FAILED');
      assert.deepEqual(await snapshotDatabase(world.server.database), before);
    });

    test('BOB, full-width ｂｏｂ and " bob " resolve to bob (409 on create and rename, same user on look-up); bob\\u200B is 400', async () => {
      const browser = world.browser();
      const bob = await world.signUp(browser, 'bob@x.example');
      const before = await snapshotDatabase(world.server.database, ['selfservice_rate_limits']);
      for (const userKey of ['BOB@x.example', 'ｂｏｂ@ｘ.example', ' bob@x.example ', 'Bob@X.Example']) {
        await expectProblem(world.api.post(users, { userKey }), 409, 'USER_KEY_NOT_UNIQUE');
        await expectProblem(world.browser().post('/register/webauthn/begin', { identifier: userKey }), 409, 'IDENTIFIER_TAKEN');
        const found = await expectStatus(world.api.get(`${users}?userKey=${encodeURIComponent(userKey)}`), 200);
        assert.deepEqual(
          found.body.items.map((u: { id: string }) => u.id),
          [bob.user.id],
          userKey,
        );
      }
      for (const identifier of ['bob@x.example\u200B', '\u200Bbob@x.example', 'bob@x.exam\u202Eple']) {
        const refused = await expectProblem(world.api.post(users, { userKey: identifier }), 400, 'VALIDATION_FAILED');
        assert.equal(refused.body.errors[0].field, 'userKey');
        await expectProblem(world.browser().post('/register/webauthn/begin', { identifier }), 400, 'VALIDATION_FAILED');
      }
      assert.deepEqual(await snapshotDatabase(world.server.database, ['selfservice_rate_limits']), before);

      // Renaming another user onto bob's comparison form is a conflict too.
      const other = await expectStatus(world.api.post(users, { userKey: 'robert@x.example' }), 201);
      await expectProblem(world.api.patch(`${users}/${other.body.id}`, { userKey: 'ＢＯＢ@x.example' }), 409, 'USER_KEY_NOT_UNIQUE');

      // Sign-in names bob's passkey whichever spelling is typed, and signs bob in.
      const signedIn = await world.signIn(world.browser(), bob.authenticator, 'ＢＯＢ@X.EXAMPLE');
      assert.equal(signedIn.body.user.id, bob.user.id);
    });
  });
}

for (const kind of DATABASE_KINDS) {
  describe(`per-account sign-in budget by comparison form on ${kind}`, () => {
    let world: SelfServiceWorld;
    before(async () => {
      world = await SelfServiceWorld.create(kind, { env: { KEYWAY_RATE_LIMIT_PER_IDENTIFIER: '3' } });
    });
    after(() => world.close());

    test('bob, BOB and ｂｏｂ draw on one per-account budget: the fourth spelling from the same address is 429', async () => {
      const spellings = ['bob@x.example', 'BOB@x.example', 'ｂｏｂ@x.example', 'Bob@X.Example'];
      const browser = world.browser({ localAddress: '127.0.0.10' });
      for (const identifier of spellings.slice(0, 3)) {
        await expectStatus(browser.post('/login/webauthn/options', { identifier }), 200);
      }
      await expectProblem(browser.post('/login/webauthn/options', { identifier: spellings[3] }), 429, 'RATE_LIMITED');
      // Another address still has its own budget for the account (a flood from one address locks nobody out elsewhere).
      await expectStatus(world.browser({ localAddress: '127.0.0.11' }).post('/login/webauthn/options', { identifier: spellings[3] }), 200);
    });
  });

  describe(`migration 007 (identifier comparison form) on ${kind}`, () => {
    test('backfills existing users oldest first; a refused key or a later collision keeps working by its exact key', async () => {
      const testDatabase = await createTestDatabase(kind);
      const database = openDatabase(testDatabase.url);
      try {
        await migrateUpTo(database, '006-journey-content');
        const db = database.db as unknown as Kysely<Record<string, Record<string, unknown>>>;
        await db.insertInto('tenants').values({ id: 'acme', created_at: 1 }).execute();
        await db.insertInto('stores').values({ id: 's1', tenant_id: 'acme', name: 'customers', created_at: 1, updated_at: 1 }).execute();
        const legacy = { tenant_id: 'acme', store_id: 's1', status: 'active', attributes: '{}', created_at: 1, updated_at: 1 };
        const keys = { u1: 'Bob@x.example', u2: 'BOB@x.example', u3: 'zero\u200Bwidth', u4: 'carol@x.example' };
        for (const [id, userKey] of Object.entries(keys))
          await db
            .insertInto('users')
            .values({ ...legacy, id, user_key: userKey, external_id: `ext-${id}` })
            .execute();

        await migrateToLatest(database);
        const rows = (await database.db.selectFrom('users').select(['id', 'user_key_normalized']).orderBy('id').execute()).map((row) => ({ ...row }));
        assert.deepEqual(rows, [
          { id: 'u1', user_key_normalized: 'bob@x.example' },
          { id: 'u2', user_key_normalized: null },
          { id: 'u3', user_key_normalized: null },
          { id: 'u4', user_key_normalized: 'carol@x.example' },
        ]);
        const identity = new IdentityService({ db: database.db, clock: new ManualClock() });
        const find = async (userKey: string) => (await identity.listUsers('acme', 'customers', { userKey })).items.map((u) => u.id);
        assert.deepEqual(await find('bob@X.example'), ['u1']);
        assert.deepEqual(await find('BOB@x.example'), ['u1', 'u2'], 'the collided legacy user is still found by its exact key');
        assert.deepEqual(await find('zero\u200Bwidth'), ['u3']);
        assert.deepEqual(await find('ＣＡＲＯＬ@x.example'), ['u4']);
      } finally {
        await database.close();
        await testDatabase.drop();
      }
    });
  });
}
