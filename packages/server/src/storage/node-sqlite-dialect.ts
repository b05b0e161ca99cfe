import type { DatabaseSync, SQLInputValue, StatementSync } from 'node:sqlite';
import { SqliteAdapter, SqliteDialect, type DialectAdapter, type Driver, type QueryCompiler, type SqliteDialectConfig, type SqliteStatement } from 'kysely';
import { GroupCommitDriver, type SqliteWriter, type WalFlush } from './sqlite-group-commit.ts';
import { LiteralLimitSqliteQueryCompiler } from './sqlite-query-compiler.ts';

/**
 * Kysely's SqliteDialect speaks the better-sqlite3 interface; Node's built-in `node:sqlite`
 * differs only in taking parameters spread instead of as an array and in how a statement
 * reports whether it returns rows. This adapter bridges the two, so no native module is needed.
 */
function adapt(database: DatabaseSync): SqliteWriter {
  // Kysely prepares every query it runs; compiling the same SQL again costs a few percent of CPU on
  // hot paths. Prepared statements are cached by their text (bounded, oldest dropped first). Reuse is
  // safe: node:sqlite runs each all()/run() to completion synchronously. iterate() (streaming, not
  // used by Keyway) gets its own statement, since an open iterator would hold the shared one.
  const cache = new Map<string, { statement: StatementSync; reader: boolean }>();
  const prepared = (sqlText: string) => {
    let entry = cache.get(sqlText);
    if (entry === undefined) {
      const statement = database.prepare(sqlText);
      entry = { statement, reader: statement.columns().length > 0 };
      if (cache.size >= STATEMENT_CACHE_SIZE) cache.delete(cache.keys().next().value!);
      cache.set(sqlText, entry);
    }
    return entry;
  };
  const params = (parameters: ReadonlyArray<unknown>) => parameters as SQLInputValue[];
  return {
    get isTransaction() {
      return database.isTransaction;
    },
    close: () => {
      cache.clear();
      database.close();
    },
    prepare(sqlText: string): SqliteStatement {
      const { statement, reader } = prepared(sqlText);
      return {
        reader,
        all: (parameters) => statement.all(...params(parameters)),
        iterate: (parameters) => database.prepare(sqlText).iterate(...params(parameters)),
        run: (parameters) => statement.run(...params(parameters)),
      };
    },
  };
}

/**
 * Far more than a workload's own statements (a sign-in runs 20, a sign-up 30), so the hot ones are prepared once;
 * bounded because texts vary with list lengths (`in (?, ?, …)`) and with LIMIT values (sqlite-query-compiler.ts). A prepared statement holds some 4–10 KB of SQLite
 * memory (8 KB measured for a two-table join), so a full cache is about 4 MB per connection (two per database).
 */
const STATEMENT_CACHE_SIZE = 500;

/**
 * SQLite supports transactional DDL, so migrations run in one transaction like on PostgreSQL.
 * Transactions begin IMMEDIATE (GroupCommitDriver): the write lock is taken before anything is read. A second
 * node on the same file then waits (busy_timeout) instead of reading a stale snapshot and
 * failing on its first write — this is also what makes two nodes migrating at once safe.
 */
class NodeSqliteAdapter extends SqliteAdapter {
  override get supportsTransactionalDdl(): boolean {
    return true;
  }
}

class NodeSqliteDialect extends SqliteDialect {
  readonly #driver: GroupCommitDriver;
  constructor(driver: GroupCommitDriver, config: SqliteDialectConfig) {
    super(config);
    this.#driver = driver;
  }
  override createAdapter(): DialectAdapter {
    return new NodeSqliteAdapter();
  }
  override createDriver(): Driver {
    return this.#driver;
  }
  override createQueryCompiler(): QueryCompiler {
    return new LiteralLimitSqliteQueryCompiler();
  }
}

/** The dialect over a writing connection and, for a file, a reading one (see GroupCommitDriver). */
export function nodeSqliteDialect(connections: {
  writer: DatabaseSync;
  reader?: DatabaseSync | undefined;
  flushWal?: WalFlush | undefined;
  stuckMemberMs?: number | undefined;
}): {
  dialect: SqliteDialect;
  driver: GroupCommitDriver;
} {
  const writer = adapt(connections.writer);
  const driver = new GroupCommitDriver({ ...connections, writer, reader: connections.reader && adapt(connections.reader) });
  return { dialect: new NodeSqliteDialect(driver, { database: writer }), driver };
}
