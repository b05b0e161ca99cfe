import { CompiledQuery, SelectQueryNode, type DatabaseConnection, type Driver, type QueryResult, type SqliteDatabase, type TransactionSettings } from 'kysely';
import { isRelaxCommit } from './relaxed-commit.ts';
import { isSmallTransactionDeclaration } from './small-transaction.ts';
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
 * Transactions share COMMITs too. Each of the caller's transactions (a member) runs as a SAVEPOINT inside one open
 * SQLite transaction (a group), which commits once the event loop has run what was ready this turn (setImmediate):
 * under load the dozen transactions of one loop turn append their pages to the WAL once — a page that several of them
 * wrote (the right edge of an index on time-ordered ids, the audit table's last page) is written once, with one round
 * of WAL locking, instead of once each (a sign-in wrote about 35 frames, two pwrite(2) calls each). A member is
 * answered only after its group's COMMIT (and, if it wrote the main file, after the flush that follows it), so nothing
 * is acknowledged that another connection or node cannot see.
 *
 * A member's savepoint is the journal that lets it roll back alone: SQLite copies each page a member changes into it
 * first. A group of transactions that declared themselves small (small-transaction.ts: a ceremony's own rows) keeps
 * those copies in memory; any other transaction runs in a group that keeps them as SQLite does, in memory up to 64 KiB
 * and then in a temporary file, so that a transaction changing a whole table never holds a copy of it in memory.
 * Kinds never share a group: a transaction of the other kind commits the open group first.
 *
 * - An acknowledged transaction survives power loss: its frames and every frame before them were flushed.
 * - A failing transaction rolls back alone: ROLLBACK TO its savepoint undoes it and nothing else. Should SQLite undo
 *   the whole group instead (a hard error such as a full disk ends the transaction), every member of the group is
 *   refused: none of them was acknowledged.
 * - Reads outside a transaction run on the writer when no member holds it, else on a read-only connection. On the
 *   writer they see what members of the open group wrote, before it commits; on either they may see a commit whose
 *   flush still runs. Either way the writer has not been answered yet (PostgreSQL has the same window between
 *   commit and reply).
 * - A transaction that wrote only the ephemeral file (ephemeral-sqlite.ts, never synced) waits for no flush, nor does
 *   one that asked for a relaxed commit (relaxed-commit.ts): the next flush, which a later durable commit waits for,
 *   carries it.
 * - A failed flush stops all writing: after an fdatasync error the kernel may have dropped the dirty pages, so a
 *   later flush that succeeds would prove nothing. Writes are refused until a restart lets SQLite recover from disk.
 * - Another process on the same file (a second node) waits for the group's write lock, as it waited for single
 *   transactions before; a group holds it for one loop turn. Waiting for it, this driver tries again on a timer instead
 *   of letting SQLite's busy handler sleep on the event loop.
 */

/** Counts of the writer, for tests and benchmarks. */
export interface GroupCommitStats {
  /** Transactions committed (writes outside a transaction count as one each) */
  transactions: number;
  /** SQLite COMMITs run: each carries the transactions of one group */
  groups: number;
  /** Of those, groups of small transactions, whose savepoint journal was kept in memory (small-transaction.ts) */
  smallGroups: number;
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
  /** Takes the lock unless `ms` pass first (then resolves false, and the caller is no longer in the queue). */
  async lockWithin(ms: number): Promise<boolean> {
    if (this.tryLock()) return true;
    return new Promise<boolean>((resolve) => {
      const waiter = () => {
        clearTimeout(timer);
        resolve(true);
      };
      const timer = setTimeout(() => {
        this.#queue.splice(this.#queue.indexOf(waiter), 1);
        resolve(false);
      }, ms);
      this.#queue.push(waiter);
    });
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

/** How long a group waits for another connection's write lock: the connections' busy_timeout (database.ts), which applies to every other statement */
const BUSY_TIMEOUT_MS = 5_000;
/** Waits between tries, as SQLite's own busy handler spaces them */
const BUSY_BACKOFF_MS = [1, 2, 5, 10, 15, 20, 25, 25, 25, 50, 50, 100];

/** SQLITE_BUSY or one of its extended codes (another connection holds the lock, or is recovering the WAL), from node:sqlite */
function isBusy(error: unknown): boolean {
  const code = (error as { errcode?: unknown } | null)?.errcode;
  return typeof code === 'number' && (code & 0xff) === SQLITE_BUSY;
}
const SQLITE_BUSY = 5;

/** The SQL savepoint a member runs in (members never nest: the writer's lock is held from begin to commit). */
const MEMBER = 'keyway_member';

/** One open SQLite transaction that members join as savepoints; committed once, after the loop turn it opened in. */
class Group {
  /** Whether a member that wrote the main file and did not relax its commit released into it: its COMMIT is flushed */
  durable = false;
  /** A group of small transactions (small-transaction.ts): its savepoint journal is kept in memory */
  readonly small: boolean;
  readonly committed: Promise<void>;
  /** After the COMMIT, when durable: the flush that makes it so */
  flushed: Promise<void> | undefined;
  #settle!: { resolve(): void; reject(error: unknown): void };
  constructor(small: boolean) {
    this.small = small;
    this.committed = new Promise<void>((resolve, reject) => (this.#settle = { resolve, reject }));
    this.committed.catch(() => {}); // a group whose members all rolled back has nobody waiting on it
  }
  succeed(flushed: Promise<void> | undefined): void {
    this.flushed = flushed;
    flushed?.catch(() => {}); // every durable member awaits it; this only keeps a rejection from being reported twice
    this.#settle.resolve();
  }
  fail(error: unknown): void {
    this.#settle.reject(error);
  }
}

/** The group's COMMIT failed, or SQLite ended its transaction: the member's work was undone with it. */
export class GroupCommitFailedError extends Error {
  constructor(cause: unknown) {
    super('the transaction was undone with the group it was committed in', { cause });
    this.name = 'GroupCommitFailedError';
  }
}

/** Why a group ends when SQLite ended its transaction by itself (a hard error such as a full disk rolls all of it back) */
const rolledBackBySqlite = () => new Error('SQLite rolled the transaction back');

/** A member's statement or release after its group ended (undone under it) */
function groupUndone(): GroupCommitFailedError {
  return new GroupCommitFailedError(new Error('the group this transaction ran in was undone'));
}

class Lease implements DatabaseConnection {
  inTransaction = false;
  /** Whether the open transaction declared itself small (small-transaction.ts) */
  small = false;
  /** Whether the open transaction wrote anything outside the ephemeral file */
  wroteMain = false;
  /** Whether the open transaction asked not to wait for the disk (relaxed-commit.ts) */
  relaxed = false;
  /**
   * The group the open transaction runs in. Set once its savepoint is open: at the transaction's first statement, when
   * the driver knows whether it declared itself small, in a group of its kind (#join).
   */
  group: Group | undefined;
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

/** A connection the driver writes through: Kysely's SQLite interface plus whether a transaction is open on it. */
export interface SqliteWriter extends SqliteDatabase {
  readonly isTransaction: boolean;
}

export interface GroupCommitConnections {
  writer: SqliteWriter;
  /** Absent for an in-memory database (one connection, nothing to flush) */
  reader?: SqliteDatabase | undefined;
  /** Absent for an in-memory database */
  flushWal?: WalFlush | undefined;
  /** How long a group waits at its COMMIT for a member that holds the writer (tests shorten it); default 5 s */
  stuckMemberMs?: number | undefined;
}

export class GroupCommitDriver implements Driver {
  readonly #writer: SqliteWriter;
  readonly #reader: SqliteDatabase | undefined;
  readonly #lock = new HandOverLock();
  readonly #flushes: FlushSequencer | undefined;
  readonly #stuckMemberMs: number;
  /** The open SQLite transaction, if any */
  #group: Group | undefined;
  readonly stats: GroupCommitStats = { transactions: 0, groups: 0, smallGroups: 0, durable: 0, relaxed: 0, flushes: 0, rolledBack: 0 };

  constructor(connections: GroupCommitConnections) {
    this.#writer = connections.writer;
    this.#reader = connections.reader;
    this.#flushes = connections.flushWal && new FlushSequencer(connections.flushWal, this.stats);
    this.#stuckMemberMs = connections.stuckMemberMs ?? BUSY_TIMEOUT_MS;
  }

  async init(): Promise<void> {}

  async acquireConnection(): Promise<DatabaseConnection> {
    return new Lease(this);
  }

  /** Takes the writer; the transaction joins a group at its first statement (#join). */
  async beginTransaction(connection: DatabaseConnection, _settings?: TransactionSettings): Promise<void> {
    this.#flushes?.assertHealthy();
    await this.#lock.lock();
    const lease = connection as Lease;
    lease.inTransaction = true;
    lease.small = false;
    lease.group = undefined;
    lease.wroteMain = false;
    lease.relaxed = false;
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    const lease = connection as Lease;
    if (!lease.inTransaction) return;
    lease.inTransaction = false;
    const group = lease.group;
    if (!group) {
      // No statement ran: nothing to commit.
      this.#lock.unlock();
      return;
    }
    if (group !== this.#group) {
      this.#lock.unlock();
      throw groupUndone();
    }
    try {
      exec(this.#writer, `release ${MEMBER}`);
    } catch (error) {
      this.#rollBackMember(group);
      this.#lock.unlock();
      throw error;
    }
    const durable = lease.wroteMain && !lease.relaxed && this.#flushes !== undefined;
    group.durable ||= durable;
    this.#lock.unlock();
    try {
      await group.committed;
    } catch (error) {
      throw new GroupCommitFailedError(error);
    }
    this.stats.transactions++;
    if (durable) {
      this.stats.durable++;
      await group.flushed;
    } else if (lease.wroteMain && lease.relaxed && this.#flushes) this.stats.relaxed++;
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    const lease = connection as Lease;
    if (!lease.inTransaction) return; // its release failed: already rolled back
    lease.inTransaction = false;
    if (lease.group && lease.group === this.#group) this.#rollBackMember(lease.group);
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
    if (this.#group) await this.#commitGroup(this.#group);
    this.#writer.close();
    this.#reader?.close();
  }

  /** @internal a statement of a lease: in its transaction on the writer; a read on the reader; a write as a transaction of its own. */
  async execute<R>(lease: Lease, query: CompiledQuery): Promise<QueryResult<R>> {
    if (isRelaxCommit(query)) {
      lease.relaxed = lease.inTransaction; // like SET LOCAL, it means nothing outside a transaction
      return { rows: [] };
    }
    if (isSmallTransactionDeclaration(query)) {
      // Only a transaction's first statement can choose its group.
      lease.small = lease.inTransaction && !lease.group;
      return { rows: [] };
    }
    if (lease.inTransaction) {
      if (!lease.group) await this.#join(lease);
      // Once SQLite has ended the transaction under the group (a hard error rolls all of it back), a statement would run
      // on its own in autocommit: the group is over, and so is every member of it.
      if (lease.group === this.#group && !this.#writer.isTransaction) this.#endGroup(lease.group!, rolledBackBySqlite());
      if (lease.group !== this.#group) throw groupUndone();
      if (!lease.wroteMain && !isRead(query) && !isSavepointControl(query) && !writesOnlyEphemeralState(query.query)) lease.wroteMain = true;
      return run<R>(this.#writer, query);
    }
    if (isRead(query)) return this.#reader ? this.#read<R>(this.#reader, query) : this.#readOnWriter<R>(query);
    // A write outside a transaction is a transaction of its own (SQLite's autocommit would commit the group with it).
    const own = new Lease(this);
    await this.beginTransaction(own);
    let result: QueryResult<R>;
    try {
      result = await this.execute<R>(own, query);
    } catch (error) {
      await this.rollbackTransaction(own);
      throw error;
    }
    await this.commitTransaction(own);
    return result;
  }

  /**
   * A read outside a transaction. Every commit of the writer empties the reading connection's page cache (another
   * connection changed the file), so a read there starts by reading its pages again; the writer's own cache stays
   * valid across its commits. So a read runs on the writer whenever no member holds it, and on the reader otherwise.
   */
  #read<R>(reader: SqliteDatabase, query: CompiledQuery): QueryResult<R> {
    if (!this.#lock.tryLock()) return run<R>(reader, query);
    try {
      return run<R>(this.#writer, query);
    } finally {
      this.#lock.unlock();
    }
  }

  /** A read of an in-memory database (no second connection): on the writer, once no member holds it. */
  async #readOnWriter<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    await this.#lock.lock();
    try {
      return run<R>(this.#writer, query);
    } finally {
      this.#lock.unlock();
    }
  }

  /**
   * Under the lock, at the transaction's first statement: its savepoint, in the open group if that is of its kind
   * (small or not), else in a new one. An open group of the other kind is committed first, at once: its members have
   * all released (the lock is this transaction's), and committing before the end of the loop turn only shares the
   * COMMIT among fewer of them.
   */
  async #join(lease: Lease): Promise<void> {
    if (this.#group && this.#group.small !== lease.small) this.#commitHeld(this.#group);
    const group = this.#group ?? (await this.#openGroup(lease.small));
    exec(this.#writer, `savepoint ${MEMBER}`);
    lease.group = group;
  }

  /**
   * Under the lock: a new group (BEGIN IMMEDIATE), whose COMMIT runs once this loop turn's work is done.
   * While another connection (another node) holds the write lock, it waits without blocking the event loop: SQLite's
   * busy handler sleeps on the thread, so it would stop every request of this node — and, were that other connection
   * in this process, the loop turn that ends its group, until the timeout.
   *
   * A group of small transactions keeps its savepoint journal in memory. SQLite keeps it in memory only up to 64 KiB,
   * then writes it to a temporary file for the rest of the transaction: two pwrite(2) calls per page a member changes,
   * about a fifth of a sign-up's CPU once groups held a few ceremonies. SQLite decides where the journal goes
   * when the transaction begins, from `temp_store`: so the group begins under `temp_store = memory`, and it is put
   * back at once, so that sorts and temporary indexes (of reads on this connection too) still go to files. (SQLite
   * refuses to change `temp_store` inside a transaction only while a temporary database is open; changing it before
   * BEGIN closes any, and Keyway creates no temporary tables.)
   */
  async #openGroup(small: boolean): Promise<Group> {
    const deadline = Date.now() + BUSY_TIMEOUT_MS;
    for (let attempt = 0; ; attempt++) {
      exec(this.#writer, 'pragma busy_timeout = 0');
      if (small) exec(this.#writer, 'pragma temp_store = memory');
      try {
        exec(this.#writer, 'begin immediate');
        break;
      } catch (error) {
        if (!isBusy(error) || Date.now() >= deadline) throw error;
      } finally {
        exec(this.#writer, `pragma busy_timeout = ${BUSY_TIMEOUT_MS}`);
        if (small) exec(this.#writer, 'pragma temp_store = default');
      }
      await new Promise((resolve) => setTimeout(resolve, BUSY_BACKOFF_MS[Math.min(attempt, BUSY_BACKOFF_MS.length - 1)]));
    }
    const group = new Group(small);
    this.#group = group;
    setImmediate(() => void this.#commitGroup(group));
    return group;
  }

  async #commitGroup(group: Group): Promise<void> {
    if (!(await this.#lock.lockWithin(this.#stuckMemberMs))) {
      // A member has held the writer across loop turns for this long. Were it waiting for one of the members released
      // before it to be answered (which waits for this COMMIT), neither would ever end: the group is undone instead,
      // its members refused (none was answered), and the member still holding the writer fails at its next statement.
      if (this.#group === group)
        this.#endGroup(group, new Error(`a transaction held the database for over ${this.#stuckMemberMs} ms while others waited to commit`));
      return;
    }
    try {
      if (this.#group === group) this.#commitHeld(group); // else already ended (SQLite undid it, or the database is closing)
    } finally {
      this.#lock.unlock();
    }
  }

  /** Under the lock: the open group's COMMIT; its members are answered once it (and, if durable, its flush) is done. */
  #commitHeld(group: Group): void {
    this.#group = undefined;
    try {
      exec(this.#writer, 'commit');
    } catch (error) {
      this.#endGroup(group, error);
      return;
    }
    this.stats.groups++;
    if (group.small) this.stats.smallGroups++;
    group.succeed(group.durable ? this.#flushAfterCommit() : undefined);
  }

  /** The flush a durable group's members wait for; refused (not thrown) when an earlier flush failed while the group was open. */
  #flushAfterCommit(): Promise<void> {
    try {
      return this.#flushes!.durable();
    } catch (error) {
      return Promise.reject(error as Error);
    }
  }

  /** Under the lock: undoes one member. If SQLite ended the whole transaction instead, the group fails. */
  #rollBackMember(group: Group): void {
    this.stats.rolledBack++;
    try {
      exec(this.#writer, `rollback to ${MEMBER}`);
      exec(this.#writer, `release ${MEMBER}`);
    } catch {
      // SQLite already ended the transaction (a hard error such as a full disk rolls back by itself)
    }
    if (!this.#writer.isTransaction && this.#group === group) this.#endGroup(group, rolledBackBySqlite());
  }

  /**
   * The group's COMMIT failed, it is given up, or SQLite ended its transaction by itself: undone, and its members
   * refused. (A group has ended exactly when it is no longer the open one: a member whose group is not `#group` any
   * more was committed, refused or undone.)
   */
  #endGroup(group: Group, error: unknown): void {
    if (this.#group === group) this.#group = undefined;
    try {
      exec(this.#writer, 'rollback');
    } catch {
      // SQLite already ended the transaction
    }
    group.fail(error);
  }
}
