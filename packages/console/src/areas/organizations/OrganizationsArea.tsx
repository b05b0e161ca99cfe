// Organizations (B2B) of a store: the list, and creating, editing (name and sign-in policy, with If-Match) and
// deleting one. Members and domains are on each organization's own page (OrganizationDetail.tsx).
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { Link, useParams } from 'react-router';
import { api, ifMatch, ok, versioned } from '../../api/client.ts';
import { ApiError } from '../../api/problem.ts';
import type { components } from '../../api/schema.ts';
import { useT } from '../../i18n/i18n.tsx';
import { useCan } from '../../session/use-session.ts';
import { Button, Checkbox, TextField } from '../../ui/controls.tsx';
import { ConfirmButton, FormDialog } from '../../ui/dialogs.tsx';
import { ErrorMessage, PageHeader } from '../../ui/feedback.tsx';
import { PagedTable, usePagedList } from '../../ui/PagedTable.tsx';

export type Organization = components['schemas']['Organization'];

interface OrgForm {
  name: string;
  displayName: string;
  passkeyRequired: boolean;
  deviceBoundOnly: boolean;
  aaguidAllowList: string;
  aaguidDenyList: string;
}

const EMPTY: OrgForm = { name: '', displayName: '', passkeyRequired: false, deviceBoundOnly: false, aaguidAllowList: '', aaguidDenyList: '' };
const lines = (text: string) =>
  text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '');

function formOf(org: Organization): OrgForm {
  return {
    name: org.name,
    displayName: org.displayName ?? '',
    passkeyRequired: org.policy.passkeyRequired,
    deviceBoundOnly: org.policy.deviceBoundOnly,
    aaguidAllowList: org.policy.aaguidAllowList.join('\n'),
    aaguidDenyList: org.policy.aaguidDenyList.join('\n'),
  };
}

function policyOf(form: OrgForm) {
  return {
    passkeyRequired: form.passkeyRequired,
    deviceBoundOnly: form.deviceBoundOnly,
    aaguidAllowList: lines(form.aaguidAllowList),
    aaguidDenyList: lines(form.aaguidDenyList),
  };
}

/** Organizations per request: the API's largest page. */
const PAGE_SIZE = 100;

export function OrganizationsArea() {
  const t = useT();
  const store = useParams().store!;
  const canCreate = useCan('IdentityStore:createOrganization');
  const canUpdate = useCan('IdentityStore:updateOrganization');
  const canDelete = useCan('IdentityStore:deleteOrganization');
  const queryClient = useQueryClient();
  const [editing, setEditing] = useState<{ org?: Organization } | undefined>();
  const orgs = usePagedList(['organizations', store], (cursor) =>
    ok(
      api.GET('/api/identity-store/stores/{storeName}/organizations', {
        params: { path: { storeName: store }, query: { limit: PAGE_SIZE, ...(cursor ? { cursor } : {}) } },
      }),
    ),
  );
  const remove = useMutation({
    mutationFn: (organizationId: string) =>
      ok(api.DELETE('/api/identity-store/stores/{storeName}/organizations/{organizationId}', { params: { path: { storeName: store, organizationId } } })),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ['organizations', store] }),
  });
  return (
    <>
      <PageHeader
        title={t('org.title')}
        actions={
          canCreate ? (
            <Button variant="primary" onPress={() => setEditing({})}>
              {t('org.add')}
            </Button>
          ) : null
        }
      >
        <p className="muted">{t('org.intro')}</p>
      </PageHeader>
      <ErrorMessage error={remove.error} />
      <PagedTable
        list={orgs}
        caption={t('org.title')}
        columns={[
          { header: t('common.name') },
          { header: t('org.passkeyRequired') },
          { header: t('org.deviceBoundOnly') },
          { header: t('common.actions'), hidden: true },
        ]}
        row={(org) => (
          <tr key={org.id}>
            <td>
              <Link to={`/stores/${encodeURIComponent(store)}/organizations/${encodeURIComponent(org.id)}`}>{org.name}</Link>
              {org.displayName ? <span className="muted"> ({org.displayName})</span> : null}
            </td>
            <td>{org.policy.passkeyRequired ? t('org.yes') : t('org.no')}</td>
            <td>{org.policy.deviceBoundOnly ? t('org.yes') : t('org.no')}</td>
            <td>
              <div className="row-actions">
                {canUpdate ? <Button onPress={() => setEditing({ org })}>{t('common.edit')}</Button> : null}
                {canDelete ? (
                  <ConfirmButton
                    label={t('common.delete')}
                    title={t('common.delete')}
                    message={t('org.deleteMessage', { name: org.name })}
                    onConfirm={() => remove.mutateAsync(org.id)}
                  />
                ) : null}
              </div>
            </td>
          </tr>
        )}
        empty={t('org.empty')}
        shown={{ more: 'org.shownMore', all: 'org.shownAll' }}
      />
      {editing ? <OrgDialog store={store} org={editing.org} onClose={() => setEditing(undefined)} /> : null}
    </>
  );
}

