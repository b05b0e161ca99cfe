import type { Kysely } from 'kysely';
import { appendAuditEvent, type Actor } from '../audit/audit-log.ts';
import { KeywayError } from '../errors/keyway-error.ts';
import type { Clock } from '../shared/clock.ts';
import { decodeCursor, pageSize, toPage, type Page, type PageRequest } from '../shared/pagination.ts';
import type { Schema } from '../storage/schema.ts';
import { isSubset } from '../tenancy/permissions.ts';
import { assertMayActOnOperator } from '../tenancy/target-rules.ts';
import type { Principal } from '../tenancy/tenancy-service.ts';
import {
  creatorMayGrant,
  insertInvitation,
  invitationCreators,
  revokeInvitation,
  revokeInvitationsOf,
  type Invitation,
  type InvitationCreator,
} from './console-invitations.ts';
import { isOperatorRole, permissionsOfRole, type OperatorRole } from './operator-roles.ts';
import { assertMayHandOut, assertMayManageOwners } from './role-handout.ts';

export interface OperatorSummary {
  id: string;
  displayName: string;
  role: OperatorRole;
  passkeys: number;
  createdAt: string;
  updatedAt: string;
}

/** An unused enrolment link as the list shows it (its token is not kept, so not its URL). */
export interface InvitationSummary {
  id: string;
  role: OperatorRole;
  createdBy: Omit<InvitationCreator, 'permissions'>;
  createdAt: string;
  expiresAt: string;
  /** False while whoever made it may not grant its role (a narrowed or disabled API client): it enrols nobody then */
  usable: boolean;
}

export interface OperatorServiceDeps {
  db: Kysely<Schema>;
  clock: Clock;
  publicUrl: string;
}

/**
 * An operator the caller changes or removes: it must hold every permission of the operator's current role. A stored
 * role this version does not know (a newer version wrote it) counts as an owner's, so only an owner acts on it.
 */
function assertMayActOn(caller: Principal, target: { id: string; role: string }): void {
  if (target.role === 'owner') assertMayManageOwners(caller, 'change or remove an owner');
  const permissions = permissionsOfRole(caller.tenantId, isOperatorRole(target.role) ? target.role : 'owner');
  assertMayActOnOperator(caller, { operatorId: target.id, role: target.role, permissions });
}

/**
 * The console's operators as the admin API manages them: listing, invitations, roles, removal.
 * Changes take the tenant's lock (as API-client management does), so two requests cannot each
 * remove one of the last two owners.
 */
export class OperatorService {
  readonly #db: Kysely<Schema>;
  readonly #clock: Clock;
  readonly #publicUrl: string;

  constructor(deps: OperatorServiceDeps) {
    this.#db = deps.db;
    this.#clock = deps.clock;
    this.#publicUrl = deps.publicUrl;
  }

  async list(tenantId: string): Promise<OperatorSummary[]> {
    const rows = await this.#db
      .selectFrom('console_operators')
      .leftJoin('console_operator_credentials', 'console_operator_credentials.operator_id', 'console_operators.id')
      .select([
        'console_operators.id',
        'console_operators.display_name',
        'console_operators.role',
        'console_operators.created_at',
        'console_operators.updated_at',
      ])
      .select((eb) => eb.fn.count<string>('console_operator_credentials.id').as('passkeys'))
      .where('console_operators.tenant_id', '=', tenantId)
      .groupBy([
        'console_operators.id',
        'console_operators.display_name',
        'console_operators.role',
        'console_operators.created_at',
        'console_operators.updated_at',
      ])
      .orderBy('console_operators.id')
      .execute();
    return rows.map((row) => ({
      id: row.id,
      displayName: row.display_name,
      role: isOperatorRole(row.role) ? row.role : 'viewer',
      passkeys: Number(row.passkeys),
      createdAt: new Date(Number(row.created_at)).toISOString(),
      updatedAt: new Date(Number(row.updated_at)).toISOString(),
    }));
  }

  /**
   * A one-time enrolment link; for the command line (`caller` undefined, trusted as the database's owner) any role,
   * through the API only a role whose every permission the caller (API client or operator) holds.
   */
  async invite(caller: Principal | undefined, actor: Actor, role: OperatorRole): Promise<Invitation> {
    if (caller) assertMayHandOut(caller, role);
    const now = this.#clock.now();
    return this.#db.transaction().execute(async (trx) => {
      const tenant = await trx.selectFrom('tenants').select('id').where('id', '=', actor.tenantId).executeTakeFirst();
      if (!tenant) throw new KeywayError('TENANT_NOT_FOUND', `No tenant ${actor.tenantId}; create it with keyway init --tenant ${actor.tenantId}`);
      return insertInvitation(trx, actor, { role, publicUrl: this.#publicUrl, now });
    });
  }

