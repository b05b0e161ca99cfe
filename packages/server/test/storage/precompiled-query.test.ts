// Statements built once and run with new values (storage/precompiled-query.ts): the same rows as the query built each
// time, on both databases, and a builder that does anything but pass its values through is refused at its first run.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { sql } from 'kysely';
import { precompiled } from '../../src/storage/precompiled-query.ts';
import { DATABASE_KINDS, migratedDatabaseSuite } from '../support/databases.ts';

const tenantsCreatedBetween = precompiled((db, v: { from: number; to: number; limit: number }) =>
  db.selectFrom('tenants').select(['id', 'created_at']).where('created_at', '>=', v.from).where('created_at', '<', v.to).orderBy('id').limit(v.limit),
);
const insertTenant = precompiled((db, v: { id: string; createdAt: number }) => db.insertInto('tenants').values({ id: v.id, created_at: v.createdAt }));
const deleteTenant = precompiled((db, v: { id: string }) => db.deleteFrom('tenants').where('id', '=', v.id));

for (const kind of DATABASE_KINDS) {
  describe(`precompiled statements on ${kind}`, () => {
    const database = migratedDatabaseSuite(kind);

    test('each run binds its own values, in and out of transactions, and answers what the built query answers', async () => {
      const db = database();
      for (const [id, createdAt] of [
        ['pq-a', 10],
        ['pq-b', 20],
        ['pq-c', 30],
      ] as const)
        await insertTenant.execute(db, { id, createdAt });
      await db.transaction().execute(async (trx) => {
        await insertTenant.execute(trx, { id: 'pq-d', createdAt: 40 });
      });
      for (const range of [
        { from: 0, to: 100, limit: 10 },
        { from: 15, to: 35, limit: 10 },
        { from: 0, to: 100, limit: 2 },
        { from: 50, to: 60, limit: 10 },
      ]) {
        const built = await db
          .selectFrom('tenants')
          .select(['id', 'created_at'])
          .where('created_at', '>=', range.from)
          .where('created_at', '<', range.to)
          .where('id', 'like', 'pq-%')
          .orderBy('id')
          .limit(range.limit)
          .execute();
        const rows = (await tenantsCreatedBetween.rows(db, range)).filter((row) => row.id.startsWith('pq-'));
        assert.deepEqual(rows, built, JSON.stringify(range));
      }
      assert.deepEqual({ ...(await tenantsCreatedBetween.first(db, { from: 35, to: 45, limit: 1 })) }, { id: 'pq-d', created_at: 40 });
      assert.equal(await deleteTenant.run(db, { id: 'pq-b' }), 1);
      assert.equal(await deleteTenant.run(db, { id: 'pq-b' }), 0);
      assert.equal(await db.selectFrom('tenants').select('id').where('id', '=', 'pq-b').executeTakeFirst(), undefined);
    });

    test('a handle with plugins builds the statement every time, so each plugin sees each query', async () => {
      const db = database();
      const seen: string[] = [];
      const recording = db.withPlugin({
        transformQuery: (args) => {
          seen.push(args.node.kind);
          return args.node;
        },
        transformResult: async (args) => args.result,
      });
      await tenantsCreatedBetween.rows(recording, { from: 0, to: 1, limit: 1 });
      await tenantsCreatedBetween.rows(recording, { from: 0, to: 1, limit: 1 });
      assert.deepEqual(seen, ['SelectQueryNode', 'SelectQueryNode']);
    });

    test('a builder that changes a value, writes it into SQL or leaves it out is refused before anything runs', async () => {
      const db = database();
      const changes = precompiled((qb, v: { prefix: string }) => qb.selectFrom('tenants').select('id').where('id', 'like', `${v.prefix}%`));
      await assert.rejects(changes.rows(db, { prefix: 'pq' }), /changed one of its values/);
      const intoSql = precompiled((qb, v: { column: string }) => qb.selectFrom('tenants').select('id').where(sql.ref(v.column), '=', 'x'));
      await assert.rejects(intoSql.rows(db, { column: 'id' }), /must use each of its values/);
      const leavesOut = precompiled((qb, _v: { id: string; unused: string }) => qb.selectFrom('tenants').select('id').where('id', '=', 'x'));
      await assert.rejects(leavesOut.rows(db, { id: 'x', unused: 'y' }), /must use each of its values/);
      // A value missing at the first run or a later one is refused, not bound as undefined.
      const remove = precompiled((qb, v: { id: string }) => qb.deleteFrom('tenants').where('id', '=', v.id));
      await assert.rejects(remove.run(db, {} as { id: string }), /used a value it was not given/);
      assert.equal(await remove.run(db, { id: 'nobody' }), 0);
      await assert.rejects(remove.run(db, {} as { id: string }), /without its value id/);
    });
  });
}
