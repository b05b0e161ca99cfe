// Users, relying parties, policies and self-service belong to an identity store. The store is part of
// those areas' URLs (deep links keep it); the last one used is remembered for the navigation links.
import { useQuery } from '@tanstack/react-query';
import { useParams } from 'react-router';
import { api, ok } from '../api/client.ts';

const STORAGE_KEY = 'keyway.console.store';

export function rememberStore(store: string): void {
  window.localStorage.setItem(STORAGE_KEY, store);
}

export function useStores() {
  return useQuery({ queryKey: ['stores'], queryFn: () => ok(api.GET('/api/identity-store/stores', { params: { query: { limit: 200 } } })) });
}

/** The store in the URL, else the one last used (when it still exists), else the first. */
export function useCurrentStore(): string | undefined {
  const { store } = useParams();
  const stores = useStores().data?.items ?? [];
  if (store) return store;
  const remembered = window.localStorage.getItem(STORAGE_KEY);
  if (remembered && stores.some((s) => s.name === remembered)) return remembered;
  return stores[0]?.name;
}
