// Relying parties of a store: origins, related and top origins, Android and Apple apps, and a preview
// of the well-known files each one publishes. Edits send If-Match.
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { useParams } from 'react-router';
import { api, ifMatch, ok, versioned } from '../../api/client.ts';
import { ApiError } from '../../api/problem.ts';
import type { components } from '../../api/schema.ts';
import { useT } from '../../i18n/i18n.tsx';
import { useCan } from '../../session/use-session.ts';
import { Button, TextField } from '../../ui/controls.tsx';
import { ConfirmButton, FormDialog } from '../../ui/dialogs.tsx';
import { Empty, ErrorMessage, Loading, PageHeader } from '../../ui/feedback.tsx';
import { wellKnownFiles } from './well-known.ts';

type RelyingParty = components['schemas']['RelyingParty'];

interface RpForm {
  id: string;
  name: string;
  origins: string;
  relatedOrigins: string;
  topOrigins: string;
  androidApps: string;
  appleAppIds: string;
}

const EMPTY: RpForm = { id: '', name: '', origins: '', relatedOrigins: '', topOrigins: '', androidApps: '', appleAppIds: '' };
const lines = (text: string) =>
  text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '');

function formOf(rp: RelyingParty): RpForm {
  return {
    id: rp.id,
    name: rp.name,
    origins: rp.origins.join('\n'),
    relatedOrigins: rp.relatedOrigins.join('\n'),
    topOrigins: rp.topOrigins.join('\n'),
    androidApps: rp.androidApps.map((a) => [a.packageName, ...a.sha256CertFingerprints].join(' ')).join('\n'),
    appleAppIds: rp.appleAppIds.join('\n'),
  };
}

function bodyOf(form: RpForm) {
  return {
    name: form.name,
    origins: lines(form.origins),
    relatedOrigins: lines(form.relatedOrigins),
    topOrigins: lines(form.topOrigins),
    androidApps: lines(form.androidApps).map((line) => {
      const [packageName = '', ...sha256CertFingerprints] = line.split(/\s+/);
      return { packageName, sha256CertFingerprints };
    }),
    appleAppIds: lines(form.appleAppIds),
  };
}

export function RelyingPartiesArea() {
  const t = useT();
  const store = useParams().store!;
  const canCreate = useCan('IdentityStore:createRelyingParty');
  const canUpdate = useCan('IdentityStore:updateRelyingParty');
  const canDelete = useCan('IdentityStore:deleteRelyingParty');
  const queryClient = useQueryClient();
  const [editing, setEditing] = useState<{ rp?: RelyingParty } | undefined>();
  const rps = useQuery({
    queryKey: ['relying-parties', store],
    queryFn: () => ok(api.GET('/api/identity-store/stores/{storeName}/passkeys/relyingParties', { params: { path: { storeName: store } } })),
  });
  const remove = useMutation({
    mutationFn: (rpId: string) =>
      ok(api.DELETE('/api/identity-store/stores/{storeName}/passkeys/relyingParties/{rpId}', { params: { path: { storeName: store, rpId } } })),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ['relying-parties', store] }),
  });
  return (
    <>
      <PageHeader
        title={t('rp.title')}
        actions={
          canCreate ? (
            <Button variant="primary" onPress={() => setEditing({})}>
              {t('rp.add')}
            </Button>
          ) : null
        }
      >
        <p className="muted">{t('rp.intro')}</p>
      </PageHeader>
      <ErrorMessage error={rps.error ?? remove.error} />
      {rps.isPending ? <Loading /> : null}
      {rps.data?.items.length === 0 ? <Empty>{t('rp.empty')}</Empty> : null}
      <ul className="card-list">
        {rps.data?.items.map((rp) => (
          <li key={rp.id} className="card">
            <div className="card-head">
              <h2 className="card-title">
                {rp.name} <span className="mono muted">({rp.id})</span>
              </h2>
              <div className="row-actions">
                {canUpdate ? <Button onPress={() => setEditing({ rp })}>{t('common.edit')}</Button> : null}
                {canDelete ? (
                  <ConfirmButton
                    label={t('common.delete')}
                    title={t('common.delete')}
                    message={t('rp.deleteMessage', { id: rp.id })}
                    onConfirm={() => remove.mutateAsync(rp.id)}
                  />
                ) : null}
              </div>
            </div>
            <dl className="details">
              <div>
                <dt>{t('rp.origins')}</dt>
                <dd>{rp.origins.join(', ')}</dd>
              </div>
              <div>
                <dt>{t('rp.relatedOrigins')}</dt>
                <dd>{rp.relatedOrigins.join(', ') || '—'}</dd>
              </div>
              <div>
                <dt>{t('rp.androidApps')}</dt>
                <dd>{rp.androidApps.map((a) => a.packageName).join(', ') || '—'}</dd>
              </div>
              <div>
                <dt>{t('rp.appleAppIds')}</dt>
                <dd>{rp.appleAppIds.join(', ') || '—'}</dd>
              </div>
            </dl>
            <details>
              <summary>{t('rp.wellKnown')}</summary>
              {wellKnownFiles(rp).map((file) => (
                <div key={file.path}>
                  <h3 className="mono">
                    https://{rp.id}
                    {file.path}
                  </h3>
                  <pre className="code-block" tabIndex={0}>
                    {JSON.stringify(file.body, null, 2)}
                  </pre>
                </div>
              ))}
            </details>
          </li>
        ))}
      </ul>
      {editing ? <RpDialog store={store} rp={editing.rp} onClose={() => setEditing(undefined)} /> : null}
    </>
  );
}

