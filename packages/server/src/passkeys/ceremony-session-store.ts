import type { Kysely, Selectable } from 'kysely';
import { KeywayError } from '../errors/keyway-error.ts';
import { rowsOfDeleted } from '../identity/deletion-hooks.ts';
import type { CeremonySessionsTable, Schema } from '../storage/schema.ts';
import { everyColumn } from '../storage/joined-row.ts';
import { precompiled } from '../storage/precompiled-query.ts';

/**
 * Ceremony sessions: everything a ceremony's completion is checked against lives in the database
 * (no per-node state), so any node can complete what another started. A session is bound to its
 * tenant, store, user, RP, policy and ceremony type, is single use and expires.
 */

export type CeremonyType = CeremonySessionsTable['ceremony'];
export type CeremonySessionRow = Selectable<CeremonySessionsTable>;

/** Every column of a session row, for statements that read one joined to another table (storage/joined-row.ts). */
export const CEREMONY_SESSION_COLUMNS = everyColumn<CeremonySessionRow>({
  id: true,
  tenant_id: true,
  store_id: true,
  user_id: true,
  rp_id: true,
  policy_name: true,
  ceremony: true,
  challenge: true,
  user_handle: true,
  options: true,
  context: true,
  expires_at: true,
  consumed_at: true,
  created_at: true,
});

/** How a completion names its session: always by id, tenant and store; by user when the URL names one. */
export interface SessionLookup {
  id: string;
  tenantId: string;
  storeId: string;
  ceremony: CeremonyType;
  /** The user the completion URL names; undefined when the caller names none (e.g. usernameless self-service) */
  userId?: string | undefined;
}

export async function insertSession(db: Kysely<Schema>, row: CeremonySessionRow): Promise<void> {
  await insertSessionRow.execute(db, row);
}

// A ceremony's start, completion and consumption run on every sign-in and sign-up: built once.
const insertSessionRow = precompiled((db, row: CeremonySessionRow) => db.insertInto('ceremony_sessions').values(row));
type SessionKey = { id: string; tenantId: string; storeId: string; ceremony: SessionLookup['ceremony'] };
const sessionOf = (db: Kysely<Schema>, v: SessionKey) =>
  db
    .selectFrom('ceremony_sessions')
    .selectAll()
    .where('id', '=', v.id)
    .where('tenant_id', '=', v.tenantId)
    .where('store_id', '=', v.storeId)
    .where('ceremony', '=', v.ceremony);
const selectSession = precompiled((db, v: SessionKey) => sessionOf(db, v));
const selectUserSession = precompiled((db, v: SessionKey & { userId: string }) => sessionOf(db, v).where('user_id', '=', v.userId));
const consumeSessionRow = precompiled((db, v: { id: string; consumedAt: number }) =>
  db.updateTable('ceremony_sessions').set({ consumed_at: v.consumedAt }).where('id', '=', v.id).where('consumed_at', 'is', null),
);

/**
 * The session a completion may use, checked in this order: it exists for this tenant, store, user
 * and ceremony type (otherwise SESSION_NOT_FOUND, the same answer whoever's session it is), it has
 * not been used (SESSION_ALREADY_USED), and it has not expired (CHALLENGE_EXPIRED: `now` past
 * `expires_at`; at `expires_at` exactly it is still valid).
 */
export async function findUsableSession(db: Kysely<Schema>, lookup: SessionLookup, now: Date): Promise<CeremonySessionRow> {
  const key = { id: lookup.id, tenantId: lookup.tenantId, storeId: lookup.storeId, ceremony: lookup.ceremony };
  const row = await (lookup.userId === undefined ? selectSession.first(db, key) : selectUserSession.first(db, { ...key, userId: lookup.userId }));
  return usableSession(row, lookup, now);
}

/**
 * findUsableSession for a row the caller read itself (self-service reads it with the browser's flow, in one
 * statement): the same checks, the lookup's match included, so a row of another tenant, store, ceremony or user is
 * SESSION_NOT_FOUND as if it had not been found.
 */
export function checkUsableSession(row: CeremonySessionRow, lookup: SessionLookup, now: Date): CeremonySessionRow {
  const matches =
    row.id === lookup.id &&
    row.tenant_id === lookup.tenantId &&
    row.store_id === lookup.storeId &&
    row.ceremony === lookup.ceremony &&
    (lookup.userId === undefined || row.user_id === lookup.userId);
  return usableSession(matches ? row : undefined, lookup, now);
}

function usableSession(row: CeremonySessionRow | undefined, lookup: SessionLookup, now: Date): CeremonySessionRow {
  if (!row) throw new KeywayError('SESSION_NOT_FOUND', `No ${lookup.ceremony} session ${lookup.id} for this user`);
  if (row.consumed_at !== null) throw new KeywayError('SESSION_ALREADY_USED', `The ${lookup.ceremony} session ${lookup.id} was already completed`);
  if (now.getTime() > Number(row.expires_at)) {
    throw new KeywayError(
      'CHALLENGE_EXPIRED',
      `The ${lookup.ceremony} session ${lookup.id} expired at ${new Date(Number(row.expires_at)).toISOString()}; start a new one`,
    );
  }
  return row;
}

/**
 * Consumes a session by compare-and-set, inside the transaction that records the ceremony's
 * outcome: of any number of concurrent completions exactly one sees its update applied; the others
 * get SESSION_ALREADY_USED and their transaction rolls back.
 */
export async function consumeSession(db: Kysely<Schema>, id: string, now: Date): Promise<void> {
  const consumed = await consumeSessionRow.run(db, { id, consumedAt: now.getTime() });
  if (consumed !== 1) throw new KeywayError('SESSION_ALREADY_USED', `The ceremony session ${id} was already completed`);
}

/**
 * A deleted user's or store's ceremony sessions go with it (a deletion hook of identity, deletion-hooks.ts): their
 * options hold the user's name, handle and display name. On PostgreSQL the foreign keys would take them too; on SQLite
 * they live in the ephemeral file (storage/ephemeral-sqlite.ts), which no foreign key reaches, and would stay until a
 * day after they expire. Deleted in the deleting transaction, which spans both files.
 */
export const ceremonySessionsOfDeleted = rowsOfDeleted('ceremony_sessions', 'ceremonySessions');
