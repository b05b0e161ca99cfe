import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { sql } from 'kysely';
import { relaxCommit } from '../../src/storage/relaxed-commit.ts';
import { isDatabaseUnavailable } from '../../src/storage/database-unavailable.ts';
import { WalFlushFailedError } from '../../src/storage/sqlite-group-commit.ts';
import { DATABASE_KINDS, openMigratedDatabase } from '../support/databases.ts';

function tenant(id: string) {
  return { id, created_at: 1 };
}

/**
 * A WAL flush the test completes (or fails) by hand once `hold()` is called (migrations run with flushes passing);
 * `started` resolves when the driver has asked for that many.
 */
class HeldFlush {
  calls = 0;
  #holding = false;
  #pending: { resolve(): void; reject(error: unknown): void }[] = [];
  #onCall: (() => void)[] = [];
  hold(): void {
    this.#holding = true;
  }
  readonly flush = (): Promise<void> => {
    if (!this.#holding) return Promise.resolve();
    this.calls++;
    const done = new Promise<void>((resolve, reject) => this.#pending.push({ resolve, reject }));
    for (const notify of this.#onCall.splice(0)) notify();
    return done;
  };
  /** Resolves once `count` flushes have been asked for in all. */
  async started(count: number): Promise<void> {
    while (this.calls < count) await new Promise<void>((resolve) => this.#onCall.push(resolve));
  }
  complete(): void {
    this.#pending.shift()!.resolve();
  }
  fail(error: Error): void {
    this.#pending.shift()!.reject(error);
  }
}

/** Tracks whether a promise has settled, without waiting for it. */
function track<T>(promise: Promise<T>): { readonly settled: boolean; promise: Promise<T> } {
  const state = { settled: false, promise };
  promise.then(
    () => (state.settled = true),
    () => (state.settled = true),
  );
  return state;
}

/** Lets every already-settled promise callback run. */
async function drain(): Promise<void> {
  await new Promise<void>((resolve) => setImmediate(resolve));
}

for (const kind of DATABASE_KINDS) {
  describe(`concurrent transactions on ${kind}`, () => {
    test('one failing transaction among 10 concurrent ones rolls back alone; the other 9 commit (on SQLite sharing WAL flushes)', async () => {
      const { database, close } = await openMigratedDatabase(kind);
      try {
        const before = database.groupCommit ? { ...database.groupCommit } : undefined;
        const ids = Array.from({ length: 10 }, (_, i) => `group-${i}`);
        const outcomes = await Promise.allSettled(
          ids.map((id, i) =>
            database.db.transaction().execute(async (trx) => {
              await trx.insertInto('tenants').values({ id, created_at: i }).execute();
              await trx
                .insertInto('audit_events')
                .values({
                  id: `audit-${id}`,
                  tenant_id: id,
                  actor: 'test',
                  action: 'tenant.create',
                  target_type: 'tenant',
                  target_id: id,
                  outcome: 'success',
                  details: null,
                  request_id: null,
                  created_at: i,
                })
                .execute();
              if (i === 4) throw new Error('this one fails after its writes');
            }),
          ),
        );
        assert.deepEqual(
          outcomes.map((o) => o.status),
          ids.map((_, i) => (i === 4 ? 'rejected' : 'fulfilled')),
        );
        const tenants = (await database.db.selectFrom('tenants').select('id').where('id', 'like', 'group-%').orderBy('id').execute()).map((r) => r.id);
        assert.deepEqual(
          tenants,
          ids.filter((_, i) => i !== 4),
        );
        const audit = (
          await database.db.selectFrom('audit_events').select('target_id').where('id', 'like', 'audit-group-%').orderBy('target_id').execute()
        ).map((r) => r.target_id);
        assert.deepEqual(audit, tenants, 'each transaction is all or nothing');
        if (kind === 'sqlite') {
          const stats = database.groupCommit!;
          assert.equal(stats.relaxed - before!.relaxed, 0);
          assert.equal(stats.durable - before!.durable, 9);
          assert.equal(stats.rolledBack - before!.rolledBack, 1);
          assert.ok(stats.flushes - before!.flushes < 9, `9 transactions shared WAL flushes: ${stats.flushes - before!.flushes} flushes`);
        }
      } finally {
        await close();
      }
    });
  });
}

describe('relaxed commits (relaxCommit)', () => {
  test('PostgreSQL: synchronous_commit is off for that transaction only', async () => {
    const { database, close } = await openMigratedDatabase('postgres');
    try {
      const setting = async (executor: typeof database.db) =>
        (await sql<{ setting: string }>`select current_setting('synchronous_commit') as setting`.execute(executor)).rows[0]!.setting;
      // (The throwaway test server runs with synchronous_commit off; production keeps PostgreSQL's default, on.)
      const before = await setting(database.db);
      const inside = await database.db.transaction().execute(async (trx) => {
        await sql`set local synchronous_commit = on`.execute(trx);
        assert.equal(await setting(trx), 'on');
        await relaxCommit(trx);
        await trx.insertInto('tenants').values(tenant('relaxed-pg')).execute();
        return setting(trx);
      });
      assert.equal(inside, 'off');
      assert.equal(await setting(database.db), before, 'only for that transaction');
      assert.equal((await database.db.selectFrom('tenants').select('id').where('id', '=', 'relaxed-pg').execute()).length, 1);
    } finally {
      await close();
    }
  });

  test('SQLite: answered without waiting for a flush; the next durable commit waits for one that carries both', async () => {
    const held = new HeldFlush();
    const { database, close } = await openMigratedDatabase('sqlite', { flushWal: held.flush });
    held.hold();
    try {
      await database.db.transaction().execute(async (trx) => {
        await relaxCommit(trx);
        await trx.insertInto('tenants').values(tenant('relaxed-1')).execute();
      });
      assert.equal(held.calls, 0);
      assert.equal(database.groupCommit!.relaxed, 1);
      // Outside a transaction it means nothing: this write still waits.
      await relaxCommit(database.db as never);
      const durable = track(database.db.insertInto('tenants').values(tenant('relaxed-2')).execute());
      await held.started(1);
      await drain();
      assert.equal(durable.settled, false);
      held.complete();
      await durable.promise;
    } finally {
      await close();
    }
  });
});

describe('SQLite: acknowledged only once on disk', () => {
  test('a commit is answered only after a WAL flush that started after it; commits during a flush ride on the next one', async () => {
    const held = new HeldFlush();
    const { database, close } = await openMigratedDatabase('sqlite', { flushWal: held.flush });
    held.hold();
    try {
      const first = track(database.db.transaction().execute((trx) => trx.insertInto('tenants').values(tenant('durable-1')).execute()));
      await held.started(1);
      await drain();
      assert.equal(first.settled, false, 'not answered while its flush runs');

      // Committed (a reader sees it) but not yet durable: the second commits during the first flush.
      const second = track(database.db.insertInto('tenants').values(tenant('durable-2')).execute());
      const third = track(database.db.transaction().execute((trx) => trx.insertInto('tenants').values(tenant('durable-3')).execute()));
      await drain();
      assert.equal((await database.db.selectFrom('tenants').select('id').where('id', 'like', 'durable-%').execute()).length, 3);
      assert.equal(held.calls, 1, 'one flush at a time');

      held.complete();
      await first.promise;
      await held.started(2);
      await drain();
      assert.equal(second.settled, false, 'a flush that started before its commit does not cover it');
      assert.equal(third.settled, false);
      held.complete();
      await Promise.all([second.promise, third.promise]);
      assert.equal(held.calls, 2, 'the two later commits shared one flush');
    } finally {
      await close();
    }
  });

  test('a transaction that writes only the ephemeral file waits for no flush; reads never do', async () => {
    const held = new HeldFlush();
    const { database, close } = await openMigratedDatabase('sqlite', { flushWal: held.flush });
    held.hold();
    try {
      await database.db.transaction().execute(async (trx) => {
        await trx.insertInto('selfservice_rate_limits').values({ key: 'k1', window_start: 1, count: 1 }).execute();
        await trx.updateTable('selfservice_rate_limits').set({ count: 2 }).where('key', '=', 'k1').execute();
      });
      await database.db.deleteFrom('selfservice_rate_limits').where('key', '=', 'k1').execute();
      await database.db.selectFrom('tenants').selectAll().execute();
      assert.equal(held.calls, 0);

      const mixed = track(
        database.db.transaction().execute(async (trx) => {
          await trx.insertInto('selfservice_rate_limits').values({ key: 'k2', window_start: 1, count: 1 }).execute();
          await trx.insertInto('tenants').values(tenant('mixed')).execute();
        }),
      );
      await held.started(1);
      held.complete();
      await mixed.promise;
    } finally {
      await close();
    }
  });

  test('a read outside a transaction never sees a transaction that holds the writer, and sees what committed before it', async () => {
    const { database, close } = await openMigratedDatabase('sqlite');
    try {
      await database.db.insertInto('tenants').values(tenant('committed')).execute();
      let readInside: string[] = [];
      let unblock!: () => void;
      const blocked = new Promise<void>((resolve) => (unblock = resolve));
      let entered!: () => void;
      const inside = new Promise<void>((resolve) => (entered = resolve));
      const open = database.db.transaction().execute(async (trx) => {
        await trx.insertInto('tenants').values(tenant('uncommitted')).execute();
        entered();
        await blocked;
      });
      await inside;
      // The writer is held by the open transaction: this read runs on the reading connection.
      readInside = (await database.db.selectFrom('tenants').select('id').where('id', 'in', ['committed', 'uncommitted']).execute()).map((row) => row.id);
      unblock();
      await open;
      // Nothing holds the writer now: the read runs there, and sees the commit.
      const readAfter = (await database.db.selectFrom('tenants').select('id').where('id', 'in', ['committed', 'uncommitted']).orderBy('id').execute()).map(
        (row) => row.id,
      );
      assert.deepEqual(readInside, ['committed']);
      assert.deepEqual(readAfter, ['committed', 'uncommitted']);
    } finally {
      await close();
    }
  });

  test('a failed flush refuses its writers and stops all later writes (503-class), reads still answer', async () => {
    const held = new HeldFlush();
    const { database, close } = await openMigratedDatabase('sqlite', { flushWal: held.flush });
    held.hold();
    try {
      const write = database.db.insertInto('tenants').values(tenant('lost')).execute();
      await held.started(1);
      held.fail(Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' }));
      await assert.rejects(write, WalFlushFailedError);
      const later = await database.db
        .transaction()
        .execute((trx) => trx.insertInto('tenants').values(tenant('after')).execute())
        .then(
          () => undefined,
          (error: unknown) => error,
        );
      assert.ok(later instanceof WalFlushFailedError, 'later writes are refused');
      assert.ok(isDatabaseUnavailable(later), 'answered as 503 database unavailable');
      assert.equal(held.calls, 1, 'no flush is tried again');
      assert.deepEqual((await database.db.selectFrom('tenants').select('id').where('id', '=', 'after').execute()).length, 0);
    } finally {
      await close();
    }
  });
});
