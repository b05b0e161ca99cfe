// The retention sweeper on both databases, two nodes sharing one: each rule deletes exactly the rows past their expiry
// plus the rule's keep (the boundary row and rows without an expiry stay), a backlog goes in bounded statements until
// done, and one node at a time sweeps (the database lease). Domain suites check their own tables through the sweep
// (ceremony sessions, abandoned sign-ups, e-mails).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { RATE_LIMIT_WINDOW_MS } from '../../src/http/rate-limiter.ts';
import { deleteExpiredBatch, type RetentionRule } from '../../src/retention/expired-rows.ts';
import { RETENTION_RULES } from '../../src/retention/retention-rules.ts';
import { RetentionSweeper } from '../../src/retention/retention-sweeper.ts';
import { ManualClock } from '../../src/shared/clock.ts';
import { DatabaseLease } from '../../src/storage/database-lease.ts';
import { DATABASE_KINDS } from '../support/databases.ts';
import { startTestServer, type TestServer } from '../support/test-server.ts';

const DAY_MS = 24 * 60 * 60 * 1000;
const rule = (table: string): RetentionRule => RETENTION_RULES.find((r) => r.table === table)!;

for (const kind of DATABASE_KINDS) {
  describe(`retention sweeper on two nodes sharing one ${kind} database`, () => {
    const clock = new ManualClock('2026-09-01T10:00:00Z');
    let nodeA: TestServer;
    let nodeB: TestServer;

    before(async () => {
      nodeA = await startTestServer({ kind, clock });
      nodeB = await startTestServer({ kind, clock, databaseUrl: nodeA.config.databaseUrl });
    });
    after(async () => {
      await nodeB?.close();
      await nodeA?.close();
    });

    const db = () => nodeA.database.db;
    const now = () => clock.now().getTime();
    const keys = async (table: 'selfservice_rate_limits' | 'selfservice_used_challenges' | 'oidc_state') =>
      table === 'selfservice_rate_limits'
        ? (await db().selectFrom(table).select('key').orderBy('key').execute()).map((r) => r.key)
        : table === 'selfservice_used_challenges'
          ? (await db().selectFrom(table).select('challenge').orderBy('challenge').execute()).map((r) => r.challenge)
          : (await db().selectFrom(table).select('id').orderBy('id').execute()).map((r) => r.id);

    test('each rule deletes the rows past expiry + keep; the boundary row and rows without an expiry stay', async () => {
      const t = now();
      const window = (start: number) => ({ window_start: start, count: 1 });
      await db()
        .insertInto('selfservice_rate_limits')
        .values([
          { key: 'spent', ...window(t - 2 * RATE_LIMIT_WINDOW_MS - 1) },
          { key: 'boundary', ...window(t - 2 * RATE_LIMIT_WINDOW_MS) },
          { key: 'previous', ...window(t - RATE_LIMIT_WINDOW_MS) },
        ])
        .execute();
      await db()
        .insertInto('selfservice_used_challenges')
        .values([
          { tenant_id: 'acme', challenge: 'expired', expires_at: t - 1 },
          { tenant_id: 'acme', challenge: 'valid', expires_at: t },
          // The same challenge text in another tenant is another row (composite key): only the expired one goes.
          { tenant_id: 'other', challenge: 'expired-too', expires_at: t - 1 },
        ])
        .execute();
      const oidc = (id: string, expiresAt: number | null) => ({ tenant_id: 'acme', model: 'Session', id, payload: '{}', expires_at: expiresAt });
      await db()
        .insertInto('oidc_state')
        .values([oidc('old', t - DAY_MS - 1), oidc('yesterday', t - DAY_MS), oidc('no-expiry', null)])
        .execute();

      const swept = await nodeA.services.retention.sweep();
      assert.deepEqual(swept, { selfservice_rate_limits: 1, selfservice_used_challenges: 2, oidc_state: 1 });
      assert.deepEqual(await keys('selfservice_rate_limits'), ['boundary', 'previous']);
      assert.deepEqual(await keys('selfservice_used_challenges'), ['valid']);
      assert.deepEqual(await keys('oidc_state'), ['no-expiry', 'yesterday']);
      assert.deepEqual(await nodeA.services.retention.sweep(), {}, 'nothing more to delete');

      clock.advance(1);
      assert.deepEqual(
        await nodeA.services.retention.sweep(),
        { selfservice_rate_limits: 1, selfservice_used_challenges: 1, oidc_state: 1 },
        'one millisecond later',
      );
      assert.deepEqual(await keys('oidc_state'), ['no-expiry']);
    });

    test('a backlog goes in bounded statements: at most the batch size each, until one comes back short', async () => {
      const t = now();
      const expired = Array.from({ length: 120 }, (_, i) => ({ tenant_id: 'acme', challenge: `backlog-${String(i).padStart(3, '0')}`, expires_at: t - 1 - i }));
      await db().insertInto('selfservice_used_challenges').values(expired).execute();
      await db()
        .insertInto('selfservice_used_challenges')
        .values({ tenant_id: 'acme', challenge: 'fresh', expires_at: t + 60_000 })
        .execute();
      const used = rule('selfservice_used_challenges');
      const batches = [];
      for (let i = 0; i < 4; i++) batches.push(await deleteExpiredBatch(db(), used, t, 50));
      assert.deepEqual(batches, [50, 50, 20, 0]);
      assert.deepEqual(await keys('selfservice_used_challenges'), ['fresh']);

      // The sweeper drains the same backlog in one sweep, 50 rows per statement.
      await db().insertInto('selfservice_used_challenges').values(expired).execute();
      const sweeper = new RetentionSweeper({
        db: db(),
        clock,
        lease: new DatabaseLease({ db: db(), clock, name: 'retention-test', holder: 'test', ttlMs: 60_000 }),
        rules: [used],
        batchSize: 50,
      });
      assert.deepEqual(await sweeper.sweep(), { selfservice_used_challenges: 120 });
      assert.deepEqual(await keys('selfservice_used_challenges'), ['fresh']);
    });

    test('two nodes sweep at once: exactly one holds the lease and deletes; the other deletes nothing', async () => {
      const t = now();
      await db()
        .insertInto('selfservice_rate_limits')
        .values([
          { key: 'two-nodes-1', window_start: t - DAY_MS, count: 3 },
          { key: 'two-nodes-2', window_start: t - DAY_MS, count: 3 },
        ])
        .execute();
      const reports = await Promise.all([nodeA.services.retention.sweep(), nodeB.services.retention.sweep()]);
      const deleting = reports.filter((r) => Object.keys(r).length > 0);
      assert.equal(deleting.length, 1, JSON.stringify(reports));
      assert.deepEqual(deleting[0], { selfservice_rate_limits: 2 });
      assert.ok(!(await keys('selfservice_rate_limits')).some((k) => k.startsWith('two-nodes')));
    });
  });
}
