import { CompiledQuery, SelectQueryNode, type DatabaseConnection, type Driver, type QueryResult, type SqliteDatabase, type TransactionSettings } from 'kysely';
import { isRelaxCommit } from './relaxed-commit.ts';
import { writesOnlyEphemeralState } from './written-table.ts';

/**
 * Group commit for SQLite, with the disk flush off the event loop.
 *
 * node:sqlite is synchronous: a COMMIT under synchronous=FULL holds the whole process for its fsync, which was most of
 * a sign-in's time. Here the main file runs WAL with synchronous=NORMAL, under which a COMMIT only appends its frames
 * to the WAL (the page cache) while SQLite still keeps the file consistent across power loss at checkpoints. This
 * driver adds the durability: a transaction that wrote the main file is acknowledged to its caller only once an
 * fdatasync(2) of the WAL, *started after its COMMIT*, has completed. The flush runs on libuv's thread pool, so the
 * event loop keeps serving, and every commit that lands while one flush runs waits for the next: concurrent
 * transactions share flushes with no batching delay.
 *
 * - An acknowledged transaction survives power loss: its frames and every frame before them were flushed.
 * - A failing transaction rolls back alone: each runs in its own `BEGIN IMMEDIATE … COMMIT`.
 * - Reads outside a transaction run on the writer when no transaction holds it, else on a read-only connection; either
 *   may see a transaction whose flush is still running, whose writer has not been answered yet (the window
 *   PostgreSQL has between commit and reply).
 * - A transaction that wrote only the ephemeral file (ephemeral-sqlite.ts, never synced) waits for no flush, nor does
 *   one that asked for a relaxed commit (relaxed-commit.ts): the next flush, which a later durable commit waits for,
 *   carries it.
 * - A failed flush stops all writing: after an fdatasync error the kernel may have dropped the dirty pages, so a
 *   later flush that succeeds would prove nothing. Writes are refused until a restart lets SQLite recover from disk.
 */

/** Counts of the writer, for tests and benchmarks. */
export interface GroupCommitStats {
  /** Transactions committed (writes outside a transaction count as one each) */
  transactions: number;
  /** Of those, the ones that wrote the main file and so waited for a WAL flush */
  durable: number;
  /** Of those, the ones that wrote the main file and asked not to wait (relaxed-commit.ts) */
  relaxed: number;
  /** WAL flushes (fdatasync) run */
  flushes: number;
  rolledBack: number;
}

/** Makes the main file's WAL durable: fdatasync on a thread pool. Injected so tests can hold or fail a flush. */
export type WalFlush = () => Promise<void>;

