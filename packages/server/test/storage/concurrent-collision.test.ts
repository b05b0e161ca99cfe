// A transaction that collides with a concurrent one (a PostgreSQL deadlock, a foreign key whose parent was just
// deleted) is undone whole by the database: the caller gets 503 with Retry-After and the problem's code, never a 500.
// The errors here are the engines' own, raised by real transactions.
import assert from 'node:assert/strict';
import type { FastifyRequest } from 'fastify';
import { describe, test } from 'node:test';
import { problemFor } from '../../src/http/problem-gate.ts';
import { isConcurrentCollision } from '../../src/storage/concurrent-collision.ts';
import { DATABASE_KINDS, migratedDatabaseSuite } from '../support/databases.ts';

/** What problemFor reads of a request: its id, and a logger that records the levels it was called at. */
function requestRecordingLogs(levels: string[]): FastifyRequest {
  const log = { warn: () => levels.push('warn'), error: () => levels.push('error') };
  return { id: 'req-1', log } as unknown as FastifyRequest;
}

async function thrown(work: Promise<unknown>): Promise<unknown> {
  try {
    await work;
  } catch (error) {
    return error;
  }
  assert.fail('the database accepted the statement');
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((done) => (resolve = done));
  return { promise, resolve };
}

for (const kind of DATABASE_KINDS) {
  describe(`collisions with concurrent transactions on ${kind}`, () => {
    const db = migratedDatabaseSuite(kind);

    test('a row referring to a parent that is gone (deleted concurrently) answers 503 with Retry-After, logged as a warning', async () => {
      const error = await thrown(
        db().insertInto('stores').values({ id: 's-orphan', tenant_id: 'no-such-tenant', name: 'x', created_at: 1, updated_at: 1 }).execute(),
      );
      assert.equal(isConcurrentCollision(error), true);
      const levels: string[] = [];
      const answer = problemFor(error, requestRecordingLogs(levels));
      assert.equal(answer.status, 503);
      assert.equal(answer.body.code, 'SERVICE_UNAVAILABLE');
      assert.equal(answer.headers?.['retry-after'], '1');
      assert.doesNotMatch(JSON.stringify(answer.body), /stores|tenant_id|constraint|foreign/i, 'no SQL in the answer');
      assert.deepEqual(levels, ['warn']);
    });

    test('other database errors stay internal errors (500), logged as errors', async () => {
      const error = await thrown(
        db()
          .insertInto('tenants')
          .values({ id: 'dup', created_at: 1 })
          .execute()
          .then(() => db().insertInto('tenants').values({ id: 'dup', created_at: 1 }).execute()),
      );
      assert.equal(isConcurrentCollision(error), false);
      const levels: string[] = [];
      assert.equal(problemFor(error, requestRecordingLogs(levels)).status, 500);
      assert.deepEqual(levels, ['error']);
    });

    if (kind === 'postgres') {
      test('of two transactions locking two rows in opposite orders, the one PostgreSQL fails (40P01) answers 503', async () => {
        await db()
          .insertInto('tenants')
          .values([
            { id: 'lock-a', created_at: 1 },
            { id: 'lock-b', created_at: 1 },
          ])
          .execute();
        const firstHolds = deferred();
        const secondHolds = deferred();
        const take = (first: string, second: string, holding: ReturnType<typeof deferred>, other: ReturnType<typeof deferred>) =>
          db()
            .transaction()
            .execute(async (trx) => {
              await trx.updateTable('tenants').set({ created_at: 2 }).where('id', '=', first).execute();
              holding.resolve();
              await other.promise;
              await trx.updateTable('tenants').set({ created_at: 2 }).where('id', '=', second).execute();
            });
        const outcomes = await Promise.allSettled([take('lock-a', 'lock-b', firstHolds, secondHolds), take('lock-b', 'lock-a', secondHolds, firstHolds)]);
        const failed = outcomes.filter((outcome) => outcome.status === 'rejected');
        assert.equal(failed.length, 1, 'PostgreSQL breaks the deadlock by failing one of the two');
        const error = (failed[0] as PromiseRejectedResult).reason as { code?: string };
        assert.equal(error.code, '40P01');
        const answer = problemFor(error, requestRecordingLogs([]));
        assert.equal(answer.status, 503);
        assert.equal(answer.headers?.['retry-after'], '1');
      });
    }
  });
}
