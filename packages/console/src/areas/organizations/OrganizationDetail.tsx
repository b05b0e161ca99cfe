// One organization of a store: its sign-in policy, its members (a user of the store found by user key, with
// roles that can be changed) and the e-mail domains it claims (marked verified here: Keyway makes no DNS query).
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { Link, useParams } from 'react-router';
import { api, ok } from '../../api/client.ts';
import { ApiError } from '../../api/problem.ts';
import { useT } from '../../i18n/i18n.tsx';
import { useCan } from '../../session/use-session.ts';
import { Button, TextField } from '../../ui/controls.tsx';
import { ConfirmButton } from '../../ui/dialogs.tsx';
import { ErrorMessage, Loading, PageHeader } from '../../ui/feedback.tsx';
import { PolicySummary } from './OrganizationsArea.tsx';

const roleList = (text: string) => [...new Set(text.split(/[\s,]+/).filter((r) => r !== ''))];

export function OrganizationDetail() {
  const t = useT();
  const store = useParams().store!;
  const organizationId = useParams().organizationId!;
  const path = { storeName: store, organizationId };
  const org = useQuery({
    queryKey: ['organization-detail', store, organizationId],
    queryFn: () => ok(api.GET('/api/identity-store/stores/{storeName}/organizations/{organizationId}', { params: { path } })),
  });
  return (
    <>
      <PageHeader title={org.data?.name ?? t('org.title')}>
        <p>
          <Link to={`/stores/${encodeURIComponent(store)}/organizations`}>{t('org.back')}</Link>
        </p>
      </PageHeader>
      <ErrorMessage error={org.error} />
      {org.isPending ? <Loading /> : null}
      {org.data ? (
        <div className="card-list">
          <section className="card" aria-labelledby="org-policy">
            <h2 id="org-policy" className="card-title">
              {t('org.policy')}
            </h2>
            <PolicySummary org={org.data} />
          </section>
          <Members store={store} organizationId={organizationId} />
          <Domains store={store} organizationId={organizationId} />
        </div>
      ) : null}
    </>
  );
}

