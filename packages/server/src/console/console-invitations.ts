import type { Kysely } from 'kysely';
import { appendAuditEvent, type Actor } from '../audit/audit-log.ts';
import { KeywayError } from '../errors/keyway-error.ts';
import { newTimeOrderedId } from '../shared/time-ordered-id.ts';
import type { Schema } from '../storage/schema.ts';
import { hashConsoleSecret, isConsoleToken, newConsoleToken } from './console-secrets.ts';
import { isOperatorRole, permissionsOfRole, type OperatorRole } from './operator-roles.ts';
import { mayHandOut } from './role-handout.ts';

/** An enrolment link lives 24 hours and enrols one operator. */
export const INVITATION_TTL_MS = 24 * 60 * 60 * 1000;

/** Who made an invitation, as the audit log names them: the command line, an operator (`kwo_…`) or an API client. */
export const COMMAND_LINE_ACTOR = 'cli';

export interface Invitation {
  /** What revoking it names (DELETE /api/console/invitations/{id}) */
  id: string;
  /** `{publicUrl}/{tenantId}/console/enrol#token=…`: the token in the fragment never reaches logs or a Referer */
  url: string;
  expiresAt: string;
}

/** Why an unused invitation was revoked, as its audit event says. */
export type RevocationReason = 'revoked' | 'creatorRemoved' | 'creatorRoleChanged';

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
      revoked_at: null,
      operator_id: null,
      created_at: input.now.getTime(),
    })
    .execute();
  await appendAuditEvent(trx, actor, { action: 'console.invitation.create', targetType: 'invitation', targetId: id, details: { role: input.role } }, input.now);
  return { id, url: enrolmentUrl(input.publicUrl, actor.tenantId, token), expiresAt: new Date(expiresAt).toISOString() };
}

/** Who made an invitation: the command line, an operator or an API client, and what it holds now. */
export interface InvitationCreator {
  id: string;
  kind: 'commandLine' | 'operator' | 'apiClient';
  /** The operator's display name or the client's name, while they exist */
  name?: string;
  /** Their permissions now; undefined for a removed operator or a deleted or disabled client */
  permissions?: string[];
}

/** The creators of invitations (audit actors: `cli`, `kwo_…` operators, API clients), in one read of each table. */
export async function invitationCreators(db: Kysely<Schema>, tenantId: string, ids: readonly string[]): Promise<Map<string, InvitationCreator>> {
  const creators = new Map<string, InvitationCreator>();
  const others = [...new Set(ids)].filter((id) => id !== COMMAND_LINE_ACTOR);
  if (ids.includes(COMMAND_LINE_ACTOR)) creators.set(COMMAND_LINE_ACTOR, { id: COMMAND_LINE_ACTOR, kind: 'commandLine' });
  if (others.length === 0) return creators;
  const operators = await db
    .selectFrom('console_operators')
    .select(['id', 'display_name', 'role'])
    .where('tenant_id', '=', tenantId)
    .where('id', 'in', others)
    .execute();
  for (const operator of operators) {
    creators.set(operator.id, {
      id: operator.id,
      kind: 'operator',
      name: operator.display_name,
      // A role this version does not know grants nothing here.
      ...(isOperatorRole(operator.role) ? { permissions: permissionsOfRole(tenantId, operator.role) } : {}),
    });
  }
  const clients = await db
    .selectFrom('api_clients')
    .select(['id', 'name', 'permissions', 'enabled'])
    .where('tenant_id', '=', tenantId)
    .where('id', 'in', others)
    .execute();
  for (const client of clients) {
    creators.set(client.id, {
      id: client.id,
      kind: 'apiClient',
      name: client.name,
      ...(client.enabled === 1 ? { permissions: JSON.parse(client.permissions) as string[] } : {}),
    });
  }
  for (const id of others) {
    if (!creators.has(id)) creators.set(id, { id, kind: id.startsWith('kwo_') ? 'operator' : 'apiClient' });
  }
  return creators;
}

/**
 * Whether whoever made an invitation may still hand out its role: the command line always; an operator of the tenant
 * while their current role covers it; an enabled API client of the tenant while its permissions do. So a removed
 * operator, or a deleted, disabled or narrowed client, leaves the links it made unusable (removing or demoting an
 * operator also revokes theirs for good, see revokeInvitationsOf; a client's come back if it is widened again).
 */
export function creatorMayGrant(tenantId: string, creator: InvitationCreator | undefined, role: string): boolean {
  if (creator?.kind === 'commandLine') return true;
  if (creator?.permissions === undefined || !isOperatorRole(role)) return false;
  return mayHandOut({ tenantId, clientId: creator.id, permissions: creator.permissions }, role);
}

