/**
 * Recognises a unique-constraint violation from either engine and says what it was on:
 * PostgreSQL names the constraint (`users_store_id_external_id_key`), SQLite lists the columns
 * (`UNIQUE constraint failed: users.store_id, users.external_id`). Both contain the column names,
 * which is what callers match on.
 */
export function uniqueViolation(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const e = error as { code?: unknown; constraint?: unknown; errcode?: unknown; message?: unknown };
  if (e.code === '23505') return String(e.constraint ?? '');
  // 2067 SQLITE_CONSTRAINT_UNIQUE, 1555 SQLITE_CONSTRAINT_PRIMARYKEY
  if (e.errcode === 2067 || e.errcode === 1555) return String(e.message ?? '');
  return undefined;
}
