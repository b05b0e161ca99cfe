import { useSyncExternalStore } from 'react';
import { can, currentSession, onSessionChange, type ConsoleSession } from './session.ts';

export function useSession(): ConsoleSession | undefined {
  return useSyncExternalStore(onSessionChange, currentSession);
}

/** Whether the signed-in operator's role grants this permission (`IdentityStore:createUser`). */
export function useCan(permission: string): boolean {
  return can(useSession(), permission);
}
