import { GroupCommitFailedError, WalFlushFailedError } from './sqlite-group-commit.ts';

/**
 * Whether an error means the database cannot be reached or cannot take the request right now (a
 * passing condition: the caller should retry), as opposed to a fault in the request or the code.
 * Connections are re-established by the pool on the next query, so nothing else is needed to
 * recover once the database is back.
 */

/** Node socket errors of a connection that cannot be opened or was cut. */
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);

/**
 * PostgreSQL SQLSTATEs (Appendix A): class 08 connection exception; 57P01 admin_shutdown,
 * 57P02 crash_shutdown, 57P03 cannot_connect_now (starting up, in recovery); 53300
 * too_many_connections.
 */
const POSTGRES_STATES = new Set(['57P01', '57P02', '57P03', '53300']);

/** node-postgres and pg-pool raise these as plain Errors, without a code. */
const PG_CLIENT_MESSAGES = [
  /^Connection terminated/,
  /^timeout exceeded when trying to connect$/,
  /^Client has encountered a connection error and is not queryable$/,
  /^Client was closed and is not queryable$/,
];

/** SQLite primary result codes (the low byte of an extended code): SQLITE_BUSY, SQLITE_LOCKED. */
const SQLITE_BUSY = 5;
const SQLITE_LOCKED = 6;

export function isDatabaseUnavailable(error: unknown): boolean {
  for (let current = error, depth = 0; current !== null && typeof current === 'object' && depth < 5; depth++) {
    // Not passing, but this node cannot take writes any more: another node can.
    if (current instanceof WalFlushFailedError) return true;
    // Undone with the other transactions of its SQLite group (group commit): nothing was wrong with this one; again works.
    if (current instanceof GroupCommitFailedError) return true;
    const e = current as { code?: unknown; errcode?: unknown; message?: unknown; errors?: unknown; cause?: unknown };
    if (typeof e.code === 'string' && (NETWORK_CODES.has(e.code) || POSTGRES_STATES.has(e.code) || /^08[0-9A-Z]{3}$/.test(e.code))) return true;
    if (e.code === 'ERR_SQLITE_ERROR' && typeof e.errcode === 'number' && [SQLITE_BUSY, SQLITE_LOCKED].includes(e.errcode & 0xff)) return true;
    if (typeof e.message === 'string' && PG_CLIENT_MESSAGES.some((pattern) => pattern.test(e.message as string))) return true;
    // A connection to a host with several addresses fails with an AggregateError of the attempts.
    if (Array.isArray(e.errors) && e.errors.length > 0 && e.errors.every((inner) => isDatabaseUnavailable(inner))) return true;
    current = e.cause;
  }
  return false;
}
