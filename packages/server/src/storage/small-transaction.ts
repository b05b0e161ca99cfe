import { SqliteAdapter, sql, type CompiledQuery, type Kysely, type Transaction } from 'kysely';
import type { Schema } from './schema.ts';

/** The instruction `declareSmallTransaction` sends; the SQLite driver takes it and runs nothing (a comment is not SQL anyone else sees). */
export const SMALL_TRANSACTION_SQL = '/* keyway: small transaction */';

/**
 * Runs `work` in a transaction that says, as its first statement (declareSmallTransaction), that it changes a bounded
 * handful of rows. The ceremonies' transactions run this way.
 */
export function inSmallTransaction<T>(db: Kysely<Schema>, work: (trx: Transaction<Schema>) => Promise<T>): Promise<T> {
  return db.transaction().execute(async (trx) => {
    await declareSmallTransaction(trx);
    return work(trx);
  });
}

/**
 * As the transaction's first statement: says it changes a bounded handful of rows (one ceremony's session, flow,
 * credential, account, browser session, audit events and rate-limit windows), never a range of a table.
 *
 * SQLite: the group-commit driver runs such transactions in groups that keep the pages' undo copies (the savepoint
 * journal that lets one member roll back alone) in memory. Other transactions run in groups that keep them in a
 * temporary file, as SQLite does beyond 64 KiB: a transaction that changes a whole table (a purge after a long
 * stop, a forced store deletion, a migration) must not hold a copy of every page it changes in memory. Inside a
 * group of small transactions, SQLite's own temporary storage (sorts, temporary indexes) stays on file too
 * (sqlite-group-commit.ts).
 *
 * PostgreSQL has no such journal: nothing is sent.
 */
export async function declareSmallTransaction(trx: Kysely<Schema>): Promise<void> {
  // getExecutor() is marked internal in Kysely's typings; its adapter is the one object that says which engine runs.
  if (trx.getExecutor().adapter instanceof SqliteAdapter) await sql.raw(SMALL_TRANSACTION_SQL).execute(trx);
}

/** Whether a statement is the one `declareSmallTransaction` sends. */
export function isSmallTransactionDeclaration(query: CompiledQuery): boolean {
  return query.query.kind === 'RawNode' && query.sql === SMALL_TRANSACTION_SQL;
}