function Members({ store, organizationId }: { store: string; organizationId: string }) {
  const t = useT();
  const queryClient = useQueryClient();
  const canAdd = useCan('IdentityStore:addOrganizationMember');
  const canUpdate = useCan('IdentityStore:updateOrganizationMember');
  const canRemove = useCan('IdentityStore:removeOrganizationMember');
  const path = { storeName: store, organizationId };
  const [userKey, setUserKey] = useState('');
  const [roles, setRoles] = useState('');
  const [editing, setEditing] = useState<{ userId: string; roles: string } | undefined>();
  const key = ['organization-members', store, organizationId];
  const members = useQuery({
    queryKey: key,
    queryFn: () => ok(api.GET('/api/identity-store/stores/{storeName}/organizations/{organizationId}/members', { params: { path, query: { limit: 200 } } })),
  });
  // A membership or domain change is a new version of the organization: its edit form must load the new ETag.
  const refresh = () =>
    Promise.all([queryClient.invalidateQueries({ queryKey: key }), queryClient.invalidateQueries({ queryKey: ['organization', store, organizationId] })]);
  const add = useMutation({
    mutationFn: async () => {
      const found = await ok(api.GET('/api/identity-store/stores/{storeName}/users', { params: { path: { storeName: store }, query: { userKey } } }));
      const user = found.items[0];
      if (!user) throw new Error(t('org.noSuchUser', { userKey }));
      return ok(
        api.POST('/api/identity-store/stores/{storeName}/organizations/{organizationId}/members', {
          params: { path },
          body: { userId: user.id, roles: roleList(roles) },
        }),
      );
    },
    onSuccess: async () => {
      setUserKey('');
      setRoles('');
      await refresh();
    },
  });
  const update = useMutation({
    mutationFn: (change: { userId: string; roles: string }) =>
      ok(
        api.PUT('/api/identity-store/stores/{storeName}/organizations/{organizationId}/members/{userId}', {
          params: { path: { ...path, userId: change.userId } },
          body: { roles: roleList(change.roles) },
        }),
      ),
    onSuccess: async () => {
      setEditing(undefined);
      await refresh();
    },
  });
  const remove = useMutation({
    mutationFn: (userId: string) =>
      ok(api.DELETE('/api/identity-store/stores/{storeName}/organizations/{organizationId}/members/{userId}', { params: { path: { ...path, userId } } })),
    onSuccess: refresh,
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    add.mutate();
  };
  const addError = add.error instanceof ApiError ? add.error : undefined;
  return (
    <section className="card" aria-labelledby="org-members">
      <h2 id="org-members" className="card-title">
        {t('org.members')}
      </h2>
      <ErrorMessage error={members.error ?? add.error ?? update.error ?? remove.error} />
      {members.data?.items.length === 0 ? <p className="muted">{t('org.noMembers')}</p> : null}
      {members.data && members.data.items.length > 0 ? (
        <div className="table-wrap" tabIndex={0}>
          <table className="table">
            <caption className="visually-hidden">{t('org.members')}</caption>
            <thead>
              <tr>
                <th scope="col">{t('org.userKey')}</th>
                <th scope="col">{t('org.roles')}</th>
                <th scope="col">
                  <span className="visually-hidden">{t('org.actions')}</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {members.data.items.map((member) => (
                <tr key={member.userId}>
                  <td>{member.userKey ?? member.userId}</td>
                  <td>
                    {editing?.userId === member.userId ? (
                      <TextField
                        label={t('org.rolesOf', { user: member.userKey ?? member.userId })}
                        value={editing.roles}
                        onChange={(value) => setEditing({ userId: member.userId, roles: value })}
                      />
                    ) : (
                      member.roles.join(', ') || '—'
                    )}
                  </td>
                  <td className="row-actions">
                    {canUpdate && editing?.userId === member.userId ? (
                      <Button variant="primary" onPress={() => update.mutate(editing)}>
                        {t('common.save')}
                      </Button>
                    ) : canUpdate ? (
                      <Button onPress={() => setEditing({ userId: member.userId, roles: member.roles.join(', ') })}>{t('org.changeRoles')}</Button>
                    ) : null}
                    {canRemove ? (
                      <ConfirmButton
                        label={t('org.remove')}
                        title={t('org.remove')}
                        message={t('org.removeMessage', { user: member.userKey ?? member.userId })}
                        confirmLabel={t('org.remove')}
                        onConfirm={() => remove.mutateAsync(member.userId)}
                      />
                    ) : null}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      {canAdd ? (
        <form className="form" onSubmit={submit} noValidate>
          <TextField label={t('org.userKey')} value={userKey} onChange={setUserKey} isRequired error={addError?.fieldMessage('userId')} />
          <TextField label={t('org.roles')} value={roles} onChange={setRoles} description={t('org.rolesHelp')} error={addError?.fieldMessage('roles.0')} />
          <div className="form-actions">
            <Button type="submit" variant="primary" isDisabled={add.isPending || userKey.trim() === ''}>
              {t('org.addMember')}
            </Button>
          </div>
        </form>
      ) : null}
    </section>
  );
}

function Domains({ store, organizationId }: { store: string; organizationId: string }) {
  const t = useT();
  const queryClient = useQueryClient();
  const canManage = useCan('IdentityStore:manageOrganizationDomains');
  const canVerify = useCan('IdentityStore:verifyOrganizationDomain');
  const path = { storeName: store, organizationId };
  const [domain, setDomain] = useState('');
  const key = ['organization-domains', store, organizationId];
  const domains = useQuery({
    queryKey: key,
    queryFn: () => ok(api.GET('/api/identity-store/stores/{storeName}/organizations/{organizationId}/domains', { params: { path, query: { limit: 200 } } })),
  });
  // A membership or domain change is a new version of the organization: its edit form must load the new ETag.
  const refresh = () =>
    Promise.all([queryClient.invalidateQueries({ queryKey: key }), queryClient.invalidateQueries({ queryKey: ['organization', store, organizationId] })]);
  const add = useMutation({
    mutationFn: () => ok(api.POST('/api/identity-store/stores/{storeName}/organizations/{organizationId}/domains', { params: { path }, body: { domain } })),
    onSuccess: async () => {
      setDomain('');
      await refresh();
    },
  });
  const verify = useMutation({
    mutationFn: (name: string) =>
      ok(
        api.POST('/api/identity-store/stores/{storeName}/organizations/{organizationId}/domains/{domain}/verify', {
          params: { path: { ...path, domain: name } },
        }),
      ),
    onSuccess: refresh,
  });
  const remove = useMutation({
    mutationFn: (name: string) =>
      ok(api.DELETE('/api/identity-store/stores/{storeName}/organizations/{organizationId}/domains/{domain}', { params: { path: { ...path, domain: name } } })),
    onSuccess: refresh,
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    add.mutate();
  };
  const addError = add.error instanceof ApiError ? add.error : undefined;
  return (
    <section className="card" aria-labelledby="org-domains">
      <h2 id="org-domains" className="card-title">
        {t('org.domains')}
      </h2>
      <p className="muted">{t('org.domainsIntro')}</p>
      <ErrorMessage error={domains.error ?? (addError?.fieldMessage('domain') ? undefined : add.error) ?? verify.error ?? remove.error} />
      {domains.data?.items.length === 0 ? <p className="muted">{t('org.noDomains')}</p> : null}
      <ul className="card-list">
        {domains.data?.items.map((d) => (
          <li key={d.domain} className="card">
            <div className="card-head">
              <h3 className="card-title mono">{d.domain}</h3>
              <div className="row-actions">
                {d.verified ? (
                  <span className="badge badge-active">{t('org.verified')}</span>
                ) : (
                  <span className="badge badge-pending">{t('org.unverified')}</span>
                )}
                {canVerify && !d.verified ? <Button onPress={() => verify.mutate(d.domain)}>{t('org.markVerified')}</Button> : null}
                {canManage ? (
                  <ConfirmButton
                    label={t('org.remove')}
                    title={t('org.remove')}
                    message={t('org.removeDomainMessage', { domain: d.domain })}
                    confirmLabel={t('org.remove')}
                    onConfirm={() => remove.mutateAsync(d.domain)}
                  />
                ) : null}
              </div>
            </div>
            {d.verified ? null : (
              <pre className="code-block" tabIndex={0}>
                {d.verificationRecord}
              </pre>
            )}
          </li>
        ))}
      </ul>
      {canManage ? (
        <form className="form" onSubmit={submit} noValidate>
          <TextField label={t('org.domain')} value={domain} onChange={setDomain} isRequired error={addError?.fieldMessage('domain')} />
          <div className="form-actions">
            <Button type="submit" variant="primary" isDisabled={add.isPending || domain.trim() === ''}>
              {t('org.addDomain')}
            </Button>
          </div>
        </form>
      ) : null}
    </section>
  );
}
