import { SqliteAdapter, sql, type Kysely } from 'kysely';

/**
 * Ceremony sessions, browser flow bindings and rate-limit windows live for seconds and need no disk flush.
 * - SQLite: they move to the ATTACHed `ephemeral` file (storage/ephemeral-sqlite.ts, synchronous=OFF); rows in flight
 *   are copied there and the main file's tables are dropped, so unqualified names resolve to the ephemeral ones.
 * - PostgreSQL: they become UNLOGGED. A transaction that writes only unlogged tables writes no WAL, so its commit does
 *   not wait for a flush (no per-statement `SET LOCAL synchronous_commit`, no extra statements). A transaction that
 *   also records an outcome (credential counter, browser session, audit event) writes WAL and commits durably as one.
 *   What survives: a Keyway process crash, everything; a PostgreSQL crash or failover to a replica, nothing (unlogged
 *   tables are emptied by crash recovery and not replicated): ceremonies in flight fail and rate-limit windows restart.
 */
const TABLES = ['ceremony_sessions', 'selfservice_flows', 'selfservice_rate_limits'] as const;

function isSqlite(db: Kysely<unknown>): boolean {
  return db.getExecutor().adapter instanceof SqliteAdapter;
}

export async function up(db: Kysely<unknown>): Promise<void> {
  if (isSqlite(db)) {
    for (const table of TABLES) {
      await sql`insert or ignore into ${sql.raw(`ephemeral.${table}`)} select * from ${sql.raw(`main.${table}`)}`.execute(db);
      await sql`drop table ${sql.raw(`main.${table}`)}`.execute(db);
    }
    return;
  }
  for (const table of TABLES) await sql`alter table ${sql.table(table)} set unlogged`.execute(db);
}
