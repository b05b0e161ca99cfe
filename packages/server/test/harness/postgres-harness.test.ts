// Checks the test harness itself: scripts/run-tests.ts must provide a working throwaway PostgreSQL.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { createPostgresTestDatabase } from '../../../../scripts/test-support/postgres.ts';

test('throwaway PostgreSQL: create, use and drop a test database', async () => {
  const adminUrl = process.env.KEYWAY_TEST_POSTGRES_ADMIN_URL;
  assert.ok(adminUrl, 'KEYWAY_TEST_POSTGRES_ADMIN_URL is not set: run the tests with `npm test`');

  const db = await createPostgresTestDatabase(adminUrl);
  const name = new URL(db.url).pathname.slice(1);
  assert.match(name, /^keyway_test_[0-9a-f]+$/);

  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  try {
    const one = await client.query<{ one: number }>('select 1 as one');
    assert.equal(one.rows[0]?.one, 1);
    await client.query('create table harness_check (id int primary key, label text not null)');
    await client.query("insert into harness_check values (1, 'ok')");
    const rows = await client.query<{ label: string }>('select label from harness_check');
    assert.deepEqual(rows.rows, [{ label: 'ok' }]);
  } finally {
    await client.end();
  }

  await db.drop();
  await db.drop(); // idempotent

  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    const gone = await admin.query('select 1 from pg_database where datname = $1', [name]);
    assert.equal(gone.rowCount, 0);
  } finally {
    await admin.end();
  }
});
