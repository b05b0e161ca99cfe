import { readFileSync, rmSync } from 'node:fs';
import { uptime } from 'node:os';
import type { DatabaseSync } from 'node:sqlite';

/**
 * State that lives for seconds on SQLite: ceremony sessions (challenges), browser flow bindings and rate-limit windows.
 * It is kept in a second file beside the database (`<file>-ephemeral`), ATTACHed to every connection as `ephemeral`,
 * with `synchronous=OFF`: writing it never waits for the disk. Unqualified table names resolve to it because the main
 * file no longer has these tables (migration 014).
 *
 * What survives what (this file only; the main file is made durable by the group-commit driver, sqlite-group-commit.ts):
 * - a process crash or SIGKILL: everything (committed pages are in the WAL or the page cache);
 * - a power loss or reboot: nothing is trusted — the first open after a new boot empties the file (its tail may be torn
 *   without a sync), so ceremonies in flight fail (the user starts again) and rate-limit windows restart. A challenge
 *   can therefore never come back unconsumed after its sign-in was acknowledged.
 *
 * A transaction that consumes a challenge and records the outcome spans both files (one connection, one BEGIN
 * IMMEDIATE holding both write locks), so single use across nodes works as before; only the main file is synced.
 * SQLite cannot reference another file in a foreign key: a deleted user's or store's sessions are not cascaded, but
 * a completion re-reads the user and store, and expired rows are purged.
 */
export const EPHEMERAL_SCHEMA = 'ephemeral';

const TABLES = `
create table if not exists ephemeral.ceremony_sessions (
  id text primary key, tenant_id text not null, store_id text not null, user_id text, rp_id text not null,
  policy_name text not null, ceremony text not null, challenge text not null, user_handle text, options text not null,
  context text, expires_at bigint not null, consumed_at bigint, created_at bigint not null);
create index if not exists ephemeral.ceremony_sessions_expires_at_idx on ceremony_sessions (expires_at);
create table if not exists ephemeral.selfservice_flows (
  id text primary key, binding_hash text not null, challenge text not null, tenant_id text not null, store_id text not null,
  purpose text not null, ceremony_session_id text not null, identifier text, user_id text, recovery_link_id text,
  expires_at bigint not null, created_at bigint not null,
  constraint selfservice_flows_binding_hash_challenge_key unique (binding_hash, challenge));
create index if not exists ephemeral.selfservice_flows_expires_at_idx on selfservice_flows (expires_at);
create table if not exists ephemeral.selfservice_rate_limits (key text primary key, window_start bigint not null, count integer not null);
create index if not exists ephemeral.selfservice_rate_limits_window_start_idx on selfservice_rate_limits (window_start);
create table if not exists ephemeral.ephemeral_boot (id integer primary key check (id = 1), boot_id text not null);
`;

export const EPHEMERAL_TABLES = ['ceremony_sessions', 'selfservice_flows', 'selfservice_rate_limits'] as const;

/** This machine's boot: the kernel's boot id on Linux, else the boot time to the minute. */
function currentBootId(): string {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  } catch {
    return `boot-${Math.round((Date.now() / 1000 - uptime()) / 60)}`;
  }
}

export function ephemeralFileOf(file: string): string {
  return file === ':memory:' ? ':memory:' : `${file}-ephemeral`;
}

function attach(database: DatabaseSync, file: string): void {
  database.prepare(`attach database ? as ${EPHEMERAL_SCHEMA}`).run(ephemeralFileOf(file));
  database.exec(`PRAGMA ${EPHEMERAL_SCHEMA}.journal_mode = WAL; PRAGMA ${EPHEMERAL_SCHEMA}.synchronous = OFF;`);
}

/** ATTACHes the ephemeral file to a connection that only reads. */
export function attachEphemeralForReading(database: DatabaseSync, file: string): void {
  attach(database, file);
}

/**
 * ATTACHes the ephemeral file to the writing connection, creates its tables, and empties it if it was written before
 * the last boot (a power loss may have torn it). Under the write lock, so two nodes starting at once agree.
 */
export function attachEphemeral(database: DatabaseSync, file: string): void {
  try {
    attach(database, file);
    prepare(database);
  } catch (error) {
    // Unreadable after a power loss (torn without a sync): it holds nothing worth keeping.
    if (file === ':memory:') throw error;
    try {
      database.exec(`detach database ${EPHEMERAL_SCHEMA}`);
    } catch {
      // not attached
    }
    for (const suffix of ['', '-wal', '-shm']) rmSync(`${ephemeralFileOf(file)}${suffix}`, { force: true });
    attach(database, file);
    prepare(database);
  }
}

function prepare(database: DatabaseSync): void {
  const boot = currentBootId();
  database.exec('begin immediate');
  try {
    database.exec(TABLES);
    const row = database.prepare(`select boot_id from ${EPHEMERAL_SCHEMA}.ephemeral_boot where id = 1`).get() as { boot_id: string } | undefined;
    if (row?.boot_id !== boot) {
      if (row !== undefined) {
        const check = database.prepare(`PRAGMA ${EPHEMERAL_SCHEMA}.quick_check`).get() as { quick_check?: string } | undefined;
        if (check?.quick_check !== 'ok') throw new Error('ephemeral database damaged');
      }
      for (const table of EPHEMERAL_TABLES) database.exec(`delete from ${EPHEMERAL_SCHEMA}.${table}`);
      database
        .prepare(`insert into ${EPHEMERAL_SCHEMA}.ephemeral_boot (id, boot_id) values (1, ?) on conflict (id) do update set boot_id = excluded.boot_id`)
        .run(boot);
    }
    database.exec('commit');
  } catch (error) {
    database.exec('rollback');
    throw error;
  }
}
