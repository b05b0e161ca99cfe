// The benchmark's data set (bench/seed.ts) written straight into the database must stay a valid Keyway data set as
// the schema grows: every NOT NULL column filled, a seeded user found by the users search and signing in through the
// real API with the key the bench derives for it, on both databases; on PostgreSQL the loaded tables are vacuumed and
// analysed afterwards.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import { assertion, seededKey, seededUser } from '../../../../bench/authenticator.ts';
import { seedDataSet } from '../../../../bench/seed.ts';
import { DATABASE_KINDS } from '../support/databases.ts';
import { ADMIN, ORIGIN, RP_ID, STORE, SelfServiceWorld, expectStatus } from '../selfservice/selfservice-fixture.ts';

const USERS = 40;
const AUDIT_PER_USER = 3;

for (const kind of DATABASE_KINDS) {
  describe(`bench data set on ${kind}`, () => {
    let world: SelfServiceWorld;
    before(async () => {
      world = await SelfServiceWorld.create(kind);
    });
    after(() => world.close());

    test('seeds users, credentials and audit rows in bulk; a seeded user is found by the users search and signs in with its derived key', async () => {
      const count = async (table: 'users' | 'credentials' | 'audit_events') =>
        Number(
          (
            await world.db
              .selectFrom(table)
              .select((eb) => eb.fn.countAll().as('n'))
              .executeTakeFirstOrThrow()
          ).n,
        );
      const before = { users: await count('users'), credentials: await count('credentials'), audit: await count('audit_events') };
      await seedDataSet({
        databaseUrl: world.server.config.databaseUrl,
        tenantId: 'acme',
        storeName: STORE,
        rpId: RP_ID,
        seed: 'test-seed',
        from: 0,
        to: USERS,
        auditPerUser: AUDIT_PER_USER,
      });
      assert.deepEqual(
        { users: await count('users'), credentials: await count('credentials'), audit: await count('audit_events') },
        { users: before.users + USERS, credentials: before.credentials + USERS, audit: before.audit + USERS * AUDIT_PER_USER },
      );
      if (kind === 'postgres') {
        // Ended as a restore would: the loaded tables vacuumed and analysed (so no autovacuum runs into the measurement).
        const { rows } = await sql<{ relname: string }>`
          select relname from pg_stat_user_tables
          where relname in ('users', 'credentials', 'audit_events') and last_vacuum is not null and last_analyze is not null
          order by relname`.execute(world.db);
        assert.deepEqual(
          rows.map((r) => r.relname),
          ['audit_events', 'credentials', 'users'],
        );
      }

      const user = seededUser('test-seed', 7);
      const browser = world.browser();
      const options = await expectStatus(browser.post('/login/webauthn/options', { identifier: user.identifier }), 200);
      assert.ok(options.body.publicKey.allowCredentials.some((d: { id: string }) => d.id === user.credentialId));
      const credential = {
        id: Buffer.from(user.credentialId, 'base64url'),
        key: seededKey('test-seed', user.keyIndex),
        userHandle: user.userHandle,
        counter: 0,
        counts: false,
      };
      const finished = await expectStatus(browser.post('/login/webauthn/finish', assertion(credential, options.body.publicKey, ORIGIN)), 200);
      assert.equal(typeof finished.body.idToken, 'string');
      const row = await world.db.selectFrom('users').select(['user_key', 'status']).where('user_key', '=', user.identifier).executeTakeFirstOrThrow();
      assert.equal(row.status, 'active');
      // The users search finds a seeded user (the seeder writes the search text as the server does).
      const found = await expectStatus(world.api.get(`${ADMIN}/users?q=${encodeURIComponent('SEEDED-7@BENCH')}`), 200);
      assert.deepEqual(
        found.body.items.map((u: { userKey: string }) => u.userKey),
        [user.identifier],
      );
    });
  });
}