  /**
   * The tenant's unused enrolment links that have not expired or been revoked, oldest first, with who made them
   * (keyset pages on the invitation id).
   */
  async listInvitations(tenantId: string, page: PageRequest): Promise<Page<InvitationSummary>> {
    const limit = pageSize(page);
    const after = decodeCursor(page.cursor);
    let query = this.#db
      .selectFrom('console_invitations')
      .select(['id', 'role', 'created_by', 'created_at', 'expires_at'])
      .where('tenant_id', '=', tenantId)
      .where('consumed_at', 'is', null)
      .where('revoked_at', 'is', null)
      .where('expires_at', '>', this.#clock.now().getTime());
    if (after) query = query.where('id', '>', after);
    const rows = await query
      .orderBy('id')
      .limit(limit + 1)
      .execute();
    const creators = await invitationCreators(
      this.#db,
      tenantId,
      rows.map((row) => row.created_by),
    );
    return toPage(rows, limit, (row) => {
      const creator = creators.get(row.created_by)!;
      return {
        id: row.id,
        // A role this version does not know is shown as the strongest (only an owner revokes it).
        role: isOperatorRole(row.role) ? row.role : 'owner',
        createdBy: { id: creator.id, kind: creator.kind, ...(creator.name === undefined ? {} : { name: creator.name }) },
        createdAt: new Date(Number(row.created_at)).toISOString(),
        expiresAt: new Date(Number(row.expires_at)).toISOString(),
        usable: creatorMayGrant(tenantId, creator, row.role),
      };
    });
  }

  /**
   * Revokes an unused enrolment link: only one of a role the caller may hand out (as inviting it), so nobody withdraws
   * a stronger role's links. Used, expired or revoked links, and other tenants', are not found.
   */
  async revokeInvitation(caller: Principal, actor: Actor, invitationId: string): Promise<void> {
    const now = this.#clock.now();
    await this.#db.transaction().execute(async (trx) => {
      const row = await trx
        .selectFrom('console_invitations')
        .select(['id', 'role'])
        .where('tenant_id', '=', caller.tenantId)
        .where('id', '=', invitationId)
        .where('consumed_at', 'is', null)
        .where('revoked_at', 'is', null)
        .where('expires_at', '>', now.getTime())
        .executeTakeFirst();
      if (!row) throw new KeywayError('CONSOLE_INVITATION_NOT_FOUND', `No unused enrolment link ${invitationId}`);
      assertMayHandOut(caller, isOperatorRole(row.role) ? row.role : 'owner', 'revoke a link for an owner');
      // The compare-and-set decides a race with an enrolment using the link: one of them wins.
      if (!(await revokeInvitation(trx, actor, row, 'revoked', now))) {
        throw new KeywayError('CONSOLE_INVITATION_NOT_FOUND', `No unused enrolment link ${invitationId}`);
      }
    });
  }

  /** Locks the tenant, then reads the operator and checks that the caller covers their role, before anything changes. */
  async #lockTarget(trx: Kysely<Schema>, caller: Principal, operatorId: string) {
    await trx.updateTable('tenants').set({ id: caller.tenantId }).where('id', '=', caller.tenantId).execute();
    const row = await trx
      .selectFrom('console_operators')
      .select(['id', 'role'])
      .where('tenant_id', '=', caller.tenantId)
      .where('id', '=', operatorId)
      .executeTakeFirst();
    if (!row) throw new KeywayError('OPERATOR_NOT_FOUND', `No operator ${operatorId}`);
    assertMayActOn(caller, row);
    return row;
  }

  async #otherOwners(trx: Kysely<Schema>, tenantId: string, operatorId: string): Promise<number> {
    const row = await trx
      .selectFrom('console_operators')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .where('tenant_id', '=', tenantId)
      .where('role', '=', 'owner')
      .where('id', '!=', operatorId)
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  /**
   * The caller must cover both the operator's current role and the new one, so nobody raises an operator (themselves
   * included) above what they hold, or demotes one who holds more.
   */
  async updateRole(caller: Principal, actor: Actor, operatorId: string, role: OperatorRole): Promise<OperatorSummary> {
    const now = this.#clock.now();
    await this.#db.transaction().execute(async (trx) => {
      const target = await this.#lockTarget(trx, caller, operatorId);
      assertMayHandOut(caller, role);
      if (target.role === role) return;
      if (target.role === 'owner' && (await this.#otherOwners(trx, caller.tenantId, operatorId)) === 0) {
        throw new KeywayError('LAST_OWNER', 'This is the tenant’s last owner; make another operator owner first');
      }
      await trx.updateTable('console_operators').set({ role, updated_at: now.getTime() }).where('id', '=', operatorId).execute();
      await appendAuditEvent(
        trx,
        actor,
        { action: 'console.operator.update', targetType: 'operator', targetId: operatorId, details: { role, previousRole: target.role } },
        now,
      );
      // A demotion (or a move sideways: a role without every permission of the old one) revokes every unused link
      // they made, whatever its role: links made under the trust the old role carried end with it. A promotion keeps them.
      const previous = isOperatorRole(target.role) ? target.role : 'owner';
      if (!isSubset(permissionsOfRole(caller.tenantId, previous), permissionsOfRole(caller.tenantId, role))) {
        await revokeInvitationsOf(trx, actor, operatorId, 'creatorRoleChanged', now);
      }
    });
    const updated = (await this.list(caller.tenantId)).find((o) => o.id === operatorId);
    if (!updated) throw new KeywayError('OPERATOR_NOT_FOUND', `No operator ${operatorId}`);
    return updated;
  }

  /**
   * Removes an operator the caller covers; their passkeys, sessions and access tokens go with them (ON DELETE CASCADE),
   * and their unused enrolment links are revoked.
   */
  async remove(caller: Principal, actor: Actor, operatorId: string): Promise<void> {
    const now = this.#clock.now();
    await this.#db.transaction().execute(async (trx) => {
      const target = await this.#lockTarget(trx, caller, operatorId);
      if (target.role === 'owner' && (await this.#otherOwners(trx, caller.tenantId, operatorId)) === 0) {
        throw new KeywayError('LAST_OWNER', 'This is the tenant’s last owner; make another operator owner first');
      }
      await trx.deleteFrom('console_operators').where('tenant_id', '=', caller.tenantId).where('id', '=', operatorId).execute();
      await appendAuditEvent(
        trx,
        actor,
        { action: 'console.operator.delete', targetType: 'operator', targetId: operatorId, details: { role: target.role } },
        now,
      );
      await revokeInvitationsOf(trx, actor, operatorId, 'creatorRemoved', now);
    });
  }
}
