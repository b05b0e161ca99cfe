// The console's entry: theme and locale first, then the session, then the routes. Each area is its own
// chunk (React.lazy), so the first load carries only the shell and the sign-in screens.
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { lazy, StrictMode, Suspense, useEffect, useState, type ComponentType, type ReactNode } from 'react';
import { createRoot } from 'react-dom/client';
import { RouterProvider as AriaRouterProvider } from 'react-aria-components';
import { createBrowserRouter, Navigate, Outlet, RouterProvider, useHref, useLocation, useNavigate } from 'react-router';
import { ApiError } from './api/problem.ts';
import { LocaleProvider } from './i18n/i18n.tsx';
import { EnrolScreen, SignInScreen } from './session/AuthScreens.tsx';
import { loadSession } from './session/session.ts';
import { useSession } from './session/use-session.ts';
import { CurrentStoreArea } from './shell/current-store.tsx';
import { Layout } from './shell/Layout.tsx';
import { consoleBase } from './tenant.ts';
import { applyTheme, savedTheme } from './theme.ts';
import { ErrorMessage, Loading } from './ui/feedback.tsx';
import './styles.css';

applyTheme(savedTheme());

function area(load: () => Promise<Record<string, unknown>>, name: string) {
  const Component = lazy(async () => ({ default: (await load())[name] as ComponentType }));
  return (
    <Suspense fallback={<Loading />}>
      <Component />
    </Suspense>
  );
}

const queryClient = new QueryClient({
  defaultOptions: {
    queries: {
      staleTime: 10_000,
      // An edit form keeps what it loaded (and its ETag) until the operator saves or reloads: a refetch
      // behind their back would replace their typing and turn a conflict into a silent overwrite.
      refetchOnWindowFocus: false,
      refetchOnReconnect: false,
      // A refused or missing resource will not appear by asking again.
      retry: (count, error) => !(error instanceof ApiError && error.status < 500) && count < 2,
    },
  },
});

/** Links of React Aria Components navigate through the router. */
function AriaRouting({ children }: { children: ReactNode }) {
  const navigate = useNavigate();
  return (
    <AriaRouterProvider navigate={(to) => void navigate(to)} useHref={useHref}>
      {children}
    </AriaRouterProvider>
  );
}

function RequireSession() {
  const session = useSession();
  const location = useLocation();
  const [state, setState] = useState<'loading' | 'done' | Error>(session ? 'done' : 'loading');
  useEffect(() => {
    if (session) return;
    loadSession().then(
      () => setState('done'),
      (error: Error) => setState(error),
    );
  }, [session]);
  if (state instanceof Error) return <ErrorMessage error={state} />;
  if (state === 'loading' && !session) return <Loading />;
  if (!session) return <Navigate to="/sign-in" replace state={{ from: location.pathname + location.search }} />;
  return (
    <AriaRouting>
      <Layout />
    </AriaRouting>
  );
}

function Root() {
  return (
    <AriaRouting>
      <Outlet />
    </AriaRouting>
  );
}

const router = createBrowserRouter(
  [
    {
      element: <Root />,
      children: [
        { path: 'sign-in', element: <SignInScreen /> },
        { path: 'enrol', element: <EnrolScreen /> },
      ],
    },
    {
      path: '/',
      element: <RequireSession />,
      children: [
        { index: true, element: <Navigate to="/overview" replace /> },
        { path: 'overview', element: area(() => import('./areas/overview/OverviewArea.tsx'), 'OverviewArea') },
        { path: 'stores', element: area(() => import('./areas/stores/StoresArea.tsx'), 'StoresArea') },
        { path: 'store/:area', element: <CurrentStoreArea /> },
        { path: 'stores/:store/users', element: area(() => import('./areas/users/UsersArea.tsx'), 'UsersArea') },
        { path: 'stores/:store/users/:userId', element: area(() => import('./areas/users/UserDetail.tsx'), 'UserDetail') },
        { path: 'stores/:store/relying-parties', element: area(() => import('./areas/relying-parties/RelyingPartiesArea.tsx'), 'RelyingPartiesArea') },
        { path: 'stores/:store/policies', element: area(() => import('./areas/policies/PoliciesArea.tsx'), 'PoliciesArea') },
        { path: 'stores/:store/organizations', element: area(() => import('./areas/organizations/OrganizationsArea.tsx'), 'OrganizationsArea') },
        {
          path: 'stores/:store/organizations/:organizationId',
          element: area(() => import('./areas/organizations/OrganizationDetail.tsx'), 'OrganizationDetail'),
        },
        { path: 'stores/:store/self-service', element: area(() => import('./areas/self-service/SelfServiceArea.tsx'), 'SelfServiceArea') },
        { path: 'journeys', element: area(() => import('./areas/journeys/JourneysArea.tsx'), 'JourneysArea') },
        { path: 'journeys/:journeyId', element: area(() => import('./areas/journeys/JourneyDetail.tsx'), 'JourneyDetail') },
        { path: 'journeys/:journeyId/designer', element: area(() => import('./areas/journeys/designer/JourneyDesigner.tsx'), 'JourneyDesigner') },
        { path: 'forms', element: area(() => import('./areas/content/ContentArea.tsx'), 'FormsArea') },
        { path: 'forms/:name', element: area(() => import('./areas/content/ContentDetail.tsx'), 'FormDetail') },
        { path: 'pages', element: area(() => import('./areas/content/ContentArea.tsx'), 'PagesArea') },
        { path: 'pages/:name', element: area(() => import('./areas/content/ContentDetail.tsx'), 'PageDetail') },
        { path: 'api-clients', element: area(() => import('./areas/api-clients/ApiClientsArea.tsx'), 'ApiClientsArea') },
        { path: 'signing-keys', element: area(() => import('./areas/signing-keys/SigningKeysArea.tsx'), 'SigningKeysArea') },
        { path: 'audit', element: area(() => import('./areas/audit/AuditArea.tsx'), 'AuditArea') },
        { path: 'operators', element: area(() => import('./areas/operators/OperatorsArea.tsx'), 'OperatorsArea') },
        { path: 'account', element: area(() => import('./areas/account/AccountArea.tsx'), 'AccountArea') },
        { path: '*', element: area(() => import('./areas/NotFound.tsx'), 'NotFound') },
      ],
    },
  ],
  { basename: consoleBase },
);

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <LocaleProvider>
      <QueryClientProvider client={queryClient}>
        <RouterProvider router={router} />
      </QueryClientProvider>
    </LocaleProvider>
  </StrictMode>,
);
