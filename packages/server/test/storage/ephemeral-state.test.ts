import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { sql } from 'kysely';
import { openDatabase } from '../../src/storage/database.ts';
import { EPHEMERAL_TABLES } from '../../src/storage/ephemeral-sqlite.ts';
import { DATABASE_KINDS, openMigratedDatabase } from '../support/databases.ts';

for (const kind of DATABASE_KINDS) {
  describe(`ephemeral state on ${kind}`, () => {
    test('ceremony sessions, flow bindings and rate-limit windows are kept where a commit does not wait for the disk', async () => {
      const { database, close } = await openMigratedDatabase(kind);
      try {
        if (kind === 'sqlite') {
          const main = (await sql<{ name: string }>`select name from main.sqlite_master where type = 'table'`.execute(database.db)).rows.map((r) => r.name);
          const ephemeral = (await sql<{ name: string }>`select name from ephemeral.sqlite_master where type = 'table'`.execute(database.db)).rows.map(
            (r) => r.name,
          );
          for (const table of EPHEMERAL_TABLES) {
            assert.ok(!main.includes(table), `${table} is not in the synced main file`);
            assert.ok(ephemeral.includes(table), `${table} is in the ephemeral file`);
          }
          const synchronous = (await sql<{ synchronous: number }>`PRAGMA ephemeral.synchronous`.execute(database.db)).rows[0]!.synchronous;
          assert.equal(synchronous, 0, 'synchronous=OFF');
        } else {
          const rows = (
            await sql<{
              relname: string;
              relpersistence: string;
            }>`select relname, relpersistence from pg_class where relname in ('ceremony_sessions', 'selfservice_flows', 'selfservice_rate_limits', 'audit_events')`.execute(
              database.db,
            )
          ).rows;
          assert.deepEqual(Object.fromEntries(rows.map((r) => [r.relname, r.relpersistence])), {
            ceremony_sessions: 'u',
            selfservice_flows: 'u',
            selfservice_rate_limits: 'u',
            audit_events: 'p',
          });
        }
      } finally {
        await close();
      }
    });

    if (kind === 'sqlite') {
      test('a restart on the same boot (process crash) keeps the ephemeral rows; the first open after another boot empties them', async () => {
        const { database, testDatabase, close } = await openMigratedDatabase(kind);
        try {
          await database.db.insertInto('selfservice_rate_limits').values({ key: 'k', window_start: 1, count: 3 }).execute();
          await database.close();
          const again = openDatabase(testDatabase.url);
          assert.equal((await again.db.selectFrom('selfservice_rate_limits').selectAll().execute()).length, 1, 'kept across a restart');
          await sql`update ephemeral.ephemeral_boot set boot_id = 'an earlier boot'`.execute(again.db);
          await again.close();
          const afterReboot = openDatabase(testDatabase.url);
          assert.equal((await afterReboot.db.selectFrom('selfservice_rate_limits').selectAll().execute()).length, 0, 'emptied after a reboot');
          await afterReboot.close();
        } finally {
          await close().catch(() => undefined);
          await testDatabase.drop();
        }
      });
    }
  });
}
