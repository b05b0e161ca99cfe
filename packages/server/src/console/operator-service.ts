import type { Kysely } from 'kysely';
import { appendAuditEvent, type Actor } from '../audit/audit-log.ts';
import { KeywayError } from '../errors/keyway-error.ts';
import type { Clock } from '../shared/clock.ts';
import type { Schema } from '../storage/schema.ts';
import { assertMayActOnOperator, assertMayGrantRole, isFullAdmin } from '../tenancy/target-rules.ts';
import type { Principal } from '../tenancy/tenancy-service.ts';
import { insertInvitation, type Invitation } from './console-invitations.ts';
import { isOperatorRole, permissionsOfRole, type OperatorRole } from './operator-roles.ts';

export interface OperatorSummary {
  id: string;
  displayName: string;
  role: OperatorRole;
  passkeys: number;
  createdAt: string;
  updatedAt: string;
}

export interface OperatorServiceDeps {
  db: Kysely<Schema>;
  clock: Clock;
  publicUrl: string;
}

/**
 * Making, changing or removing an owner needs `TNT#{tenant}#*`, which owners (and full-admin API clients) hold and
 * admins do not. The general rules below would refuse it too (an owner's role is that wildcard); this gives the
 * refusal its own code.
 */
function assertMayManageOwners(caller: Principal, what: string): void {
  if (!isFullAdmin(caller.tenantId, caller.permissions)) {
    throw new KeywayError('OWNER_MANAGEMENT_FORBIDDEN', `Only an owner can ${what}`);
  }
}

/** A role the caller hands out (an invitation, a role change): it must hold every permission of the role. */
function assertMayHandOut(caller: Principal, role: OperatorRole): void {
  if (role === 'owner') assertMayManageOwners(caller, 'make an owner');
  assertMayGrantRole(caller, { name: role, permissions: permissionsOfRole(caller.tenantId, role) });
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
    });
    const updated = (await this.list(caller.tenantId)).find((o) => o.id === operatorId);
    if (!updated) throw new KeywayError('OPERATOR_NOT_FOUND', `No operator ${operatorId}`);
    return updated;
  }

  /** Removes an operator the caller covers; their passkeys, sessions and access tokens go with them (ON DELETE CASCADE). */
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
    });
  }
}
