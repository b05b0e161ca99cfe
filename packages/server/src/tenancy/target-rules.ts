import { KeywayError } from '../errors/keyway-error.ts';
import type { Permission } from './permission-catalogue.ts';
import { isAllowed, isSubset, parsePermission, permissionString } from './permissions.ts';

/**
 * The rules for operations one principal performs on another: an API client managing another API
 * client or a console operator, or an API client naming a user (starting a journey for them). Each
 * rule lives here once; the services call these before they change or reveal anything.
 */

/** Who acts: an authenticated API client of a tenant. */
export interface Caller {
  tenantId: string;
  clientId: string;
  permissions: readonly string[];
}

/** A client may hand out only permissions of its own tenant that it holds itself. */
export function assertMayGrant(caller: Caller, permissions: readonly string[]): void {
  for (const [index, permission] of permissions.entries()) {
    const parsed = parsePermission(permission);
    if (!parsed || parsed.tenant !== caller.tenantId) {
      throw new KeywayError('VALIDATION_FAILED', `permissions/${index}: must be TNT#${caller.tenantId}#<Service>:<action> (or a * wildcard)`, {
        errors: [{ field: `/permissions/${index}`, message: `must be a permission of tenant ${caller.tenantId}` }],
      });
    }
  }
  if (!isSubset(permissions, caller.permissions)) {
    throw new KeywayError('PERMISSION_NOT_GRANTABLE', 'permissions: includes a permission the calling client does not hold');
  }
}

/**
 * A client may update, rotate, disable or delete only a client whose permissions it holds itself:
 * otherwise a weak client could take over a stronger one (rotate its secret and receive it) or
 * switch it off.
 */
export function assertMayActOnClient(caller: Caller, target: { clientId: string; permissions: readonly string[] }): void {
  if (!isSubset(target.permissions, caller.permissions)) {
    throw new KeywayError('API_CLIENT_NOT_COVERED', `API client ${target.clientId} holds permissions the calling client does not hold`);
  }
}

/**
 * Inviting an operator of a role, or giving an operator a role, hands out every permission of the
 * role, so the caller must hold them all, as for a client's permissions (assertMayGrant): otherwise
 * a client holding only `Console:createInvitation` could mint an admin operator, and that admin
 * near-full-admin clients.
 */
export function assertMayGrantRole(caller: Caller, role: { name: string; permissions: readonly string[] }): void {
  if (!isSubset(role.permissions, caller.permissions)) {
    throw new KeywayError('PERMISSION_NOT_GRANTABLE', `role: ${role.name} holds permissions the caller does not hold`);
  }
}

/**
 * Changing an operator's role or removing them needs every permission of their current role, as
 * acting on a client does (assertMayActOnClient): otherwise a weak caller could demote or remove a
 * stronger operator.
 */
export function assertMayActOnOperator(caller: Caller, target: { operatorId: string; role: string; permissions: readonly string[] }): void {
  if (!isSubset(target.permissions, caller.permissions)) {
    throw new KeywayError('OPERATOR_NOT_COVERED', `Operator ${target.operatorId} (${target.role}) holds permissions the caller does not hold`);
  }
}

/** `TNT#{tenant}#*`: the permission `keyway init` gives a tenant's first client. */
export function isFullAdmin(tenantId: string, permissions: readonly string[]): boolean {
  return permissions.includes(permissionString(tenantId, '*'));
}

/**
 * A tenant never loses its last enabled full-admin client through the API (disabling, narrowing or
 * deleting it): without one, nobody could manage the tenant any more short of the command line.
 */
export function assertKeepsFullAdmin(
  tenantId: string,
  change: {
    before: { enabled: boolean; permissions: readonly string[] };
    after: { enabled: boolean; permissions: readonly string[] } | undefined;
    otherFullAdmins: number;
  },
): void {
  const wasFullAdmin = change.before.enabled && isFullAdmin(tenantId, change.before.permissions);
  const staysFullAdmin = change.after !== undefined && change.after.enabled && isFullAdmin(tenantId, change.after.permissions);
  if (wasFullAdmin && !staysFullAdmin && change.otherFullAdmins === 0) {
    throw new KeywayError('LAST_FULL_ADMIN_CLIENT', `This is the last enabled API client holding ${permissionString(tenantId, '*')}; create another one first`);
  }
}

/** The permission that reading a user needs, by how the user is named. */
export function userReadPermission(ref: { userId: string } | { externalId: string }): Permission {
  return 'userId' in ref ? 'IdentityStore:getUser' : 'IdentityStore:getUserByExtId';
}

/**
 * Naming a user (e.g. starting a journey for them) reveals and acts on that user, so it needs the
 * permission that reading the user needs, in the caller's own tenant.
 */
export function assertMayNameUser(caller: Caller, ref: { userId: string } | { externalId: string }): void {
  const needed = userReadPermission(ref);
  if (!isAllowed(caller.permissions, caller.tenantId, needed)) {
    throw new KeywayError('FORBIDDEN', `Naming a user needs ${permissionString(caller.tenantId, needed)}`);
  }
}
