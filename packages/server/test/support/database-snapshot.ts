import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import type { Database } from '../../src/storage/database.ts';

/** Every table's row count and a hash of its content (rows in a stable order), to assert "changes nothing". */
export type DatabaseSnapshot = Record<string, { rows: number; sha256: string }>;

async function tableNames(database: Database): Promise<string[]> {
  const query =
    database.dialect === 'sqlite'
      ? // the main file's tables and the ephemeral file's (ceremony sessions, flows, rate limits), minus its bookkeeping
        sql<{
          name: string;
        }>`select name from sqlite_master where type = 'table' and name not like 'sqlite_%' union select name from ephemeral.sqlite_master where type = 'table' and name not like 'sqlite_%' and name <> 'ephemeral_boot'`
      : sql<{ name: string }>`select table_name as name from information_schema.tables where table_schema = current_schema() and table_type = 'BASE TABLE'`;
  return (await query.execute(database.db)).rows.map((r) => r.name).sort();
}

/** A snapshot of every table except `except` (e.g. counters a request is meant to move, such as rate limits). */
export async function snapshotDatabase(
  database: Database,
  except: string[] = [],
  /** Rows left out of the snapshot (e.g. the audit events a refusal is meant to write) */
  ignoreRow: (table: string, row: Record<string, unknown>) => boolean = () => false,
): Promise<DatabaseSnapshot> {
  const snapshot: DatabaseSnapshot = {};
  for (const table of await tableNames(database)) {
    if (except.includes(table)) continue;
    const all = (await sql<Record<string, unknown>>`select * from ${sql.table(table)}`.execute(database.db)).rows;
    const rows = all.filter((row) => !ignoreRow(table, row));
    const lines = rows
      .map((row) =>
        JSON.stringify(row, (_key, value: unknown) =>
          typeof value === 'bigint' ? value.toString() : value instanceof Uint8Array ? Buffer.from(value).toString('base64') : value,
        ),
      )
      .sort();
    snapshot[table] = { rows: rows.length, sha256: createHash('sha256').update(lines.join('\n')).digest('hex') };
  }
  return snapshot;
}
