import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { sql, type Kysely } from 'kysely';
import type { Schema } from '../../src/storage/schema.ts';
import { relaxCommit } from '../../src/storage/relaxed-commit.ts';
import { declareSmallTransaction, inSmallTransaction } from '../../src/storage/small-transaction.ts';
import { isDatabaseUnavailable } from '../../src/storage/database-unavailable.ts';
import { GroupCommitFailedError, WalFlushFailedError, type GroupCommitStats } from '../../src/storage/sqlite-group-commit.ts';
import { openDatabase } from '../../src/storage/database.ts';
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

/**
 * A transaction that inserts tenant `id` and then holds its connection (on SQLite, the writer) until `release()`;
 * `inside` resolves once it has written, `done` when it has ended.
 */
function heldTransaction(db: Kysely<Schema>, id: string): { inside: Promise<void>; release(): void; done: Promise<void> } {
  const inside = Promise.withResolvers<void>();
  const gate = Promise.withResolvers<void>();
  const done = db.transaction().execute(async (trx) => {
    await trx.insertInto('tenants').values(tenant(id)).execute();
    inside.resolve();
    await gate.promise;
  });
  return { inside: inside.promise, release: gate.resolve, done };
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
      const open = heldTransaction(database.db, 'uncommitted');
      await open.inside;
      // The writer is held by the open transaction: this read runs on the reading connection.
      const readInside = (await database.db.selectFrom('tenants').select('id').where('id', 'in', ['committed', 'uncommitted']).execute()).map((row) => row.id);
      open.release();
      await open.done;
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

describe('SQLite: small transactions keep their savepoint journal in memory', () => {
  /** How much each group-commit count grew since `before`. */
  const growth = (now: GroupCommitStats, before: GroupCommitStats) =>
    Object.fromEntries(Object.entries(now).map(([name, count]) => [name, count - before[name as keyof GroupCommitStats]])) as unknown as GroupCommitStats;
  const ids = async (db: Kysely<Schema>, prefix: string) =>
    (await db.selectFrom('tenants').select('id').where('id', 'like', `${prefix}%`).orderBy('id').execute()).map((row) => row.id);

  test('small transactions share a group of their own; one that changed 100 pages and failed rolls back alone', async () => {
    const { database, close } = await openMigratedDatabase('sqlite');
    try {
      // ~100 pages of rows: one transaction's undo copies well beyond the 64 KiB SQLite keeps in memory by itself.
      await sql`create table test_pages (id integer primary key, body text not null)`.execute(database.db);
      await sql`with recursive n(i) as (select 1 union all select i + 1 from n where i < 1000) insert into test_pages (body) select printf('%.300c', 'a') from n`.execute(
        database.db,
      );
      const before = { ...database.groupCommit! };
      let tempStoreInside: unknown;
      const outcomes = await Promise.allSettled([
        inSmallTransaction(database.db, async (trx) => {
          await trx.insertInto('tenants').values(tenant('small-1')).execute();
          // Sorts and temporary indexes of the group still go to files: only the savepoint journal is in memory.
          tempStoreInside = (await sql<{ temp_store: number }>`pragma temp_store`.execute(trx)).rows[0]?.temp_store;
        }),
        inSmallTransaction(database.db, async (trx) => {
          await trx.insertInto('tenants').values(tenant('small-failing')).execute();
          await sql`update test_pages set body = printf('%.300c', 'b')`.execute(trx);
          throw new Error('fails after changing every page of test_pages');
        }),
        inSmallTransaction(database.db, async (trx) => {
          await trx.insertInto('tenants').values(tenant('small-2')).execute();
        }),
      ]);
      assert.deepEqual(
        outcomes.map((o) => o.status),
        ['fulfilled', 'rejected', 'fulfilled'],
      );
      assert.deepEqual(await ids(database.db, 'small-'), ['small-1', 'small-2']);
      const bodies = (await sql<{ n: number; body: string }>`select count(*) as n, min(body) as body from test_pages`.execute(database.db)).rows[0]!;
      assert.deepEqual(
        { n: bodies.n, first: bodies.body[0], length: bodies.body.length },
        { n: 1000, first: 'a', length: 300 },
        'the failed one is undone from memory',
      );
      assert.equal(tempStoreInside, 0, 'temp_store is back to its default while the group is open');
      // One COMMIT, of a group of small transactions.
      const { groups, smallGroups, rolledBack, durable } = growth(database.groupCommit!, before);
      assert.deepEqual({ groups, smallGroups, rolledBack, durable }, { groups: 1, smallGroups: 1, rolledBack: 1, durable: 2 });
    } finally {
      await close();
    }
  });

  test('a transaction that does not declare itself small never joins their group: the open group commits first, and the next small one opens another', async () => {
    const { database, close } = await openMigratedDatabase('sqlite');
    try {
      const before = { ...database.groupCommit! };
      const small = (id: string) => inSmallTransaction(database.db, (trx) => trx.insertInto('tenants').values(tenant(id)).execute());
      await Promise.all([
        small('mixed-1'),
        database.db.transaction().execute((trx) => trx.insertInto('tenants').values(tenant('mixed-2')).execute()),
        // A write outside a transaction is a transaction of its own, and not a small one either.
        database.db.insertInto('tenants').values(tenant('mixed-3')).execute(),
        small('mixed-4'),
        small('mixed-5'),
      ]);
      assert.deepEqual(await ids(database.db, 'mixed-'), ['mixed-1', 'mixed-2', 'mixed-3', 'mixed-4', 'mixed-5']);
      // Groups: the first small one | the two others | the two small ones after them. Each transaction is answered
      // after the flush that follows its own COMMIT.
      const { groups, smallGroups, transactions, durable } = growth(database.groupCommit!, before);
      assert.deepEqual({ groups, smallGroups, transactions, durable }, { groups: 3, smallGroups: 2, transactions: 5, durable: 5 });
    } finally {
      await close();
    }
  });

  test('only a first statement declares: later, or outside a transaction, the declaration changes nothing', async () => {
    const { database, close } = await openMigratedDatabase('sqlite');
    try {
      const before = { ...database.groupCommit! };
      await declareSmallTransaction(database.db);
      await database.db.transaction().execute(async (trx) => {
        await trx.insertInto('tenants').values(tenant('late-1')).execute();
        await declareSmallTransaction(trx);
        await trx.insertInto('tenants').values(tenant('late-2')).execute();
      });
      assert.deepEqual(await ids(database.db, 'late-'), ['late-1', 'late-2']);
      assert.equal(database.groupCommit!.groups - before.groups, 1);
      assert.equal(database.groupCommit!.smallGroups - before.smallGroups, 0);
      // A transaction that runs no statement has nothing to commit and holds nothing afterwards.
      await database.db.transaction().execute(async (trx) => declareSmallTransaction(trx));
      await database.db.transaction().execute((trx) => trx.insertInto('tenants').values(tenant('late-3')).execute());
      assert.deepEqual(await ids(database.db, 'late-3'), ['late-3']);
    } finally {
      await close();
    }
  });
});

describe('SQLite: transactions of one loop turn share one COMMIT', () => {
  const tenantIds = async (db: Kysely<Schema>, prefix: string) =>
    (await db.selectFrom('tenants').select('id').where('id', 'like', `${prefix}%`).orderBy('id').execute()).map((row) => row.id);

  test('ten transactions begun together commit once, and each is answered only once another node sees it', async () => {
    const { database, testDatabase, close } = await openMigratedDatabase('sqlite');
    const otherNode = openDatabase(testDatabase.url);
    try {
      const before = { ...database.groupCommit! };
      const ids = Array.from({ length: 10 }, (_, i) => `shared-${i}`);
      const seenByOtherNode = await Promise.all(
        ids.map(async (id) => {
          await database.db.transaction().execute((trx) => trx.insertInto('tenants').values(tenant(id)).execute());
          return (await tenantIds(otherNode.db, id)).length;
        }),
      );
      assert.deepEqual(seenByOtherNode, Array(10).fill(1), 'every acknowledged transaction is visible to another connection');
      assert.equal(database.groupCommit!.transactions - before.transactions, 10);
      assert.equal(database.groupCommit!.groups - before.groups, 1, 'one COMMIT carried all ten');
      assert.equal(database.groupCommit!.durable - before.durable, 10);
    } finally {
      await otherNode.close();
      await close();
    }
  });

  test('a group whose COMMIT fails refuses every transaction in it and keeps none of their writes; the next group commits', async () => {
    const { database, close } = await openMigratedDatabase('sqlite');
    try {
      await sql`create table test_parent (id text primary key)`.execute(database.db);
      await sql`create table test_child (id text primary key, parent_id text references test_parent (id))`.execute(database.db);
      const outcomes = await Promise.allSettled([
        database.db.transaction().execute((trx) => trx.insertInto('tenants').values(tenant('doomed-1')).execute()),
        database.db.transaction().execute(async (trx) => {
          // A deferred foreign key is checked at COMMIT: the device that makes this group's COMMIT fail.
          await sql`pragma defer_foreign_keys = on`.execute(trx);
          await sql`insert into test_child (id, parent_id) values ('orphan', 'missing')`.execute(trx);
        }),
        database.db.transaction().execute((trx) => trx.insertInto('tenants').values(tenant('doomed-2')).execute()),
      ]);
      assert.deepEqual(
        outcomes.map((outcome) => (outcome.status === 'rejected' ? (outcome.reason as Error).name : 'fulfilled')),
        ['GroupCommitFailedError', 'GroupCommitFailedError', 'GroupCommitFailedError'],
      );
      assert.ok(outcomes.every((outcome) => outcome.status === 'rejected' && outcome.reason instanceof GroupCommitFailedError));
      assert.ok(isDatabaseUnavailable((outcomes[0] as PromiseRejectedResult).reason), 'answered 503: trying again works');
      assert.deepEqual(await tenantIds(database.db, 'doomed-'), []);
      assert.deepEqual((await sql<{ id: string }>`select id from test_child`.execute(database.db)).rows, []);
      await database.db.transaction().execute((trx) => trx.insertInto('tenants').values(tenant('after-failed-group')).execute());
      assert.deepEqual(await tenantIds(database.db, 'after-failed-group'), ['after-failed-group']);
    } finally {
      await close();
    }
  });

  test('when SQLite ends the whole transaction under one member, the members committed before it in that group are refused too', async () => {
    const { database, close } = await openMigratedDatabase('sqlite');
    try {
      const outcomes = await Promise.allSettled([
        database.db.transaction().execute((trx) => trx.insertInto('tenants').values(tenant('undone-1')).execute()),
        database.db.transaction().execute(async (trx) => {
          await trx.insertInto('tenants').values(tenant('undone-2')).execute();
          // What a hard error (a full disk, an I/O error) may do inside a transaction: SQLite rolls all of it back.
          await sql`rollback`.execute(trx);
          // Refused: run now, it would commit on its own (autocommit).
          await trx.insertInto('tenants').values(tenant('undone-3')).execute();
        }),
      ]);
      assert.equal(outcomes[0].status, 'rejected');
      assert.ok((outcomes[0] as PromiseRejectedResult).reason instanceof GroupCommitFailedError);
      assert.equal(outcomes[1].status, 'rejected');
      assert.ok((outcomes[1] as PromiseRejectedResult).reason instanceof GroupCommitFailedError);
      assert.deepEqual(await tenantIds(database.db, 'undone-'), []);
      await database.db.insertInto('tenants').values(tenant('undone-then-fine')).execute();
      assert.deepEqual(await tenantIds(database.db, 'undone-then-fine'), ['undone-then-fine']);
    } finally {
      await close();
    }
  });

  test('a transaction that waits for one committed before it in its group is refused with it, after a bound, instead of hanging', async () => {
    const { database, close } = await openMigratedDatabase('sqlite', { stuckMemberMs: 50 });
    try {
      let entered!: () => void;
      const inFirst = new Promise<void>((resolve) => (entered = resolve));
      // Released into the open group: answered only once the group commits.
      const first = database.db.transaction().execute(async (trx) => {
        await trx.insertInto('tenants').values(tenant('stuck-1')).execute();
        entered();
      });
      await inFirst;
      // Holds the writer while it waits for `first`, which waits for this one to end: a deadlock, which the bound breaks.
      const second = database.db.transaction().execute(async (trx) => {
        await trx.insertInto('tenants').values(tenant('stuck-2')).execute();
        await first;
        await trx.insertInto('tenants').values(tenant('stuck-3')).execute();
      });
      const outcomes = await Promise.allSettled([first, second]);
      assert.ok(outcomes.every((outcome) => outcome.status === 'rejected' && outcome.reason instanceof GroupCommitFailedError));
      assert.deepEqual(await tenantIds(database.db, 'stuck-'), []);
      await database.db.insertInto('tenants').values(tenant('unstuck')).execute();
      assert.deepEqual(await tenantIds(database.db, 'unstuck'), ['unstuck']);
    } finally {
      await close();
    }
  });

  test('a transaction whose group commits after a flush failed is refused, not left waiting', async () => {
    const held = new HeldFlush();
    const { database, close } = await openMigratedDatabase('sqlite', { flushWal: held.flush });
    held.hold();
    try {
      const first = database.db.insertInto('tenants').values(tenant('before-failure')).execute();
      await held.started(1);
      // Begun while the flush runs, committed after it failed.
      const second = heldTransaction(database.db, 'during-failure');
      await second.inside;
      held.fail(Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' }));
      await assert.rejects(first, WalFlushFailedError);
      second.release();
      await assert.rejects(second.done, WalFlushFailedError);
    } finally {
      await close();
    }
  });

  test("waiting for another node's write lock leaves this node's event loop running", async () => {
    const { database, testDatabase, close } = await openMigratedDatabase('sqlite');
    const otherNode = openDatabase(testDatabase.url);
    try {
      // The other node holds the write lock across an await.
      const other = heldTransaction(otherNode.db, 'other-node');
      await other.inside;
      const waiting = track(database.db.insertInto('tenants').values(tenant('this-node')).execute());
      // Timers still fire while this node waits (SQLite's own busy handler would sleep on the thread).
      for (let i = 0; i < 5; i++) await new Promise((resolve) => setTimeout(resolve, 5));
      assert.equal(waiting.settled, false, 'still waiting for the lock');
      other.release();
      await other.done;
      await waiting.promise;
      assert.deepEqual(await tenantIds(database.db, 'other-node'), ['other-node']);
      assert.deepEqual(await tenantIds(database.db, 'this-node'), ['this-node']);
    } finally {
      await otherNode.close();
      await close();
    }
  });
});