/**
 * The invitation a token names, when it can still be used: unknown → 400; used, revoked (or its creator may no longer
 * grant its role) or expired → 410 (expired at `expires_at` exactly).
 */
export async function usableInvitation(db: Kysely<Schema>, tenantId: string, token: unknown, now: Date): Promise<{ id: string; role: OperatorRole }> {
  const row = isConsoleToken(token)
    ? await db
        .selectFrom('console_invitations')
        .select(['id', 'role', 'created_by', 'expires_at', 'consumed_at', 'revoked_at'])
        .where('token_hash', '=', hashConsoleSecret(token))
        .where('tenant_id', '=', tenantId)
        .executeTakeFirst()
    : undefined;
  if (!row) throw new KeywayError('CONSOLE_LINK_INVALID', 'The enrolment link is not one this tenant issued; ask for a new one');
  if (row.consumed_at !== null) throw new KeywayError('CONSOLE_LINK_USED', 'The enrolment link was already used; ask for a new one');
  if (row.revoked_at !== null) throw new KeywayError('CONSOLE_LINK_REVOKED', 'The enrolment link was revoked; ask for a new one');
  if (row.expires_at <= now.getTime()) throw new KeywayError('CONSOLE_LINK_EXPIRED', 'The enrolment link has expired (links last 24 hours); ask for a new one');
  const creators = await invitationCreators(db, tenantId, [row.created_by]);
  // A role this version does not know is nobody's to hand out.
  if (!isOperatorRole(row.role) || !creatorMayGrant(tenantId, creators.get(row.created_by), row.role)) {
    throw new KeywayError('CONSOLE_LINK_REVOKED', 'Whoever made the enrolment link may no longer grant its role; ask for a new one');
  }
  return { id: row.id, role: row.role };
}

/** Consumes an invitation by compare-and-set: of two concurrent enrolments with one link, or one and a revocation, exactly one succeeds. */
export async function consumeInvitation(trx: Kysely<Schema>, id: string, operatorId: string, now: Date): Promise<void> {
  const result = await trx
    .updateTable('console_invitations')
    .set({ consumed_at: now.getTime(), operator_id: operatorId })
    .where('id', '=', id)
    .where('consumed_at', 'is', null)
    .where('revoked_at', 'is', null)
    .where('expires_at', '>', now.getTime())
    .executeTakeFirst();
  if (Number(result.numUpdatedRows) !== 1)
    throw new KeywayError('CONSOLE_LINK_USED', 'The enrolment link was used or revoked at the same time; ask for a new one');
}

/**
 * Revokes one unused, live invitation by compare-and-set (a concurrent enrolment or revocation wins or loses whole),
 * with its audit event, in the caller's transaction. False when it was no longer revocable.
 */
export async function revokeInvitation(
  trx: Kysely<Schema>,
  actor: Actor,
  invitation: { id: string; role: string },
  reason: RevocationReason,
  now: Date,
): Promise<boolean> {
  const result = await trx
    .updateTable('console_invitations')
    .set({ revoked_at: now.getTime() })
    .where('id', '=', invitation.id)
    .where('tenant_id', '=', actor.tenantId)
    .where('consumed_at', 'is', null)
    .where('revoked_at', 'is', null)
    .where('expires_at', '>', now.getTime())
    .executeTakeFirst();
  if (Number(result.numUpdatedRows) !== 1) return false;
  await appendAuditEvent(
    trx,
    actor,
    { action: 'console.invitation.revoke', targetType: 'invitation', targetId: invitation.id, details: { role: invitation.role, reason } },
    now,
  );
  return true;
}

/**
 * Revokes every unused, live invitation an operator made (they are removed, or their role narrowed), in the caller's
 * transaction, so the change and the revocations commit together.
 */
export async function revokeInvitationsOf(trx: Kysely<Schema>, actor: Actor, creatorId: string, reason: RevocationReason, now: Date): Promise<void> {
  const rows = await trx
    .selectFrom('console_invitations')
    .select(['id', 'role'])
    .where('tenant_id', '=', actor.tenantId)
    .where('created_by', '=', creatorId)
    .where('consumed_at', 'is', null)
    .where('revoked_at', 'is', null)
    .where('expires_at', '>', now.getTime())
    .orderBy('id')
    .execute();
  for (const row of rows) await revokeInvitation(trx, actor, row, reason, now);
}
