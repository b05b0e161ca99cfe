// Users, relying parties, policies and self-service belong to an identity store. The store is part of
// those areas' URLs (deep links keep it); the last one used is remembered for the navigation links.
import { useQuery } from '@tanstack/react-query';
import { Navigate, useParams } from 'react-router';
import { api, ok } from '../api/client.ts';
import { ErrorMessage, Loading } from '../ui/feedback.tsx';

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

/**
 * `/store/{area}`: the area of the current store, once the stores have loaded (the navigation links
 * here until then); the Stores list when there is none yet.
 */
export function CurrentStoreArea() {
  const { area } = useParams();
  const stores = useStores();
  const store = useCurrentStore();
  if (stores.error) return <ErrorMessage error={stores.error} />;
  if (stores.isPending) return <Loading />;
  return <Navigate replace to={store ? `/stores/${encodeURIComponent(store)}/${area ?? ''}` : '/stores'} />;
}
