// SQLite plans with a bound LIMIT's value and so compiles such a statement again each time it is bound
// (storage/sqlite-query-compiler.ts): on SQLite an integer LIMIT or OFFSET is written into the SQL text, anything else
// stays a parameter, PostgreSQL keeps parameters, and the rows are those the limit asks for.
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { sql } from 'kysely';
import { precompiled } from '../../src/storage/precompiled-query.ts';
import { DATABASE_KINDS, migratedDatabaseSuite } from '../support/databases.ts';

const firstTenants = precompiled((db, v: { prefix: string }) => db.selectFrom('tenants').select('id').where('id', 'like', v.prefix).orderBy('id').limit(2));

for (const kind of DATABASE_KINDS) {
  describe(`LIMIT and OFFSET on ${kind}`, () => {
    const database = migratedDatabaseSuite(kind);
    before(async () => {
      await database()
        .insertInto('tenants')
        .values(['lim-a', 'lim-b', 'lim-c', 'lim-d', 'lim-e'].map((id, index) => ({ id, created_at: index })))
        .execute();
    });

    test('an integer limit and offset are literals on SQLite, parameters on PostgreSQL', () => {
      const compiled = database().selectFrom('tenants').select('id').where('id', '=', 'x').limit(10).offset(20).compile();
      if (kind === 'sqlite') {
        assert.match(compiled.sql, / limit 10 offset 20$/);
        assert.deepEqual(compiled.parameters, ['x']);
      } else {
        assert.match(compiled.sql, / limit \$2 offset \$3$/);
        assert.deepEqual(compiled.parameters, ['x', 10, 20]);
      }
    });

    test('a limit that is not a safe integer stays a parameter (never SQL text)', () => {
      const db = database();
      for (const limit of [2 ** 53, 1.5, '10; drop table tenants'] as unknown as number[]) {
        const compiled = db.selectFrom('tenants').select('id').limit(limit).compile();
        assert.match(compiled.sql, / limit (\?|\$1)$/, String(limit));
        assert.deepEqual(compiled.parameters, [limit]);
      }
      const expression = db
        .selectFrom('tenants')
        .select('id')
        .limit(sql<number>`1 + 1`)
        .compile();
      assert.match(expression.sql, / limit 1 \+ 1$/);
    });

    test('pages answer the rows their limit and offset ask for, each statement run again with new values', async () => {
      const db = database();
      const page = (limit: number, offset: number) =>
        db.selectFrom('tenants').select('id').where('id', 'like', 'lim-%').orderBy('id').limit(limit).offset(offset).execute();
      for (let round = 0; round < 2; round++) {
        assert.deepEqual(
          (await page(2, 0)).map((row) => row.id),
          ['lim-a', 'lim-b'],
        );
        assert.deepEqual(
          (await page(2, 2)).map((row) => row.id),
          ['lim-c', 'lim-d'],
        );
        assert.deepEqual(
          (await page(3, 3)).map((row) => row.id),
          ['lim-d', 'lim-e'],
        );
        assert.deepEqual(
          (await page(1, 9)).map((row) => row.id),
          [],
        );
      }
      // A precompiled statement's constant limit is compiled into its text once; its values are still bound per run.
      assert.deepEqual(
        (await firstTenants.rows(db, { prefix: 'lim-%' })).map((row) => row.id),
        ['lim-a', 'lim-b'],
      );
      assert.deepEqual(
        (await firstTenants.rows(db, { prefix: 'lim-d%' })).map((row) => row.id),
        ['lim-d'],
      );
    });
  });
}
