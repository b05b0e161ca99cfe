import type { Kysely } from 'kysely';
import type { KoaContextWithOIDC } from 'oidc-provider';
import { appendAuditEvent } from '../audit/audit-log.ts';
import type { Clock } from '../shared/clock.ts';
import type { Schema } from '../storage/schema.ts';

/**
 * Audits an ID token the token endpoint is about to answer (`oidc.idToken.issue`). Codes, access and refresh tokens
 * are audited where they are stored (oidc-adapter.ts); an ID token is never stored, so it is audited here, after the
 * provider made the response and before it is sent: if the event cannot be written, the request fails and the token
 * is never given out.
 */
export async function auditIssuedIdToken(db: Kysely<Schema>, clock: Clock, tenantId: string, ctx: KoaContextWithOIDC): Promise<void> {
  const body = ctx.body as { id_token?: unknown } | undefined;
  if (ctx.oidc.route !== 'token' || ctx.status !== 200 || typeof body?.id_token !== 'string') return;
  const { entities, params } = ctx.oidc;
  const clientId = entities.Client?.clientId ?? 'unknown';
  await appendAuditEvent(
    db,
    { tenantId, actor: `oidc-client:${clientId}` },
    {
      action: 'oidc.idToken.issue',
      targetType: 'user',
      targetId: entities.Account?.accountId ?? entities.Grant?.accountId ?? null,
      details: { grantId: entities.Grant?.jti, grantType: params?.['grant_type'] },
    },
    clock.now(),
  );
}
