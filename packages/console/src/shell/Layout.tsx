// The signed-in frame: a skip link, the header (store, preferences, the operator), the navigation
// (a disclosure below 800 px) and the area in <main>.
import { useEffect, useId, useState } from 'react';
import { NavLink, Outlet, useLocation, useNavigate } from 'react-router';
import { useI18n } from '../i18n/i18n.tsx';
import type { MessageKey } from '../i18n/en.ts';
import { signOut } from '../session/session.ts';
import { useSession } from '../session/use-session.ts';
import { Button, SelectField } from '../ui/controls.tsx';
import { rememberStore, useCurrentStore, useStores } from './current-store.tsx';
import { Preferences } from './Preferences.tsx';

interface NavItem {
  label: MessageKey;
  /** A path, or for a store's areas a function of the store's base path (`stores/{store}`, or `store` while unknown). */
  to: string | ((base: string) => string);
}

const NAV_GROUPS: Array<{ title: MessageKey; items: NavItem[] }> = [
  { title: 'nav.group.monitor', items: [{ label: 'nav.overview', to: '/overview' }] },
  {
    title: 'nav.group.identity',
    items: [
      { label: 'nav.stores', to: '/stores' },
      { label: 'nav.users', to: (base) => `/${base}/users` },
      { label: 'nav.relyingParties', to: (base) => `/${base}/relying-parties` },
      { label: 'nav.policies', to: (base) => `/${base}/policies` },
      { label: 'nav.selfService', to: (base) => `/${base}/self-service` },
      { label: 'nav.organizations', to: (base) => `/${base}/organizations` },
    ],
  },
  {
    title: 'nav.group.journeys',
    items: [
      { label: 'nav.journeys', to: '/journeys' },
      { label: 'nav.forms', to: '/forms' },
      { label: 'nav.pages', to: '/pages' },
    ],
  },
  {
    title: 'nav.group.admin',
    items: [
      { label: 'nav.apiClients', to: '/api-clients' },
      { label: 'nav.signingKeys', to: '/signing-keys' },
      { label: 'nav.audit', to: '/audit' },
      { label: 'nav.operators', to: '/operators' },
    ],
  },
];

function StorePicker() {
  const { t } = useI18n();
  const stores = useStores().data?.items ?? [];
  const current = useCurrentStore();
  const navigate = useNavigate();
  const location = useLocation();
  if (stores.length === 0 || !current) return null;
  return (
    <SelectField
      className="field-compact store-picker"
      label={t('shell.store')}
      value={current}
      onChange={(store) => {
        rememberStore(store);
        // Stay in the same area of the other store.
        const match = /\/stores\/[^/]+\/([^/]+)/.exec(location.pathname);
        if (match) navigate(`/stores/${encodeURIComponent(store)}/${match[1]}`);
      }}
      options={stores.map((s) => ({ id: s.name, label: s.displayName ?? s.name }))}
    />
  );
}

export function Layout() {
  const { t } = useI18n();
  const session = useSession();
  const store = useCurrentStore();
  const location = useLocation();
  const navigate = useNavigate();
  const [menuOpen, setMenuOpen] = useState(false);
  const navId = useId();
  useEffect(() => setMenuOpen(false), [location.pathname]);
  useEffect(() => {
    if (store) rememberStore(store);
  }, [store]);
  return (
    <div className="app">
      <a className="skip-link" href="#main">
        {t('shell.skip')}
      </a>
      <header className="topbar">
        <Button className="menu-button" variant="quiet" aria-expanded={menuOpen} aria-controls={navId} onPress={() => setMenuOpen((open) => !open)}>
          {t('shell.menu')}
        </Button>
        <span className="brand">
          <span className="brand-mark" aria-hidden="true">
            K
          </span>
          <span className="brand-name">Keyway</span>
        </span>
        <div className="topbar-tools">
          <StorePicker />
          <Preferences />
          {session ? (
            <div className="operator">
              <NavLink to="/account" className="operator-name">
                {session.operator.displayName}
                <span className="role-badge">{t(`role.${session.operator.role}`)}</span>
              </NavLink>
              <Button
                variant="quiet"
                onPress={async () => {
                  await signOut();
                  navigate('/sign-in', { replace: true });
                }}
              >
                {t('shell.signOut')}
              </Button>
            </div>
          ) : null}
        </div>
      </header>
      <div className="frame">
        <nav id={navId} className={`sidebar${menuOpen ? ' open' : ''}`} aria-label={t('shell.navigation')}>
          {NAV_GROUPS.map((group) => (
            <div key={group.title} className="nav-group">
              <h2 className="nav-group-title">{t(group.title)}</h2>
              <ul>
                {group.items.map((item) => {
                  // Before the stores have loaded, a store's area links to its store-less path, which
                  // forwards to the current store once known (a click in that moment is not lost).
                  const to = typeof item.to === 'string' ? item.to : item.to(store ? `stores/${encodeURIComponent(store)}` : 'store');
                  return (
                    <li key={item.label}>
                      <NavLink to={to} className="nav-link" end={item.label === 'nav.stores'}>
                        {t(item.label)}
                      </NavLink>
                    </li>
                  );
                })}
              </ul>
            </div>
          ))}
        </nav>
        <main id="main" className="content" tabIndex={-1}>
          <Outlet />
        </main>
      </div>
    </div>
  );
}
