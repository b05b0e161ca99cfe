// One user: profile (edit with If-Match, status, delete), passkeys, bound devices, recovery link with a QR code,
// browser sessions and the user's audit trail. The tab is in the URL (?tab=passkeys), so each is a deep link.
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { Link, useNavigate, useParams, useSearchParams } from 'react-router';
import { Tab, TabList, TabPanel, Tabs } from 'react-aria-components';
import { api, ifMatch, ok, versioned } from '../../api/client.ts';
import { useI18n } from '../../i18n/i18n.tsx';
import { useCan } from '../../session/use-session.ts';
import { Button } from '../../ui/controls.tsx';
import { ConfirmButton } from '../../ui/dialogs.tsx';
import { ErrorMessage, Loading, Notice, PageHeader } from '../../ui/feedback.tsx';
import { StatusBadge } from './StatusBadge.tsx';
import { UserForm } from './UserForm.tsx';
import { formFromUser, updateRequest, type UserFormValues } from './user-form.ts';
import { UserPasskeys } from './UserPasskeys.tsx';
import { RecoveryLink } from './RecoveryLink.tsx';
import { UserSessions } from './UserSessions.tsx';
import { UserDevices } from './UserDevices.tsx';
import { AuditTrail } from '../audit/AuditTrail.tsx';

const TABS = ['profile', 'passkeys', 'devices', 'recovery', 'sessions', 'audit'] as const;
type TabId = (typeof TABS)[number];

export function UserDetail() {
  const { t } = useI18n();
  const store = useParams().store!;
  const userId = useParams().userId!;
  const [params, setParams] = useSearchParams();
  const tab = (TABS as readonly string[]).includes(params.get('tab') ?? '') ? (params.get('tab') as TabId) : 'profile';
  const user = useQuery({
    queryKey: ['user', store, userId],
    queryFn: () => versioned(api.GET('/api/identity-store/stores/{storeName}/users/{userId}', { params: { path: { storeName: store, userId } } })),
    // Refetched only when this console saved or the operator asks to reload (see the conflict message).
    staleTime: Infinity,
  });
  if (user.isPending) return <Loading />;
  if (user.error) return <ErrorMessage error={user.error} />;
  const data = user.data.data;
  const usersPath = `/stores/${encodeURIComponent(store)}/users`;
  return (
    <>
      <nav aria-label={t('common.breadcrumbs')} className="breadcrumbs">
        <Link to={usersPath}>{t('users.title')}</Link> <span aria-hidden="true">/</span> <span aria-current="page">{data.userKey}</span>
      </nav>
      <PageHeader title={data.userKey}>
        <p className="muted">
          <StatusBadge status={data.status} /> <span>{t('user.idLabel', { id: data.id })}</span>
        </p>
      </PageHeader>
      <Tabs selectedKey={tab} onSelectionChange={(key) => setParams(key === 'profile' ? {} : { tab: String(key) }, { replace: true })} className="tabs">
        <TabList aria-label={t('user.sections')} className="tab-list">
          {TABS.map((id) => (
            <Tab key={id} id={id} className="tab">
              {t(`user.tab.${id}`)}
            </Tab>
          ))}
        </TabList>
        <TabPanel id="profile" className="tab-panel">
          <Profile store={store} userId={userId} loaded={user.data} onReload={() => void user.refetch()} />
        </TabPanel>
        <TabPanel id="passkeys" className="tab-panel">
          <UserPasskeys store={store} userId={userId} />
        </TabPanel>
        <TabPanel id="devices" className="tab-panel">
          <UserDevices store={store} userId={userId} />
        </TabPanel>
        <TabPanel id="recovery" className="tab-panel">
          <RecoveryLink store={store} userId={userId} />
        </TabPanel>
        <TabPanel id="sessions" className="tab-panel">
          <UserSessions store={store} userId={userId} />
        </TabPanel>
        <TabPanel id="audit" className="tab-panel">
          <AuditTrail target={userId} />
        </TabPanel>
      </Tabs>
    </>
  );
}

function Profile({
  store,
  userId,
  loaded,
  onReload,
}: {
  store: string;
  userId: string;
  loaded: { data: Parameters<typeof formFromUser>[0]; etag: string | undefined };
  onReload(): void;
}) {
  const { t } = useI18n();
  const canEdit = useCan('IdentityStore:updateUser');
  const canDelete = useCan('IdentityStore:deleteUser');
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const [before, setBefore] = useState<UserFormValues>(() => formFromUser(loaded.data));
  const [values, setValues] = useState<UserFormValues>(before);
  const [saved, setSaved] = useState(false);
  // A reload after a conflict shows the current record.
  useEffect(() => {
    const fresh = formFromUser(loaded.data);
    setBefore(fresh);
    setValues(fresh);
  }, [loaded]);
  const path = { storeName: store, userId };
  const save = useMutation({
    mutationFn: (changes: ReturnType<typeof updateRequest>) =>
      ok(api.PATCH('/api/identity-store/stores/{storeName}/users/{userId}', { params: { path }, headers: ifMatch(loaded.etag), body: changes })),
    onSuccess: async () => {
      setSaved(true);
      await queryClient.invalidateQueries({ queryKey: ['user', store, userId] });
      await queryClient.invalidateQueries({ queryKey: ['users', store] });
    },
  });
  const remove = useMutation({
    mutationFn: () => ok(api.DELETE('/api/identity-store/stores/{storeName}/users/{userId}', { params: { path } })),
    onSuccess: async () => {
      await queryClient.invalidateQueries({ queryKey: ['users', store] });
      navigate(`/stores/${encodeURIComponent(store)}/users`);
    },
  });
  const submit = (changes: ReturnType<typeof updateRequest>) => {
    setSaved(false);
    if (Object.keys(changes).length > 0) save.mutate(changes);
  };
  if (!canEdit) {
    return (
      <dl className="details">
        {(['userKey', 'externalId', 'email', 'firstName', 'lastName', 'dateOfBirth', 'timezone', 'type'] as const).map((key) => (
          <div key={key}>
            <dt>{t(`user.${key}`)}</dt>
            <dd>{values[key] || '—'}</dd>
          </div>
        ))}
      </dl>
    );
  }
  const setStatus = (status: UserFormValues['status']) => submit({ status });
  return (
    <>
      {saved && !save.isPending ? <Notice>{t('common.saved')}</Notice> : null}
      <UserForm
        values={values}
        onChange={setValues}
        onSubmit={() => submit(updateRequest(before, values))}
        error={save.error ?? remove.error}
        onReload={() => {
          save.reset();
          onReload();
        }}
        actions={
          <>
            <Button type="submit" variant="primary" isDisabled={save.isPending}>
              {t('common.save')}
            </Button>
            {before.status !== 'locked' ? <Button onPress={() => setStatus('locked')}>{t('user.lock')}</Button> : null}
            {before.status !== 'disabled' ? <Button onPress={() => setStatus('disabled')}>{t('user.disable')}</Button> : null}
            {before.status !== 'active' ? <Button onPress={() => setStatus('active')}>{t('user.activate')}</Button> : null}
            {canDelete ? (
              <ConfirmButton
                label={t('user.delete')}
                title={t('user.deleteTitle')}
                message={t('user.deleteMessage', { user: before.userKey })}
                onConfirm={() => remove.mutateAsync()}
              />
            ) : null}
          </>
        }
      />
    </>
  );
}
