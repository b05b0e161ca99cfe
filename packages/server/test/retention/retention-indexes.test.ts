// Each retention rule chooses its rows through an index that leads with the rule's expiry column, on both databases:
// without one, every minute's sweep would read the whole table inside its write transaction (migration 032 added the
// missing one, for given-up e-mails).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { sql } from 'kysely';
import { retentionRules } from '../../src/retention/retention-rules.ts';
import { DATABASE_KINDS, migratedDatabaseSuite } from '../support/databases.ts';

for (const kind of DATABASE_KINDS) {
  describe(`retention rules' indexes on ${kind}`, () => {
    const database = migratedDatabaseSuite(kind);

    test('every rule’s expiry column leads an index of its table', async () => {
      const db = database();
      // With audit events' retention on, so that its rule (created_at, migration 042) is checked too.
      for (const rule of retentionRules({ auditRetentionDays: 1 })) {
        const label = `${rule.table}.${rule.expiry}`;
        if (kind === 'sqlite') {
          // The plan of the statement the sweeper runs: a search through an index, never a scan of the table.
          const plan = await sql<{ detail: string }>`explain query plan select ${sql.join(rule.key.map((c) => sql.ref(c)))} from ${sql.table(
            rule.table,
          )} where ${sql.ref(rule.expiry)} < ${0} limit 1000`.execute(db);
          const details = plan.rows.map((row) => row.detail);
          assert.ok(
            details.some((detail) => new RegExp(`^SEARCH ${rule.table} USING (COVERING )?INDEX \\S+ \\(${rule.expiry}<\\?\\)`).test(detail)),
            `${label}: ${details.join('; ')}`,
          );
        } else {
          const leading = await sql<{ column: string }>`
            select a.attname as "column" from pg_index i
            join pg_class t on t.oid = i.indrelid
            join pg_attribute a on a.attrelid = t.oid and a.attnum = i.indkey[0]
            where t.relname = ${rule.table} and t.relnamespace = current_schema()::regnamespace`.execute(db);
          assert.ok(
            leading.rows.some((row) => row.column === rule.expiry),
            `${label}: indexes lead with ${leading.rows.map((r) => r.column).join(', ')}`,
          );
        }
      }
    });
  });
}
