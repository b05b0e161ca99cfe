// KEYWAY_AUDIT_RETENTION_DAYS bounds how long audit events are kept: the retention sweep deletes those created more
// than that many days ago (by the clock), in bounded statements, without auditing the deletion; 0, the default, keeps
// them for ever. On SQLite and PostgreSQL; the index the sweep uses (migration 042, on created_at) is checked for every
// rule by retention-indexes.test.ts.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { deleteExpiredBatch } from '../../src/retention/expired-rows.ts';
import { retentionRules } from '../../src/retention/retention-rules.ts';
import { RetentionSweeper, type SweepReport } from '../../src/retention/retention-sweeper.ts';
import { ManualClock } from '../../src/shared/clock.ts';
import { DatabaseLease } from '../../src/storage/database-lease.ts';
import type { Schema } from '../../src/storage/schema.ts';
import type { Kysely } from 'kysely';
import { DATABASE_KINDS } from '../support/databases.ts';
import { startTestServer, type TestServer } from '../support/test-server.ts';

const DAY_MS = 24 * 60 * 60 * 1000;

const event = (tenantId: string, id: string, createdAt: number) => ({
  id,
  tenant_id: tenantId,
  actor: 'anonymous',
  action: 'selfservice.signIn',
  target_type: 'user',
  target_id: null,
  outcome: 'success',
  details: JSON.stringify({ clientIp: '203.0.113.7' }),
  request_id: null,
  created_at: createdAt,
});

const ids = async (db: Kysely<Schema>, tenantId: string) =>
  (await db.selectFrom('audit_events').select('id').where('tenant_id', '=', tenantId).orderBy('id').execute()).map((row) => row.id);

for (const kind of DATABASE_KINDS) {
  describe(`audit events' retention on ${kind}`, () => {
    const clock = new ManualClock('2026-09-01T10:00:00Z');
    let server: TestServer;
    let keepForever: TestServer;

    before(async () => {
      server = await startTestServer({ kind, clock, env: { KEYWAY_AUDIT_RETENTION_DAYS: '30' } });
      keepForever = await startTestServer({ kind, clock });
    });
    after(async () => {
      await keepForever?.close();
      await server?.close();
    });

    test('at 30 days, events created more than 30 days ago go, the boundary one and newer stay; the sweep audits nothing', async () => {
      const db = server.database.db;
      const acme = await server.tenant('acme');
      assert.equal((await acme.api.post('/api/identity-store/stores', { name: 'customers' })).status, 201);
      const t = clock.now().getTime();
      await db
        .insertInto('audit_events')
        .values([
          event('t1', 'a-years-ago', t - 3 * 365 * DAY_MS),
          event('t1', 'b-just-too-old', t - 30 * DAY_MS - 1),
          event('t1', 'c-boundary', t - 30 * DAY_MS),
          event('t1', 'd-yesterday', t - DAY_MS),
          event('t1', 'e-now', t),
        ])
        .execute();
      const acmeEvents = (await ids(db, 'acme')).length;
      assert.ok(acmeEvents > 0, 'creating the tenant and the store wrote audit events');

      assert.deepEqual(await server.services.retention.sweep(), { audit_events: 2 });
      assert.deepEqual(await ids(db, 't1'), ['c-boundary', 'd-yesterday', 'e-now']);
      assert.equal((await ids(db, 'acme')).length, acmeEvents, 'no event was written about the deletion');
      assert.deepEqual(await server.services.retention.sweep(), {}, 'nothing more to delete');

      clock.advance(1);
      assert.deepEqual(await server.services.retention.sweep(), { audit_events: 1 }, 'one millisecond later');
      assert.deepEqual(await ids(db, 't1'), ['d-yesterday', 'e-now']);

      // 30 days and a millisecond after the store was created, its events (written through the API, by the clock) go too.
      clock.advance(30 * DAY_MS);
      const swept = await server.services.retention.sweep();
      assert.equal(swept.audit_events, acmeEvents + 2, JSON.stringify(swept));
      assert.deepEqual(await ids(db, 'acme'), []);
      assert.deepEqual(await ids(db, 't1'), []);
    });

    test('at 0, the default, no audit event goes, however old', async () => {
      assert.equal(keepForever.config.auditRetentionDays, 0);
      const db = keepForever.database.db;
      const t = clock.now().getTime();
      await db
        .insertInto('audit_events')
        .values([event('t0', 'a-epoch', 0), event('t0', 'b-century', t - 36_500 * DAY_MS), event('t0', 'c-now', t)])
        .execute();
      assert.equal((await keepForever.services.retention.sweep()).audit_events, undefined);
      assert.deepEqual(await ids(db, 't0'), ['a-epoch', 'b-century', 'c-now']);
    });

    test('a backlog goes in bounded statements, and a sweep that deleted something reports it once', async () => {
      const db = server.database.db;
      const t = clock.now().getTime();
      const old = Array.from({ length: 120 }, (_, i) => event('t2', `old-${String(i).padStart(3, '0')}`, t - 2 * DAY_MS - 1 - i));
      await db
        .insertInto('audit_events')
        .values([...old, event('t2', 'recent', t - DAY_MS)])
        .execute();
      const rule = retentionRules({ auditRetentionDays: 2 }).find((r) => r.table === 'audit_events')!;
      const batches = [];
      for (let i = 0; i < 4; i++) batches.push(await deleteExpiredBatch(db, rule, t, 50));
      assert.deepEqual(batches, [50, 50, 20, 0]);
      assert.deepEqual(await ids(db, 't2'), ['recent']);

      // The sweeper drains the same backlog in one sweep, 50 rows per statement, and says so in one report.
      await db.insertInto('audit_events').values(old).execute();
      const sweeper = new RetentionSweeper({
        db,
        clock,
        lease: new DatabaseLease({ db, clock, name: 'retention-audit-test', holder: 'test', ttlMs: 60_000 }),
        rules: [rule],
        batchSize: 50,
      });
      const reports: SweepReport[] = [];
      const reported = new Promise<void>((resolve) => {
        sweeper.start(5, (report) => {
          reports.push(report);
          resolve();
        });
      });
      await reported;
      // Later sweeps find nothing and report nothing.
      await new Promise((resolve) => setTimeout(resolve, 30));
      await sweeper.stop();
      assert.deepEqual(reports, [{ audit_events: 120 }]);
      assert.deepEqual(await ids(db, 't2'), ['recent']);
    });
  });
}
