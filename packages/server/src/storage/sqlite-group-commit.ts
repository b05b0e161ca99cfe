import { CompiledQuery, SelectQueryNode, type DatabaseConnection, type Driver, type QueryResult, type SqliteDatabase, type TransactionSettings } from 'kysely';

/**
 * Group commit for SQLite: concurrent durable transactions share one disk flush.
 *
 * node:sqlite is synchronous and a file has one writer, so writes were already serialized (one connection behind a
 * lock). Now the writing connection keeps one outer `BEGIN IMMEDIATE` open while transactions queue for it: each runs
 * in its own SAVEPOINT; a failing one rolls back to its savepoint alone; when no transaction is waiting (or the group
 * is full) one COMMIT — one fsync with synchronous=FULL — makes the whole group durable, and only then does each
 * member's commit return. A member is therefore acknowledged only once it is on disk, and all of it or none of it is
 * there (the group commits atomically).
 *
 * Reads outside a transaction run on a second, read-only connection: WAL shows it only committed data, so nothing
 * answers from a member that is not yet acknowledged. A write outside a transaction is a member of its own.
 * Without a reader (an in-memory database) there is no grouping: every member commits at once.
 */
const MEMBER = 'keyway_group_member';
const MAX_GROUP = 64;

/** Counts of the writer, for tests: how many COMMITs (disk flushes) carried how many transactions. */
export interface GroupCommitStats {
  commits: number;
  transactions: number;
  rolledBack: number;
}

/** A FIFO lock that hands over directly to the next waiter and says how many wait. */
class HandOverLock {
  #held = false;
  readonly #queue: (() => void)[] = [];
  get waiting(): number {
    return this.#queue.length;
  }
  async lock(): Promise<void> {
    if (!this.#held) {
      this.#held = true;
      return;
    }
    await new Promise<void>((resolve) => this.#queue.push(resolve));
  }
  unlock(): void {
    const next = this.#queue.shift();
    if (next) next();
    else this.#held = false;
  }
}

interface Ack {
  resolve(): void;
  reject(error: unknown): void;
}

class Lease implements DatabaseConnection {
  member = false;
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

export class GroupCommitDriver implements Driver {
  readonly #writer: SqliteDatabase;
  readonly #reader: SqliteDatabase | undefined;
  readonly #lock = new HandOverLock();
  #batchOpen = false;
  #pending: Ack[] = [];
  readonly stats: GroupCommitStats = { commits: 0, transactions: 0, rolledBack: 0 };

  constructor(connections: { writer: SqliteDatabase; reader?: SqliteDatabase | undefined }) {
    this.#writer = connections.writer;
    this.#reader = connections.reader;
  }

  async init(): Promise<void> {}

  async acquireConnection(): Promise<DatabaseConnection> {
    return new Lease(this);
  }

  async beginTransaction(connection: DatabaseConnection, _settings?: TransactionSettings): Promise<void> {
    await this.#join();
    (connection as Lease).member = true;
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    const lease = connection as Lease;
    if (!lease.member) return;
    lease.member = false;
    await this.#leave(true);
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    const lease = connection as Lease;
    if (!lease.member) return; // its group's COMMIT failed: already rolled back with the group
    lease.member = false;
    await this.#leave(false);
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

  /** @internal a statement of a lease: in a member on the writer; a read on the reader; a write as a member of its own. */
  async execute<R>(lease: Lease, query: CompiledQuery): Promise<QueryResult<R>> {
    if (lease.member) return run<R>(this.#writer, query);
    if (isRead(query) && this.#reader) return run<R>(this.#reader, query);
    await this.#join();
    let result: QueryResult<R>;
    try {
      result = run<R>(this.#writer, query);
    } catch (error) {
      await this.#leave(false);
      throw error;
    }
    await this.#leave(true);
    return result;
  }

  async #join(): Promise<void> {
    await this.#lock.lock();
    try {
      if (!this.#batchOpen) {
        exec(this.#writer, 'begin immediate');
        this.#batchOpen = true;
      }
      exec(this.#writer, `savepoint ${MEMBER}`);
    } catch (error) {
      this.#flushIfIdle();
      this.#lock.unlock();
      throw error;
    }
  }

  async #leave(commit: boolean): Promise<void> {
    let acknowledged: Promise<void> | undefined;
    let failure: unknown;
    try {
      if (commit) {
        exec(this.#writer, `release ${MEMBER}`);
        acknowledged = new Promise<void>((resolve, reject) => this.#pending.push({ resolve, reject }));
      } else {
        this.#rollBackMember();
      }
    } catch (error) {
      failure = error;
      this.#rollBackMember();
    }
    this.#flushIfIdle();
    this.#lock.unlock();
    if (failure !== undefined) throw failure;
    await acknowledged;
  }

  #rollBackMember(): void {
    this.stats.rolledBack++;
    try {
      exec(this.#writer, `rollback to ${MEMBER}`);
      exec(this.#writer, `release ${MEMBER}`);
    } catch (error) {
      // The savepoint is gone: SQLite ended the whole transaction on a hard error (disk full, I/O). The members
      // waiting in it are lost with it; they are refused, never acknowledged.
      this.#abandonGroup(error);
    }
  }

  #abandonGroup(error: unknown): void {
    try {
      exec(this.#writer, 'rollback');
    } catch {
      // already rolled back
    }
    this.#batchOpen = false;
    const group = this.#pending;
    this.#pending = [];
    for (const ack of group) ack.reject(error);
  }

  /** Commits the group unless another transaction is waiting to join it (it will commit it, or the next one will). */
  #flushIfIdle(): void {
    const grouping = this.#reader !== undefined;
    if (grouping && this.#lock.waiting > 0 && this.#pending.length < MAX_GROUP) return;
    const group = this.#pending;
    this.#pending = [];
    if (!this.#batchOpen) return;
    try {
      exec(this.#writer, 'commit');
      this.#batchOpen = false;
    } catch (error) {
      this.#pending = group;
      this.#abandonGroup(error);
      return;
    }
    if (group.length > 0) this.stats.commits++;
    this.stats.transactions += group.length;
    for (const ack of group) ack.resolve();
  }
}
