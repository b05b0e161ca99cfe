import type { Kysely, Selectable } from 'kysely';
import { newTimeOrderedId } from '../shared/time-ordered-id.ts';
import type { Schema, SelfServiceSessionsTable } from '../storage/schema.ts';
import { newSessionToken, sessionTokenHash } from './browser-tokens.ts';
import { precompiled } from '../storage/precompiled-query.ts';

/**
 * Browser sessions: a row per session, found by the hash of the keyway_session cookie (browser-tokens.ts), so they
 * survive restarts, work on every node and can be revoked server-side (logout, rotation at sign-in, admin).
 */

export type BrowserSessionRow = Selectable<SelfServiceSessionsTable>;

export interface OpenSessionInput {
  tenantId: string;
  storeId: string;
  userId: string;
  /** The passkey of the sign-in; null for one without (then `amr` says how) */
  credentialId: string | null;
  /** RFC 8176 methods of a sign-in without a passkey, e.g. ['otp'] */
  amr?: readonly string[] | undefined;
  clientIp: string | undefined;
  userAgent: string | undefined;
  ttlSeconds: number;
  now: Date;
}

/** Opens a session; answers the cookie value (shown once, stored only hashed) and the row. */
export async function openBrowserSession(db: Kysely<Schema>, input: OpenSessionInput): Promise<{ token: string; row: BrowserSessionRow }> {
  const token = newSessionToken(input.now);
  const row: BrowserSessionRow = {
    id: newTimeOrderedId(input.now),
    token_hash: sessionTokenHash(token)!,
    tenant_id: input.tenantId,
    store_id: input.storeId,
    user_id: input.userId,
    credential_id: input.credentialId,
    amr: input.amr === undefined ? null : JSON.stringify(input.amr),
    client_ip: input.clientIp?.slice(0, 64) ?? null,
    user_agent: input.userAgent?.slice(0, 512) ?? null,
    created_at: input.now.getTime(),
    authenticated_at: input.now.getTime(),
    expires_at: input.now.getTime() + input.ttlSeconds * 1000,
    revoked_at: null,
  };
  await insertSessionRow.execute(db, row);
  return { token, row };
}

// Every sign-in opens a session and rotates the one the browser had: built once.
const insertSessionRow = precompiled((db, row: BrowserSessionRow) => db.insertInto('selfservice_sessions').values(row));
const revokeSessionOfToken = precompiled((db, v: { tokenHash: string; tenantId: string; revokedAt: number }) =>
  db
    .updateTable('selfservice_sessions')
    .set({ revoked_at: v.revokedAt })
    .where('token_hash', '=', v.tokenHash)
    .where('tenant_id', '=', v.tenantId)
    .where('revoked_at', 'is', null)
    .returningAll(),
);

/** The live session of a cookie value in one store: not revoked, not expired (at `expires_at` exactly it has ended). */
export async function findLiveSession(
  db: Kysely<Schema>,
  scope: { tenantId: string; storeId: string },
  token: string | undefined,
  now: Date,
): Promise<BrowserSessionRow | undefined> {
  const tokenHash = sessionTokenHash(token);
  if (tokenHash === undefined) return undefined;
  return db
    .selectFrom('selfservice_sessions')
    .selectAll()
    .where('token_hash', '=', tokenHash)
    .where('tenant_id', '=', scope.tenantId)
    .where('store_id', '=', scope.storeId)
    .where('revoked_at', 'is', null)
    .where('expires_at', '>', now.getTime())
    .executeTakeFirst();
}

/** Revokes the session of a cookie value (any store of the tenant) in one statement; answers its row, now revoked, if one was live. */
export async function revokeSessionByToken(db: Kysely<Schema>, tenantId: string, token: string | undefined, now: Date): Promise<BrowserSessionRow | undefined> {
  const tokenHash = sessionTokenHash(token);
  if (tokenHash === undefined) return undefined;
  return revokeSessionOfToken.first(db, { tokenHash, tenantId, revokedAt: now.getTime() });
}

/** Revokes every live session of a user; answers how many. */
export async function revokeUserSessions(db: Kysely<Schema>, userId: string, now: Date): Promise<number> {
  const result = await db
    .updateTable('selfservice_sessions')
    .set({ revoked_at: now.getTime() })
    .where('user_id', '=', userId)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}
