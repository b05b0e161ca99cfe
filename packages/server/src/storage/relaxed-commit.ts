import { sql, type CompiledQuery, type Kysely } from 'kysely';
import type { Schema } from './schema.ts';

/** The statement that relaxes a transaction's commit (PostgreSQL SQL; the SQLite driver reads it as the same instruction). */
export const RELAX_COMMIT_SQL = 'set local synchronous_commit = off';

/**
 * Inside a transaction: lets it be acknowledged before its commit is on disk. Only for writes that serve a ceremony
 * still in flight (its challenge, its start event, its pending account): a power loss ends that ceremony anyway, and
 * the ceremony's outcome commit, which does wait, makes them durable before anyone is told the ceremony succeeded —
 * the log is written in order on both engines, so flushing a later commit flushes every earlier one.
 *
 * PostgreSQL: `SET LOCAL synchronous_commit = off` (the commit returns before its WAL record is flushed; a crash of
 * the database server can lose it, never corrupt anything). SQLite: the group-commit driver appends the commit to the
 * WAL and does not wait for the next flush (sqlite-group-commit.ts).
 */
export async function relaxCommit(trx: Kysely<Schema>): Promise<void> {
  await sql.raw(RELAX_COMMIT_SQL).execute(trx);
}

/** Whether a statement is the one `relaxCommit` sends. */
export function isRelaxCommit(query: CompiledQuery): boolean {
  return query.query.kind === 'RawNode' && query.sql === RELAX_COMMIT_SQL;
}
