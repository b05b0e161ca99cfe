import { PERMISSIONS, type Permission } from '../tenancy/permission-catalogue.ts';
import { permissionString } from '../tenancy/permissions.ts';

/** The roles of console operators, strongest first. */
export const OPERATOR_ROLES = ['owner', 'admin', 'support', 'viewer'] as const;
export type OperatorRole = (typeof OPERATOR_ROLES)[number];

export function isOperatorRole(value: unknown): value is OperatorRole {
  return typeof value === 'string' && (OPERATOR_ROLES as readonly string[]).includes(value);
}

/** What a support operator does: read users, their passkeys and the audit log, issue and revoke recovery links, end browser sessions, revoke bound devices. */
const SUPPORT: readonly Permission[] = [
  'IdentityStore:listStores',
  'IdentityStore:getStore',
  'IdentityStore:listUsers',
  'IdentityStore:getUser',
  'IdentityStore:getUserByExtId',
  'IdentityStore:listPasskeys',
  'IdentityStore:getPasskey',
  'IdentityStore:listUserSessions',
  'IdentityStore:revokeUserSession',
  'IdentityStore:createRecoveryLink',
  'IdentityStore:revokeRecoveryLinks',
  'IdentityStore:listDevices',
  'IdentityStore:revokeDevice',
  'Audit:listEvents',
  'Console:getOverview',
];

/** Reading only: every `list…` and `get…` permission of the catalogue, and the audit log. */
function readOnly(): Permission[] {
  return PERMISSIONS.filter((p) => /^[A-Za-z]+:(list|get)[A-Z]/.test(p) || p === 'Audit:listEvents');
}

/**
 * The permission strings a role holds in its tenant. An owner holds `TNT#{tenant}#*`, everything;
 * an admin holds every permission of the catalogue named one by one: the same operations, but not
 * the wildcard, which managing owners needs (and which an admin therefore cannot hand to an API
 * client either, because a client may only be given permissions its creator holds).
 */
export function permissionsOfRole(tenantId: string, role: OperatorRole): string[] {
  switch (role) {
    case 'owner':
      return [permissionString(tenantId, '*')];
    case 'admin':
      return PERMISSIONS.map((p) => permissionString(tenantId, p));
    case 'support':
      return SUPPORT.map((p) => permissionString(tenantId, p));
    case 'viewer':
      return readOnly().map((p) => permissionString(tenantId, p));
  }
}
