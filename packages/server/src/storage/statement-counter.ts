import { isRelaxCommit } from './relaxed-commit.ts';
import { isSmallTransactionDeclaration } from './small-transaction.ts';
import { writesOnlyEphemeralState } from './written-table.ts';
import type { CompiledQuery, DatabaseConnection, Dialect, Driver, QueryResult, TransactionSettings } from 'kysely';

/** What a stretch of work sent to the database. */
export interface StatementCounts {
  /** SQL statements other than transaction control (begin, commit, rollback, savepoints) */
  statements: number;
  /** Of those, the ones that write (insert, update, delete, DDL) */
  writes: number;
  /** Commits: explicit COMMITs plus writes run outside a transaction (each its own commit) */
  commits: number;
  /**
   * Of those, the ones the caller waits on the disk for: they wrote a table that is not ephemeral state and did not
   * relax their commit (relaxed-commit.ts)
   */
  durableCommits: number;
  /** Transactions rolled back */
  rollbacks: number;
}

/**
 * Counts SQL statements and commits at the driver, below every repository, so a count covers whatever
 * any code path sends. Installed only when asked for (`openDatabase(url, { statementCounter })`);
 * without one the dialect is not wrapped at all, so counting costs nothing when off.
 */
export class StatementCounter {
  #counts: StatementCounts = zero();
  readonly #keepSql: boolean;
  #sql: string[] = [];

  /** `keepSql`: also keep the text of every statement (to see which ones a request sends). */
  constructor(options: { keepSql?: boolean } = {}) {
    this.#keepSql = options.keepSql ?? false;
  }

  /** The statements' SQL since the last reset, transaction control included (with `keepSql`). */
  get sql(): readonly string[] {
    return this.#sql;
  }

  /** The counts so far. */
  get counts(): StatementCounts {
    return { ...this.#counts };
  }

  /** Starts again from zero. */
  reset(): void {
    this.#counts = zero();
    this.#sql = [];
  }

  /** Runs `work` and answers what it sent (the counter must not be shared with concurrent work). */
  async measure(work: () => Promise<unknown>): Promise<StatementCounts> {
    this.reset();
    await work();
    return this.counts;
  }

  /** @internal called by the counting connection */
  record(kind: 'begin' | 'read' | 'write' | 'commit' | 'rollback', inTransaction: boolean, sqlText?: string, durable = false): void {
    if (this.#keepSql) this.#sql.push(sqlText ?? kind);
    if (kind === 'begin') return;
    const counts = this.#counts;
    if (kind === 'commit') {
      counts.commits++;
      if (durable) counts.durableCommits++;
    } else if (kind === 'rollback') counts.rollbacks++;
    else {
      counts.statements++;
      if (kind === 'write') {
        counts.writes++;
        if (!inTransaction) {
          counts.commits++;
          if (durable) counts.durableCommits++;
        }
      }
    }
  }
}

function zero(): StatementCounts {
  return { statements: 0, writes: 0, commits: 0, durableCommits: 0, rollbacks: 0 };
}

const WRITE_NODES = new Set([
  'InsertQueryNode',
  'UpdateQueryNode',
  'DeleteQueryNode',
  'MergeQueryNode',
  'CreateTableNode',
  'AlterTableNode',
  'DropTableNode',
  'CreateIndexNode',
  'DropIndexNode',
]);
const RAW_WRITE = /^\s*(insert|update|delete|replace|merge|create|alter|drop)\b/i;

function isWrite(query: CompiledQuery): boolean {
  const kind = query.query.kind;
  return kind === 'RawNode' ? RAW_WRITE.test(query.sql) : WRITE_NODES.has(kind);
}

/** A connection that reports every statement it runs; `inTransaction` is kept by the driver below. */
class CountingConnection implements DatabaseConnection {
  readonly inner: DatabaseConnection;
  readonly #counter: StatementCounter;
  inTransaction = false;
  /** The open transaction wrote durable state (a table that is not ephemeral) */
  wroteDurable = false;
  /** The open transaction relaxed its commit */
  relaxed = false;

  constructor(inner: DatabaseConnection, counter: StatementCounter) {
    this.inner = inner;
    this.#counter = counter;
  }

  executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    // An instruction to the SQLite driver, which runs nothing for it (and PostgreSQL is never sent one).
    if (isSmallTransactionDeclaration(query)) return this.inner.executeQuery<R>(query);
    const write = isWrite(query);
    const durable = write && !writesOnlyEphemeralState(query.query);
    if (this.inTransaction) {
      this.wroteDurable ||= durable;
      this.relaxed ||= isRelaxCommit(query);
    }
    this.#counter.record(write ? 'write' : 'read', this.inTransaction, query.sql, durable);
    return this.inner.executeQuery<R>(query);
  }

  streamQuery<R>(query: CompiledQuery, chunkSize?: number): AsyncIterableIterator<QueryResult<R>> {
    this.#counter.record('read', this.inTransaction, query.sql);
    return this.inner.streamQuery<R>(query, chunkSize);
  }
}

/**
 * Wraps a driver: transaction control is delegated with the engine's own connection (drivers keep
 * private state on it) and counted here; savepoints are not commits and are not counted.
 */
class CountingDriver implements Driver {
  readonly #inner: Driver;
  readonly #counter: StatementCounter;
  // Savepoint methods exist only if the wrapped driver has them (Kysely checks for them).
  readonly savepoint?: Driver['savepoint'];
  readonly rollbackToSavepoint?: Driver['rollbackToSavepoint'];
  readonly releaseSavepoint?: Driver['releaseSavepoint'];

