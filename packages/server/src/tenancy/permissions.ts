/**
 * Permission strings of API tokens: `TNT#{tenant}#{Service}:{action}`, where `*` may stand for the
 * action (`TNT#acme#IdentityStore:*`) or for the whole `Service:action` (`TNT#acme#*`).
 */
export const TENANT_ID_PATTERN = '^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$';
const PERMISSION = /^TNT#([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)#(\*|[A-Za-z][A-Za-z0-9]*:(?:\*|[A-Za-z][A-Za-z0-9]*))$/;
export const PERMISSION_PATTERN = PERMISSION.source;

export interface ParsedPermission {
  tenant: string;
  service: string; // '*' when the permission covers every service
  action: string; // '*' when it covers every action of the service
}

export function parsePermission(permission: string): ParsedPermission | undefined {
  const match = PERMISSION.exec(permission);
  if (!match) return undefined;
  const [, tenant, rest] = match as unknown as [string, string, string];
  if (rest === '*') return { tenant, service: '*', action: '*' };
  const [service, action] = rest.split(':') as [string, string];
  return { tenant, service, action };
}

export function permissionString(tenant: string, serviceAction: string): string {
  return `TNT#${tenant}#${serviceAction}`;
}

/** Whether one granted permission covers another (itself possibly a wildcard). */
function covers(granted: ParsedPermission, wanted: ParsedPermission): boolean {
  if (granted.tenant !== wanted.tenant) return false;
  if (granted.service === '*') return true;
  if (granted.service !== wanted.service) return false;
  return granted.action === '*' || granted.action === wanted.action;
}

/** Whether the granted set allows `TNT#{tenant}#{serviceAction}`. */
export function isAllowed(granted: readonly string[], tenant: string, serviceAction: string): boolean {
  const wanted = parsePermission(permissionString(tenant, serviceAction));
  if (!wanted) return false;
  return granted.some((g) => {
    const parsed = parsePermission(g);
    return parsed !== undefined && covers(parsed, wanted);
  });
}

/** Whether every permission in `requested` is covered by `granted` (no privilege escalation). */
export function isSubset(requested: readonly string[], granted: readonly string[]): boolean {
  const grantedParsed = granted.map(parsePermission).filter((p) => p !== undefined);
  return requested.every((r) => {
    const wanted = parsePermission(r);
    return wanted !== undefined && grantedParsed.some((g) => covers(g, wanted));
  });
}
