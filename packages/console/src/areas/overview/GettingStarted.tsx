// What a new tenant needs before its users can sign in, in order, each step a link to where it is done and ticked
// once it is: a store, a relying party, the two policies, self-service, a first user. Shown on Overview until all
// are done, so the first visit has a way in instead of a page of zeros. The lists come from the same queries (and
// cache) as their own areas.
import { useQuery } from '@tanstack/react-query';
import { Link } from 'react-router';
import { api, ok } from '../../api/client.ts';
import type { MessageKey } from '../../i18n/en.ts';
import { useT } from '../../i18n/i18n.tsx';
import { useCurrentStore, useStores } from '../../shell/current-store.tsx';

export function GettingStarted({ users }: { users: number }) {
  const t = useT();
  const stores = useStores();
  const store = useCurrentStore();
  const storeName = store ?? '';
  const path = { storeName };
  const rps = useQuery({
    queryKey: ['relying-parties', storeName],
    enabled: store !== undefined,
    queryFn: () => ok(api.GET('/api/identity-store/stores/{storeName}/passkeys/relyingParties', { params: { path } })),
  });
  const registration = useQuery({
    queryKey: ['policies', 'registration', storeName],
    enabled: store !== undefined,
    queryFn: () => ok(api.GET('/api/identity-store/stores/{storeName}/passkeys/registrationPolicies', { params: { path } })),
  });
  const authentication = useQuery({
    queryKey: ['policies', 'authentication', storeName],
    enabled: store !== undefined,
    queryFn: () => ok(api.GET('/api/identity-store/stores/{storeName}/passkeys/authenticationPolicies', { params: { path } })),
  });
  if (stores.isPending || (store !== undefined && (rps.isPending || registration.isPending || authentication.isPending))) return null;
  const current = stores.data?.items.find((s) => s.name === store);
  const inStore = (area: string) => (store ? `/stores/${encodeURIComponent(store)}/${area}` : '/stores');
  const steps: Array<{ label: MessageKey; to: string; done: boolean }> = [
    { label: 'start.store', to: '/stores', done: current !== undefined },
    { label: 'start.relyingParty', to: inStore('relying-parties'), done: (rps.data?.items.length ?? 0) > 0 },
    {
      label: 'start.policies',
      to: inStore('policies'),
      done: (registration.data?.items.length ?? 0) > 0 && (authentication.data?.items.length ?? 0) > 0,
    },
    { label: 'start.selfService', to: inStore('self-service'), done: current?.selfService?.enabled === true },
    { label: 'start.user', to: inStore('users'), done: users > 0 },
  ];
  if (steps.every((step) => step.done)) return null;
  return (
    <section className="panel getting-started" aria-labelledby="start-title">
      <h2 id="start-title">{t('start.title')}</h2>
      <p className="muted">{t('start.intro')}</p>
      <ol className="start-steps">
        {steps.map((step) => (
          <li key={step.label} className={step.done ? 'start-done' : undefined}>
            <span className="start-mark" aria-hidden="true">
              {step.done ? '✓' : ''}
            </span>
            <Link to={step.to}>{t(step.label)}</Link>
            {step.done ? <span className="badge badge-active">{t('start.done')}</span> : null}
          </li>
        ))}
      </ol>
    </section>
  );
}
