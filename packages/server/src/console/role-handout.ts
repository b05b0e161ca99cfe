import { KeywayError } from '../errors/keyway-error.ts';
import { assertMayGrantRole, isFullAdmin, type Caller } from '../tenancy/target-rules.ts';
import { permissionsOfRole, type OperatorRole } from './operator-roles.ts';

/**
 * Making, changing or removing an owner needs `TNT#{tenant}#*`, which owners (and full-admin API clients) hold and
 * admins do not. The general rules would refuse it too (an owner's role is that wildcard); this gives the refusal its
 * own code.
 */
export function assertMayManageOwners(caller: Pick<Caller, 'tenantId' | 'permissions'>, what: string): void {
  if (!isFullAdmin(caller.tenantId, caller.permissions)) {
    throw new KeywayError('OWNER_MANAGEMENT_FORBIDDEN', `Only an owner can ${what}`);
  }
}

/**
 * A role the caller hands out (an invitation, a role change) or takes back (revoking an invitation of it): the caller
 * must hold every permission of the role.
 */
export function assertMayHandOut(caller: Caller, role: OperatorRole, what = 'make an owner'): void {
  if (role === 'owner') assertMayManageOwners(caller, what);
  assertMayGrantRole(caller, { name: role, permissions: permissionsOfRole(caller.tenantId, role) });
}

/** Whether `holder` may hand out `role` now (the same rule, as a yes or no). */
export function mayHandOut(holder: Caller, role: OperatorRole): boolean {
  try {
    assertMayHandOut(holder, role);
    return true;
  } catch (error) {
    if (error instanceof KeywayError) return false;
    throw error;
  }
}
