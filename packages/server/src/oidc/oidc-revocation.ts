// Ending what the OpenID Provider issued, outside the provider's own flows: for a client that is deleted or narrowed
// (oidc-client-service.ts), for a user whose other sign-ins a recovery ends (self-service), and for a user or a store
// that is deleted (`issuedForDeleted`, a deletion hook of identity). Each removal is audited as every revocation is
// (oidc-adapter.ts), one event per token kind, in the caller's transaction.
import type { Kysely } from 'kysely';
import { appendAuditEvent, type Actor } from '../audit/audit-log.ts';
import type { DeletionHook } from '../identity/deletion-hooks.ts';
import type { Schema } from '../storage/schema.ts';

const AUDITED = [
  ['AccessToken', 'accessToken'],
  ['RefreshToken', 'refreshToken'],
] as const;

type Target = { targetType: 'oidcClient' | 'user'; targetId: string | null };

/** One `oidc.<kind>.revoke` event per token kind among `removed` (codes, grants and sessions are not audited), with its count. */
export async function auditRemoved(
  trx: Kysely<Schema>,
  actor: Actor,
  removed: { model: string }[],
  target: Target,
  details: Record<string, unknown>,
  now: Date,
) {
  for (const [model, kind] of AUDITED) {
    const count = removed.filter((row) => row.model === model).length;
    if (count > 0) await appendAuditEvent(trx, actor, { action: `oidc.${kind}.revoke`, ...target, details: { ...details, count } }, now);
  }
}

/** Everything issued to a client: grants, codes, access and refresh tokens, interactions in flight. Answers how many artifacts went. */
export async function revokeIssuedToClient(
  trx: Kysely<Schema>,
  actor: Actor,
  clientId: string,
  details: { store: string; reason: 'clientDeleted' | 'clientNarrowed' | 'storeDeleted' },
  now: Date,
): Promise<number> {
  const removed = await trx.deleteFrom('oidc_state').where('tenant_id', '=', actor.tenantId).where('client_id', '=', clientId).returning('model').execute();
  await auditRemoved(trx, actor, removed, { targetType: 'oidcClient', targetId: clientId }, details, now);
  return removed.length;
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

/**
 * A deleted user's artifacts go with them (`reason: "userDeleted"`, audited on the user). A deleted store's go by
 * client: everything issued to each of its clients (which the store takes with it), audited on the client with
 * `reason: "storeDeleted"`, then what is left of its users' (their OP sessions name no client), audited on the user.
 */
export const issuedForDeleted: DeletionHook = {
  async ofUser(trx, actor, user, now) {
    return { oidcArtifacts: await revokeIssuedForUser(trx, actor, user.id, { store: user.storeName, reason: user.reason ?? 'userDeleted' }, now) };
  },
  async ofStore(trx, actor, store, now) {
    const clients = await trx
      .selectFrom('oidc_clients')
      .select('id')
      .where('tenant_id', '=', store.tenantId)
      .where('store_id', '=', store.id)
      .orderBy('id')
      .execute();
    let artifacts = 0;
    for (const client of clients) artifacts += await revokeIssuedToClient(trx, actor, client.id, { store: store.name, reason: 'storeDeleted' }, now);
    const left = await trx
      .deleteFrom('oidc_state')
      .where('tenant_id', '=', store.tenantId)
      .where('account_id', 'in', trx.selectFrom('users').select('id').where('store_id', '=', store.id))
      .returning(['model', 'account_id'])
      .execute();
    // Grouped in one pass (a store may have many users), in the order their rows came.
    const byUser = new Map<string, { model: string }[]>();
    for (const row of left) {
      const own = byUser.get(row.account_id!);
      if (own) own.push(row);
      else byUser.set(row.account_id!, [row]);
    }
    for (const [userId, own] of byUser) {
      await auditRemoved(trx, actor, own, { targetType: 'user', targetId: userId }, { store: store.name, reason: 'storeDeleted' }, now);
    }
    return { oidcClients: clients.length, oidcArtifacts: artifacts + left.length };
  },
};
