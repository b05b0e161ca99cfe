/**
 * Whether an error means the transaction collided with a concurrent one and was undone whole: nothing was changed,
 * and the same request again is decided against what the other committed (usually a clean 404 or 409).
 *
 * - PostgreSQL 40P01 deadlock_detected: two transactions took the same rows' locks in opposite orders and the server
 *   chose this one to fail; 40001 serialization_failure.
 * - A foreign key violation, PostgreSQL 23503 or SQLite's SQLITE_CONSTRAINT_FOREIGNKEY (787): the row this one refers
 *   to was deleted by a transaction that committed after this request read it (Keyway checks every parent before it
 *   writes, so a violation is a race, not a request that names nothing).
 */
const POSTGRES_STATES = new Set(['40P01', '40001', '23503']);
const SQLITE_CONSTRAINT_FOREIGNKEY = 787;

export function isConcurrentCollision(error: unknown): boolean {
  for (let current = error, depth = 0; current !== null && typeof current === 'object' && depth < 5; depth++) {
    const e = current as { code?: unknown; errcode?: unknown; cause?: unknown };
    if (typeof e.code === 'string' && POSTGRES_STATES.has(e.code)) return true;
    if (e.code === 'ERR_SQLITE_ERROR' && e.errcode === SQLITE_CONSTRAINT_FOREIGNKEY) return true;
    current = e.cause;
  }
  return false;
}
