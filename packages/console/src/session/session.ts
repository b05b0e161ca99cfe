// The operator's browser session: the HttpOnly cookie is the session; /session hands out a short-lived
// bearer token bound to it, which the admin API accepts. The token is kept in memory only (never in
// storage a script could read later) and fetched again shortly before it expires or after a 401.
import { consoleBase } from '../tenant.ts';
import { ApiError, problemFrom } from '../api/problem.ts';

export type Role = 'owner' | 'admin' | 'support' | 'viewer';

export interface Operator {
  id: string;
  displayName: string;
  role: Role;
}

export interface ConsoleSession {
  operator: Operator;
  permissions: string[];
  accessToken: string;
  expiresAt: string;
}

/** Refresh this long before the token's expiry, so a request never leaves with a token about to die. */
const REFRESH_MARGIN_MS = 30_000;

let current: ConsoleSession | undefined;
let pending: Promise<ConsoleSession | undefined> | undefined;
const listeners = new Set<() => void>();

export function onSessionChange(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

function set(session: ConsoleSession | undefined): void {
  current = session;
  for (const listener of listeners) listener();
}

export function currentSession(): ConsoleSession | undefined {
  return current;
}

/** POST/GET to the console's own API (same origin, the cookie goes along); problem+json becomes ApiError. */
export async function consoleApi<T>(path: string, body?: unknown, method = body === undefined ? 'GET' : 'POST'): Promise<T> {
  const response = await fetch(`${consoleBase}/api/${path}`, {
    method,
    credentials: 'same-origin',
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  if (!response.ok) throw await problemFrom(response);
  return (response.status === 204 ? undefined : await response.json()) as T;
}

/** The session from the server; undefined when signed out. One request at a time. */
export function loadSession(): Promise<ConsoleSession | undefined> {
  pending ??= consoleApi<ConsoleSession>('session')
    .then(
      (session) => {
        set(session);
        return session;
      },
      (error: unknown) => {
        if (error instanceof ApiError && error.status === 401) {
          set(undefined);
          return undefined;
        }
        throw error;
      },
    )
    .finally(() => {
      pending = undefined;
    });
  return pending;
}

/** A token valid for at least the refresh margin; undefined when the session has ended. */
export async function accessToken(forceRefresh = false): Promise<string | undefined> {
  if (!forceRefresh && current && Date.parse(current.expiresAt) - Date.now() > REFRESH_MARGIN_MS) return current.accessToken;
  return (await loadSession())?.accessToken;
}

export async function signOut(): Promise<void> {
  await consoleApi<void>('sign-out', {});
  set(undefined);
}

/** After sign-in or enrolment: the cookie is set, so fetch the session it opened. */
export async function sessionStarted(): Promise<ConsoleSession | undefined> {
  return loadSession();
}

/** The role may do this: the session's permissions, `*` wildcards as the server reads them. */
export function can(session: ConsoleSession | undefined, permission: string): boolean {
  if (!session) return false;
  const [service] = permission.split(':');
  return session.permissions.some((granted) => {
    const action = granted.split('#').at(-1) ?? granted;
    return action === '*' || action === permission || action === `${service}:*`;
  });
}