  constructor(inner: Driver, counter: StatementCounter) {
    this.#inner = inner;
    this.#counter = counter;
    if (inner.savepoint) this.savepoint = (c, name, compile) => inner.savepoint!(unwrap(c), name, compile);
    if (inner.rollbackToSavepoint) this.rollbackToSavepoint = (c, name, compile) => inner.rollbackToSavepoint!(unwrap(c), name, compile);
    if (inner.releaseSavepoint) this.releaseSavepoint = (c, name, compile) => inner.releaseSavepoint!(unwrap(c), name, compile);
  }

  init(): Promise<void> {
    return this.#inner.init();
  }

  async acquireConnection(): Promise<DatabaseConnection> {
    return new CountingConnection(await this.#inner.acquireConnection(), this.#counter);
  }

  async beginTransaction(connection: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    this.#counter.record('begin', false);
    await this.#inner.beginTransaction(unwrap(connection), settings);
    Object.assign(connection as CountingConnection, { inTransaction: true, wroteDurable: false, relaxed: false });
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    const counting = connection as CountingConnection;
    counting.inTransaction = false;
    this.#counter.record('commit', false, undefined, counting.wroteDurable && !counting.relaxed);
    await this.#inner.commitTransaction(unwrap(connection));
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    (connection as CountingConnection).inTransaction = false;
    this.#counter.record('rollback', false);
    await this.#inner.rollbackTransaction(unwrap(connection));
  }

  releaseConnection(connection: DatabaseConnection): Promise<void> {
    return this.#inner.releaseConnection(unwrap(connection));
  }

  destroy(): Promise<void> {
    return this.#inner.destroy();
  }
}

function unwrap(connection: DatabaseConnection): DatabaseConnection {
  return connection instanceof CountingConnection ? connection.inner : connection;
}

/** The same dialect with every statement and commit reported to `counter`. */
export function countingDialect(dialect: Dialect, counter: StatementCounter): Dialect {
  return {
    createAdapter: () => dialect.createAdapter(),
    createDriver: () => new CountingDriver(dialect.createDriver(), counter),
    createQueryCompiler: () => dialect.createQueryCompiler(),
    createIntrospector: (db) => dialect.createIntrospector(db),
  };
}
