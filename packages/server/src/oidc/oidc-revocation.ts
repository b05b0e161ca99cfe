// Ending what the OpenID Provider issued, outside the provider's own flows: for a client that is deleted or narrowed
// (oidc-client-service.ts), and for a user whose other sign-ins a recovery ends (self-service). Each removal is audited
// as every revocation is (oidc-adapter.ts), one event per token kind, in the caller's transaction.
import type { Kysely } from 'kysely';
import { appendAuditEvent, type Actor } from '../audit/audit-log.ts';
import type { Schema } from '../storage/schema.ts';

const AUDITED = [
  ['AccessToken', 'accessToken'],
  ['RefreshToken', 'refreshToken'],
] as const;

type Target = { targetType: 'oidcClient' | 'user'; targetId: string };

async function auditRemoved(trx: Kysely<Schema>, actor: Actor, removed: { model: string }[], target: Target, details: Record<string, unknown>, now: Date) {
  for (const [model, kind] of AUDITED) {
    const count = removed.filter((row) => row.model === model).length;
    if (count > 0) await appendAuditEvent(trx, actor, { action: `oidc.${kind}.revoke`, ...target, details: { ...details, count } }, now);
  }
}

/** Everything issued to a client: grants, codes, access and refresh tokens, interactions in flight. */
export async function revokeIssuedToClient(
  trx: Kysely<Schema>,
  actor: Actor,
  clientId: string,
  details: { store: string; reason: 'clientDeleted' | 'clientNarrowed' },
  now: Date,
): Promise<void> {
  const removed = await trx.deleteFrom('oidc_state').where('tenant_id', '=', actor.tenantId).where('client_id', '=', clientId).returning('model').execute();
  await auditRemoved(trx, actor, removed, { targetType: 'oidcClient', targetId: clientId }, details, now);
}

/**
 * Everything issued for a user, at every client of the tenant: OP sessions (so no client signs them in silently from
 * one), grants, codes, access and refresh tokens. Answers how many artifacts went.
 */
export async function revokeIssuedForUser(
  trx: Kysely<Schema>,
  actor: Actor,
  userId: string,
  details: { store: string; reason: string },
  now: Date,
): Promise<number> {
  const removed = await trx.deleteFrom('oidc_state').where('tenant_id', '=', actor.tenantId).where('account_id', '=', userId).returning('model').execute();
  await auditRemoved(trx, actor, removed, { targetType: 'user', targetId: userId }, details, now);
  return removed.length;
}
