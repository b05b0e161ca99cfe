import type { Kysely } from 'kysely';
import { appendAuditEvent, type Actor } from '../audit/audit-log.ts';
import { KeywayError } from '../errors/keyway-error.ts';
import { newTimeOrderedId } from '../shared/time-ordered-id.ts';
import type { Schema } from '../storage/schema.ts';
import { hashConsoleSecret, isConsoleToken, newConsoleToken } from './console-secrets.ts';
import type { OperatorRole } from './operator-roles.ts';

/** An enrolment link lives 24 hours and enrols one operator. */
export const INVITATION_TTL_MS = 24 * 60 * 60 * 1000;

export interface Invitation {
  /** `{publicUrl}/{tenantId}/console/enrol#token=…`: the token in the fragment never reaches logs or a Referer */
  url: string;
  expiresAt: string;
}

export function enrolmentUrl(publicUrl: string, tenantId: string, token: string): string {
  return `${publicUrl}/${tenantId}/console/enrol#token=${token}`;
}

/** Creates a one-time link for a new operator of `role`, with its audit event, in the caller's transaction. */
export async function insertInvitation(trx: Kysely<Schema>, actor: Actor, input: { role: OperatorRole; publicUrl: string; now: Date }): Promise<Invitation> {
  const token = newConsoleToken();
  const id = newTimeOrderedId(input.now);
  const expiresAt = input.now.getTime() + INVITATION_TTL_MS;
  await trx
    .insertInto('console_invitations')
    .values({
      id,
      token_hash: hashConsoleSecret(token),
      tenant_id: actor.tenantId,
      role: input.role,
      created_by: actor.actor,
      expires_at: expiresAt,
      consumed_at: null,
      operator_id: null,
      created_at: input.now.getTime(),
    })
    .execute();
  await appendAuditEvent(trx, actor, { action: 'console.invitation.create', targetType: 'invitation', targetId: id, details: { role: input.role } }, input.now);
  return { url: enrolmentUrl(input.publicUrl, actor.tenantId, token), expiresAt: new Date(expiresAt).toISOString() };
}

/** The invitation a token names, when it can still be used: unknown → 400, used or expired → 410 (expired at `expires_at` exactly). */
export async function usableInvitation(db: Kysely<Schema>, tenantId: string, token: unknown, now: Date): Promise<{ id: string; role: OperatorRole }> {
  const row = isConsoleToken(token)
    ? await db
        .selectFrom('console_invitations')
        .select(['id', 'role', 'expires_at', 'consumed_at'])
        .where('token_hash', '=', hashConsoleSecret(token))
        .where('tenant_id', '=', tenantId)
        .executeTakeFirst()
    : undefined;
  if (!row) throw new KeywayError('CONSOLE_LINK_INVALID', 'The enrolment link is not one this tenant issued; ask for a new one');
  if (row.consumed_at !== null) throw new KeywayError('CONSOLE_LINK_USED', 'The enrolment link was already used; ask for a new one');
  if (row.expires_at <= now.getTime()) throw new KeywayError('CONSOLE_LINK_EXPIRED', 'The enrolment link has expired (links last 24 hours); ask for a new one');
  return { id: row.id, role: row.role as OperatorRole };
}

/** Consumes an invitation by compare-and-set: of two concurrent enrolments with one link, exactly one succeeds. */
export async function consumeInvitation(trx: Kysely<Schema>, id: string, operatorId: string, now: Date): Promise<void> {
  const result = await trx
    .updateTable('console_invitations')
    .set({ consumed_at: now.getTime(), operator_id: operatorId })
    .where('id', '=', id)
    .where('consumed_at', 'is', null)
    .where('expires_at', '>', now.getTime())
    .executeTakeFirst();
  if (Number(result.numUpdatedRows) !== 1) throw new KeywayError('CONSOLE_LINK_USED', 'The enrolment link was used at the same time; ask for a new one');
}
