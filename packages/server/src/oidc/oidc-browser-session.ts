import { parseCookie, stringifySetCookie } from 'cookie';
import type { Kysely } from 'kysely';
import { appendAuditEvent } from '../audit/audit-log.ts';
import { findLiveSession, revokeSessionByToken, type BrowserSessionRow } from '../selfservice/browser-sessions.ts';
import { SESSION_COOKIE } from '../selfservice/self-service-routes.ts';
import type { Clock } from '../shared/clock.ts';
import type { Schema } from '../storage/schema.ts';
import { amrFor } from '../tokens/signing-key-service.ts';

/**
 * The store's self-service browser session is the OpenID Provider's session: the provider signs a user in from it,
 * and ends it at RP-initiated logout. These helpers read it from a request's Cookie header.
 */
export async function liveBrowserSession(
  db: Kysely<Schema>,
  clock: Clock,
  tenantId: string,
  storeId: string,
  cookieHeader: string | undefined,
): Promise<BrowserSessionRow | undefined> {
  const token = parseCookie(cookieHeader ?? '')[SESSION_COOKIE];
  return findLiveSession(db, { tenantId, storeId }, token, clock.now());
}

/** RFC 8176 `amr` of a browser session's sign-in, from the facts Keyway verified about the passkey it was opened with. */
export async function browserSessionAmr(db: Kysely<Schema>, session: Pick<BrowserSessionRow, 'tenant_id' | 'credential_id' | 'amr'>): Promise<string[]> {
  // A sign-in without a passkey (a login journey's e-mail code) recorded its methods.
  if (session.credential_id === null && session.amr !== null) return JSON.parse(session.amr) as string[];
  if (session.credential_id === null) return ['user'];
  const credential = await db
    .selectFrom('credentials')
    .select(['user_verified', 'backup_eligible', 'attestation_verified'])
    .where('tenant_id', '=', session.tenant_id)
    .where('credential_id', '=', session.credential_id)
    .executeTakeFirst();
  if (!credential) return ['user'];
  return amrFor({
    userVerified: credential.user_verified === 1,
    backupEligible: credential.backup_eligible === 1,
    attestationVerified: credential.attestation_verified === 1,
  });
}

/** Ends the browser's session (audited with the logout) and answers the Set-Cookie header that clears its cookie. */
export async function endBrowserSession(
  db: Kysely<Schema>,
  clock: Clock,
  tenantId: string,
  cookieHeader: string | undefined,
  secure: boolean,
): Promise<string> {
  const token = parseCookie(cookieHeader ?? '')[SESSION_COOKIE];
  const now = clock.now();
  await db.transaction().execute(async (trx) => {
    const ended = await revokeSessionByToken(trx, tenantId, token, now);
    if (ended) {
      await appendAuditEvent(
        trx,
        { tenantId, actor: 'oidc' },
        { action: 'oidc.logout', targetType: 'user', targetId: ended.user_id, details: { session: ended.id } },
        now,
      );
    }
  });
  return stringifySetCookie({ name: SESSION_COOKIE, value: '', httpOnly: true, sameSite: 'lax', secure, path: `/${tenantId}`, maxAge: 0 });
}
