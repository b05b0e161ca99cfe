import { sql, type Kysely } from 'kysely';
import type { Schema } from '../storage/schema.ts';

/** Rows of one table that are deleted a while after they expire. */
export interface RetentionRule {
  table: keyof Schema & string;
  /** The primary key's columns. */
  key: readonly string[];
  /** The column holding the expiry, or the creation time for rows kept a fixed age (milliseconds since the epoch); it is indexed. */
  expiry: string;
  /** How long a row is kept after that time, e.g. so that a late answer is told "already used", not "unknown". */
  keepMs: number;
}

/**
 * Deletes at most `limit` rows of `rule.table` whose expiry is over `rule.keepMs` before `nowMs`; answers how many.
 * One bounded statement, so the writer is held briefly however large the backlog is. The rows are chosen through the
 * expiry index and deleted by primary key (PostgreSQL has no DELETE … LIMIT).
 */
export async function deleteExpiredBatch(db: Kysely<Schema>, rule: RetentionRule, nowMs: number, limit: number): Promise<number> {
  const table = sql.table(rule.table);
  const key = sql.join(rule.key.map((column) => sql.ref(column)));
  const keyValue = rule.key.length === 1 ? key : sql`(${key})`;
  const result =
    await sql`delete from ${table} where ${keyValue} in (select ${key} from ${table} where ${sql.ref(rule.expiry)} < ${nowMs - rule.keepMs} limit ${limit})`.execute(
      db,
    );
  return Number(result.numAffectedRows ?? 0n);
}