export function PolicySummary({ org }: { org: Organization }) {
  const t = useT();
  const yesNo = (value: boolean) => (value ? t('org.yes') : t('org.no'));
  return (
    <dl className="details">
      <div>
        <dt>{t('org.passkeyRequired')}</dt>
        <dd>{yesNo(org.policy.passkeyRequired)}</dd>
      </div>
      <div>
        <dt>{t('org.deviceBoundOnly')}</dt>
        <dd>{yesNo(org.policy.deviceBoundOnly)}</dd>
      </div>
      <div>
        <dt>{t('org.allowListShort')}</dt>
        <dd className="mono">{org.policy.aaguidAllowList.join(', ') || '—'}</dd>
      </div>
      <div>
        <dt>{t('org.denyListShort')}</dt>
        <dd className="mono">{org.policy.aaguidDenyList.join(', ') || '—'}</dd>
      </div>
    </dl>
  );
}

function OrgDialog({ store, org, onClose }: { store: string; org: Organization | undefined; onClose(): void }) {
  const t = useT();
  const queryClient = useQueryClient();
  const [form, setForm] = useState<OrgForm>(org ? formOf(org) : EMPTY);
  // The ETag of the organization as loaded for editing.
  const current = useQuery({
    queryKey: ['organization', store, org?.id],
    enabled: org !== undefined,
    queryFn: () =>
      versioned(
        api.GET('/api/identity-store/stores/{storeName}/organizations/{organizationId}', { params: { path: { storeName: store, organizationId: org!.id } } }),
      ),
    staleTime: Infinity,
  });
  const save = useMutation({
    mutationFn: () =>
      org
        ? ok(
            api.PATCH('/api/identity-store/stores/{storeName}/organizations/{organizationId}', {
              params: { path: { storeName: store, organizationId: org.id } },
              headers: ifMatch(current.data?.etag),
              body: { name: form.name, displayName: form.displayName.trim() === '' ? null : form.displayName, policy: policyOf(form) },
            }),
          )
        : ok(
            api.POST('/api/identity-store/stores/{storeName}/organizations', {
              params: { path: { storeName: store } },
              body: { name: form.name, ...(form.displayName.trim() === '' ? {} : { displayName: form.displayName }), policy: policyOf(form) },
            }),
          ),
    onSuccess: async () => {
      await queryClient.invalidateQueries({ queryKey: ['organizations', store] });
      await queryClient.invalidateQueries({ queryKey: ['organization', store] });
      onClose();
    },
  });
  const error = save.error instanceof ApiError ? save.error : undefined;
  const fieldError = (field: string) => error?.problem.errors?.find((e) => e.field === field || e.field.startsWith(`${field}.`))?.message;
  const set = (key: 'name' | 'displayName' | 'aaguidAllowList' | 'aaguidDenyList') => (value: string) => setForm({ ...form, [key]: value });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    save.mutate();
  };
  return (
    <FormDialog title={org ? t('org.edit') : t('org.add')} isOpen onOpenChange={(open) => !open && onClose()}>
      <form className="form" onSubmit={submit} noValidate>
        <ErrorMessage
          error={error}
          onReload={async () => {
            save.reset();
            const fresh = await current.refetch();
            if (fresh.data) setForm(formOf(fresh.data.data));
          }}
        />
        <div className="form-grid">
          <TextField label={t('org.name')} value={form.name} onChange={set('name')} isRequired error={fieldError('name')} autoFocus />
          <TextField label={t('org.displayName')} value={form.displayName} onChange={set('displayName')} error={fieldError('displayName')} />
        </div>
        <Checkbox isSelected={form.passkeyRequired} onChange={(v) => setForm({ ...form, passkeyRequired: v })} description={t('org.passkeyRequiredHelp')}>
          {t('org.passkeyRequired')}
        </Checkbox>
        <Checkbox isSelected={form.deviceBoundOnly} onChange={(v) => setForm({ ...form, deviceBoundOnly: v })} description={t('org.deviceBoundOnlyHelp')}>
          {t('org.deviceBoundOnly')}
        </Checkbox>
        <TextField
          label={t('org.allowList')}
          multiline
          rows={2}
          value={form.aaguidAllowList}
          onChange={set('aaguidAllowList')}
          description={t('org.allowListHelp')}
          error={fieldError('policy.aaguidAllowList')}
        />
        <TextField
          label={t('org.denyList')}
          multiline
          rows={2}
          value={form.aaguidDenyList}
          onChange={set('aaguidDenyList')}
          description={t('org.denyListHelp')}
          error={fieldError('policy.aaguidDenyList')}
        />
        <div className="form-actions">
          <Button onPress={onClose}>{t('common.cancel')}</Button>
          <Button type="submit" variant="primary" isDisabled={save.isPending}>
            {t('common.save')}
          </Button>
        </div>
      </form>
    </FormDialog>
  );
}