/** A FIFO lock that hands over directly to the next waiter. */
class HandOverLock {
  #held = false;
  readonly #queue: (() => void)[] = [];
  async lock(): Promise<void> {
    if (!this.#held) {
      this.#held = true;
      return;
    }
    await new Promise<void>((resolve) => this.#queue.push(resolve));
  }
  /** Takes the lock only if nobody holds it (nothing to wait for). */
  tryLock(): boolean {
    if (this.#held) return false;
    this.#held = true;
    return true;
  }
  unlock(): void {
    const next = this.#queue.shift();
    if (next) next();
    else this.#held = false;
  }
}

/**
 * Hands out "durable from here on" promises: each resolves after a flush that started after it was asked for.
 * At most one flush runs; everything asked for meanwhile rides on the single next one.
 */
class FlushSequencer {
  readonly #flush: WalFlush;
  readonly #stats: GroupCommitStats;
  #running = false;
  #waiting: { resolve(): void; reject(error: unknown): void }[] = [];
  #failure: unknown;
  constructor(flush: WalFlush, stats: GroupCommitStats) {
    this.#flush = flush;
    this.#stats = stats;
  }

  /** Throws once a flush has failed (see above). */
  assertHealthy(): void {
    if (this.#failure !== undefined) throw new WalFlushFailedError(this.#failure);
  }

  durable(): Promise<void> {
    this.assertHealthy();
    const done = new Promise<void>((resolve, reject) => this.#waiting.push({ resolve, reject }));
    if (!this.#running) void this.#run();
    return done;
  }

  async #run(): Promise<void> {
    this.#running = true;
    while (this.#waiting.length > 0) {
      const riders = this.#waiting;
      this.#waiting = [];
      this.#stats.flushes++;
      try {
        await this.#flush();
      } catch (error) {
        this.#failure = error;
        for (const rider of [...riders, ...this.#waiting]) rider.reject(new WalFlushFailedError(error));
        this.#waiting = [];
        break;
      }
      for (const rider of riders) rider.resolve();
    }
    this.#running = false;
  }
}

/** A write was committed but could not be made durable, or writing is stopped after such a failure. */
export class WalFlushFailedError extends Error {
  constructor(cause: unknown) {
    super('the database log could not be flushed to disk; writes are stopped until a restart', { cause });
    this.name = 'WalFlushFailedError';
  }
}

class Lease implements DatabaseConnection {
  inTransaction = false;
  /** Whether the open transaction wrote anything outside the ephemeral file */
  wroteMain = false;
  /** Whether the open transaction asked not to wait for the disk (relaxed-commit.ts) */
  relaxed = false;
  readonly #driver: GroupCommitDriver;
  constructor(driver: GroupCommitDriver) {
    this.#driver = driver;
  }
  executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    return this.#driver.execute<R>(this, query);
  }
  // eslint-disable-next-line require-yield
  async *streamQuery<R>(): AsyncIterableIterator<QueryResult<R>> {
    throw new Error('streaming is not used by Keyway');
  }
}

function run<R>(database: SqliteDatabase, query: CompiledQuery): QueryResult<R> {
  const statement = database.prepare(query.sql);
  if (statement.reader) return { rows: statement.all(query.parameters) as R[] };
  const { changes, lastInsertRowid } = statement.run(query.parameters);
  return { numAffectedRows: BigInt(changes), insertId: BigInt(lastInsertRowid), rows: [] };
}

function exec(database: SqliteDatabase, sqlText: string): void {
  database.prepare(sqlText).run([]);
}

function isRead(query: CompiledQuery): boolean {
  return query.query.kind === 'RawNode' ? /^\s*select\b/i.test(query.sql) : SelectQueryNode.is(query.query);
}

/** Savepoints inside a transaction write nothing by themselves. */
function isSavepointControl(query: CompiledQuery): boolean {
  return query.query.kind === 'RawNode' && /^\s*(savepoint|release|rollback to)\b/i.test(query.sql);
}

export interface GroupCommitConnections {
  writer: SqliteDatabase;
  /** Absent for an in-memory database (one connection, nothing to flush) */
  reader?: SqliteDatabase | undefined;
  /** Absent for an in-memory database */
  flushWal?: WalFlush | undefined;
}

export class GroupCommitDriver implements Driver {
  readonly #writer: SqliteDatabase;
  readonly #reader: SqliteDatabase | undefined;
  readonly #lock = new HandOverLock();
  readonly #flushes: FlushSequencer | undefined;
  readonly stats: GroupCommitStats = { transactions: 0, durable: 0, relaxed: 0, flushes: 0, rolledBack: 0 };

  constructor(connections: GroupCommitConnections) {
    this.#writer = connections.writer;
    this.#reader = connections.reader;
    this.#flushes = connections.flushWal && new FlushSequencer(connections.flushWal, this.stats);
  }

  async init(): Promise<void> {}

  async acquireConnection(): Promise<DatabaseConnection> {
    return new Lease(this);
  }

  async beginTransaction(connection: DatabaseConnection, _settings?: TransactionSettings): Promise<void> {
    this.#flushes?.assertHealthy();
    await this.#lock.lock();
    try {
      exec(this.#writer, 'begin immediate');
    } catch (error) {
      this.#lock.unlock();
      throw error;
    }
    const lease = connection as Lease;
    lease.inTransaction = true;
    lease.wroteMain = false;
    lease.relaxed = false;
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    const lease = connection as Lease;
    if (!lease.inTransaction) return;
    lease.inTransaction = false;
    try {
      exec(this.#writer, 'commit');
    } catch (error) {
      this.#rollBack();
      this.#lock.unlock();
      throw error;
    }
    this.#lock.unlock();
    await this.#acknowledge(lease.wroteMain, lease.relaxed);
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    const lease = connection as Lease;
    if (!lease.inTransaction) return; // its COMMIT failed: already rolled back
    lease.inTransaction = false;
    this.#rollBack();
    this.#lock.unlock();
  }

  async savepoint(connection: DatabaseConnection, name: string): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw(`savepoint "${name}"`));
  }

  async rollbackToSavepoint(connection: DatabaseConnection, name: string): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw(`rollback to "${name}"`));
  }

  async releaseSavepoint(connection: DatabaseConnection, name: string): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw(`release "${name}"`));
  }

  async releaseConnection(): Promise<void> {}

  async destroy(): Promise<void> {
    this.#writer.close();
    this.#reader?.close();
  }

  /** @internal a statement of a lease: in its transaction on the writer; a read on the reader; a write as a transaction of its own. */
  async execute<R>(lease: Lease, query: CompiledQuery): Promise<QueryResult<R>> {
    if (isRelaxCommit(query)) {
      lease.relaxed = lease.inTransaction; // like SET LOCAL, it means nothing outside a transaction
      return { rows: [] };
    }
    if (lease.inTransaction) {
      if (!lease.wroteMain && !isRead(query) && !isSavepointControl(query) && !writesOnlyEphemeralState(query.query)) lease.wroteMain = true;
      return run<R>(this.#writer, query);
    }
    if (isRead(query) && this.#reader) return this.#read<R>(this.#reader, query);
    this.#flushes?.assertHealthy();
    await this.#lock.lock();
    let result: QueryResult<R>;
    try {
      result = run<R>(this.#writer, query);
    } finally {
      this.#lock.unlock();
    }
    // Outside a transaction SQLite commits the statement itself (autocommit).
    await this.#acknowledge(!isRead(query) && !writesOnlyEphemeralState(query.query));
    return result;
  }

  /**
   * A read outside a transaction. Every commit of the writer empties the reading connection's page cache (another
   * connection changed the file), so a read there starts by reading its pages again; the writer's own cache stays
   * valid across its commits. So a read runs on the writer whenever no transaction holds it (it sees the same
   * committed state), and on the reader otherwise.
   */
  #read<R>(reader: SqliteDatabase, query: CompiledQuery): QueryResult<R> {
    if (!this.#lock.tryLock()) return run<R>(reader, query);
    try {
      return run<R>(this.#writer, query);
    } finally {
      this.#lock.unlock();
    }
  }

  async #acknowledge(wroteMain: boolean, relaxed = false): Promise<void> {
    this.stats.transactions++;
    if (!wroteMain || !this.#flushes) return;
    if (relaxed) {
      this.stats.relaxed++;
      return;
    }
    this.stats.durable++;
    await this.#flushes.durable();
  }

  #rollBack(): void {
    this.stats.rolledBack++;
    try {
      exec(this.#writer, 'rollback');
    } catch {
      // SQLite already ended the transaction (a hard error such as a full disk rolls back by itself)
    }
  }
}