function RpDialog({ store, rp, onClose }: { store: string; rp: RelyingParty | undefined; onClose(): void }) {
  const t = useT();
  const queryClient = useQueryClient();
  const [form, setForm] = useState<RpForm>(rp ? formOf(rp) : EMPTY);
  // The ETag of the record as loaded for editing.
  const current = useQuery({
    queryKey: ['relying-party', store, rp?.id],
    enabled: rp !== undefined,
    queryFn: () =>
      versioned(api.GET('/api/identity-store/stores/{storeName}/passkeys/relyingParties/{rpId}', { params: { path: { storeName: store, rpId: rp!.id } } })),
    staleTime: Infinity,
  });
  const save = useMutation({
    mutationFn: () =>
      rp
        ? ok(
            api.PATCH('/api/identity-store/stores/{storeName}/passkeys/relyingParties/{rpId}', {
              params: { path: { storeName: store, rpId: rp.id } },
              headers: ifMatch(current.data?.etag),
              body: bodyOf(form),
            }),
          )
        : ok(
            api.POST('/api/identity-store/stores/{storeName}/passkeys/relyingParties', {
              params: { path: { storeName: store } },
              body: { id: form.id, ...bodyOf(form) },
            }),
          ),
    onSuccess: async () => {
      await queryClient.invalidateQueries({ queryKey: ['relying-parties', store] });
      await queryClient.invalidateQueries({ queryKey: ['relying-party', store] });
      onClose();
    },
  });
  const error = save.error instanceof ApiError ? save.error : undefined;
  const fieldError = (field: string) => error?.problem.errors?.find((e) => e.field === field || e.field.startsWith(`${field}.`))?.message;
  const set = (key: keyof RpForm) => (value: string) => setForm({ ...form, [key]: value });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    save.mutate();
  };
  return (
    <FormDialog title={rp ? t('rp.edit') : t('rp.add')} isOpen onOpenChange={(open) => !open && onClose()}>
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
          <TextField
            label={t('rp.id')}
            value={form.id}
            onChange={set('id')}
            isRequired
            isReadOnly={rp !== undefined}
            description={t('rp.idHelp')}
            error={fieldError('id')}
            autoFocus={!rp}
          />
          <TextField label={t('rp.name')} value={form.name} onChange={set('name')} isRequired error={fieldError('name')} />
        </div>
        <TextField
          label={t('rp.origins')}
          multiline
          rows={3}
          value={form.origins}
          onChange={set('origins')}
          isRequired
          description={t('rp.originsHelp')}
          error={fieldError('origins')}
        />
        <TextField
          label={t('rp.relatedOrigins')}
          multiline
          rows={2}
          value={form.relatedOrigins}
          onChange={set('relatedOrigins')}
          description={t('rp.relatedOriginsHelp')}
          error={fieldError('relatedOrigins')}
        />
        <TextField
          label={t('rp.topOrigins')}
          multiline
          rows={2}
          value={form.topOrigins}
          onChange={set('topOrigins')}
          description={t('rp.topOriginsHelp')}
          error={fieldError('topOrigins')}
        />
        <TextField
          label={t('rp.androidApps')}
          multiline
          rows={2}
          value={form.androidApps}
          onChange={set('androidApps')}
          description={t('rp.androidAppsHelp')}
          error={fieldError('androidApps')}
        />
        <TextField
          label={t('rp.appleAppIds')}
          multiline
          rows={2}
          value={form.appleAppIds}
          onChange={set('appleAppIds')}
          description={t('rp.appleAppIdsHelp')}
          error={fieldError('appleAppIds')}
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
