import { mkdirSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { Kysely, PostgresDialect, sql, type Dialect } from 'kysely';
import type pg from 'pg';
import { attachEphemeral, attachEphemeralForReading } from './ephemeral-sqlite.ts';
import { nodeSqliteDialect } from './node-sqlite-dialect.ts';
import type { GroupCommitStats, WalFlush } from './sqlite-group-commit.ts';
import type { Schema } from './schema.ts';
import { countingDialect, type StatementCounter } from './statement-counter.ts';

export type DialectName = 'sqlite' | 'postgres';

/** An open database: the Kysely handle plus what differs between the two engines. */
export interface Database {
  db: Kysely<Schema>;
  dialect: DialectName;
  /** Whether the engine is reachable right now (for /readyz). */
  ping(): Promise<void>;
  close(): Promise<void>;
  /** SQLite only: how many WAL flushes carried how many transactions (group commit; for tests and benchmarks) */
  groupCommit?: GroupCommitStats;
}

const INT8_OID = 20;

export interface OpenDatabaseOptions {
  /** Counts every SQL statement and commit (tests and benchmarks); absent, nothing is wrapped. */
  statementCounter?: StatementCounter;
  /** SQLite: replaces the WAL flush (tests hold or fail it to see what waits for the disk) */
  flushWal?: WalFlush;
  /** SQLite: how long a group commit waits for a transaction that holds the writer before giving the group up (tests shorten it) */
  stuckMemberMs?: number;
}

function withOptions(dialect: Dialect, options: OpenDatabaseOptions): Dialect {
  return options.statementCounter ? countingDialect(dialect, options.statementCounter) : dialect;
}

/** fdatasync of the main file's WAL, on libuv's thread pool. The file exists once the connection has written. */
function walFlusher(walFile: string): { flush: WalFlush; close(): Promise<void> } {
  let handle: FileHandle | undefined;
  return {
    flush: async () => {
      handle ??= await open(walFile, 'r');
      await handle.datasync();
    },
    close: async () => {
      await handle?.close();
      handle = undefined;
    },
  };
}

function openSqlite(file: string, options: OpenDatabaseOptions): Database {
  if (file !== ':memory:') mkdirSync(path.dirname(file), { recursive: true });
  const writer = new DatabaseSync(file);
  // busy_timeout first, so even switching to WAL waits for another node instead of failing.
  // WAL lets readers run beside the writer; busy_timeout lets a second process wait. synchronous=NORMAL
  // keeps the file consistent across power loss; the group-commit driver makes each acknowledged
  // transaction durable by flushing the WAL off the event loop (sqlite-group-commit.ts).
  // The WAL is checkpointed into the file every 10,000 pages (40 MB) instead of SQLite's 1,000: a checkpoint runs
  // inside the COMMIT that crosses the mark, on the event loop, and syncs the file twice, so at sign-in rates the
  // default held every request up several times a second; a hot page written many times between checkpoints is
  // copied once.
  writer.exec(
    'PRAGMA busy_timeout = 5000; PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; PRAGMA wal_autocheckpoint = 10000;',
  );
  // State that lives for seconds goes to a second file that is never synced (ephemeral-sqlite.ts).
  attachEphemeral(writer, file);
  // A second connection reads while a transaction holds the writer (group commit); an in-memory database has one connection.
  let reader: DatabaseSync | undefined;
  if (file !== ':memory:') {
    reader = new DatabaseSync(file, { readOnly: true });
    reader.exec('PRAGMA busy_timeout = 5000;');
    attachEphemeralForReading(reader, file);
  }
  const wal = reader ? walFlusher(`${file}-wal`) : undefined;
  const { dialect, driver } = nodeSqliteDialect({ writer, reader, flushWal: options.flushWal ?? wal?.flush, stuckMemberMs: options.stuckMemberMs });
  const db = new Kysely<Schema>({ dialect: withOptions(dialect, options) });
  return {
    db,
    dialect: 'sqlite',
    ping: async () => {
      await sql`select 1`.execute(db);
    },
    close: async () => {
      await db.destroy();
      await wal?.close();
    },
    groupCommit: driver.stats,
  };
}

/** The pg pool; pg itself (about 30 modules) loads when Kysely opens the first connection, never on SQLite. */
async function postgresPool(url: string): Promise<pg.Pool> {
  const { default: pg } = await import('pg');
  const pool = new pg.Pool({
    connectionString: url,
    max: 10,
    // A database that does not answer (network partition, host down) fails requests with a 503
    // after this long instead of holding them for ever.
    connectionTimeoutMillis: 10_000,
    // Timestamps are epoch milliseconds in bigint columns: read them back as numbers (< 2^53).
    types: {
      getTypeParser: (oid: number, format?: 'text' | 'binary') => (oid === INT8_OID ? Number : pg.types.getTypeParser(oid, format as 'text')),
    } as pg.CustomTypesConfig,
  });
  // An idle pooled connection can be cut by the server (restart, failover, admin terminate). pg
  // emits that on the pool; unhandled it would crash the process. The pool drops the client and
  // the next query opens a new one, so it is only worth a note on stderr.
  pool.on('error', (error) => {
    process.emitWarning(`PostgreSQL idle connection lost: ${error.message}`, { code: 'KEYWAY_PG_IDLE' });
  });
  // The pool listens only while a connection is idle. One cut while checked out between two
  // queries (inside a transaction, say) would emit 'error' with no listener and end the process;
  // the query in flight already fails (answered 503) and the pool drops the broken connection on release.
  pool.on('connect', (client) => {
    client.on('error', (error) => {
      process.emitWarning(`PostgreSQL connection lost: ${error.message}`, { code: 'KEYWAY_PG_LOST' });
    });
  });
  return pool;
}

function openPostgres(url: string, options: OpenDatabaseOptions): Database {
  const db = new Kysely<Schema>({ dialect: withOptions(new PostgresDialect({ pool: () => postgresPool(url) }), options) });
  return {
    db,
    dialect: 'postgres',
    ping: async () => {
      await sql`select 1`.execute(db);
    },
    close: () => db.destroy(),
  };
}

/** Opens `sqlite:<file>` (absolute path or :memory:) or a `postgres://` URL. */
export function openDatabase(url: string, options: OpenDatabaseOptions = {}): Database {
  if (url.startsWith('sqlite:')) return openSqlite(url.slice('sqlite:'.length), options);
  if (url.startsWith('postgres://') || url.startsWith('postgresql://')) return openPostgres(url, options);
  throw new TypeError(`unsupported database URL scheme: ${url.split(':')[0]}`);
}
