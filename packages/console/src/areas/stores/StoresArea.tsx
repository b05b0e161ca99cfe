// Identity stores: list, add, delete (an empty one).
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { Link } from 'react-router';
import { api, ok } from '../../api/client.ts';
import { ApiError } from '../../api/problem.ts';
import { useI18n } from '../../i18n/i18n.tsx';
import { useCan } from '../../session/use-session.ts';
import { rememberStore } from '../../shell/current-store.tsx';
import { Button, TextField } from '../../ui/controls.tsx';
import { ConfirmButton, FormDialog } from '../../ui/dialogs.tsx';
import { ErrorMessage, PageHeader } from '../../ui/feedback.tsx';
import { PagedTable, usePagedList } from '../../ui/PagedTable.tsx';

/** Stores per request: the API's largest page. */
const PAGE_SIZE = 100;

export function StoresArea() {
  const { t, formatDate } = useI18n();
  const stores = usePagedList(['stores', 'paged'], (cursor) =>
    ok(api.GET('/api/identity-store/stores', { params: { query: { limit: PAGE_SIZE, ...(cursor ? { cursor } : {}) } } })),
  );
  const canCreate = useCan('IdentityStore:createStore');
  const canDelete = useCan('IdentityStore:deleteStore');
  const queryClient = useQueryClient();
  const remove = useMutation({
    mutationFn: (storeName: string) => ok(api.DELETE('/api/identity-store/stores/{storeName}', { params: { path: { storeName } } })),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ['stores'] }),
  });
  return (
    <>
      <PageHeader title={t('stores.title')} actions={canCreate ? <AddStore /> : null}>
        <p className="muted">{t('stores.intro')}</p>
      </PageHeader>
      <ErrorMessage error={remove.error} />
      <PagedTable
        list={stores}
        caption={t('stores.title')}
        columns={[
          { header: t('stores.name') },
          { header: t('stores.displayName') },
          { header: t('nav.selfService') },
          { header: t('common.created') },
          { header: t('common.actions'), hidden: true },
        ]}
        row={(store) => (
          <tr key={store.name}>
            <td>
              <Link
                to={`/stores/${encodeURIComponent(store.name)}/users`}
                onClick={() => rememberStore(store.name)}
                aria-label={t('stores.open', { store: store.name })}
              >
                {store.name}
              </Link>
            </td>
            <td>{store.displayName ?? '—'}</td>
            <td>{store.selfService?.enabled ? t('common.enabled') : t('common.disabled')}</td>
            <td>{formatDate(store.createdAt)}</td>
            <td>
              <div className="row-actions">
                {canDelete ? (
                  <ConfirmButton
                    label={t('common.delete')}
                    title={t('stores.delete')}
                    message={t('stores.deleteMessage', { store: store.name })}
                    onConfirm={() => remove.mutateAsync(store.name)}
                  />
                ) : null}
              </div>
            </td>
          </tr>
        )}
        empty={t('stores.empty')}
        shown={{ more: 'stores.shownMore', all: 'stores.shownAll' }}
      />
    </>
  );
}

function AddStore() {
  const { t } = useI18n();
  const [open, setOpen] = useState(false);
  const [name, setName] = useState('');
  const [displayName, setDisplayName] = useState('');
  const queryClient = useQueryClient();
  const create = useMutation({
    mutationFn: () => ok(api.POST('/api/identity-store/stores', { body: { name, ...(displayName ? { displayName } : {}) } })),
    onSuccess: async () => {
      rememberStore(name);
      await queryClient.invalidateQueries({ queryKey: ['stores'] });
      setOpen(false);
      setName('');
      setDisplayName('');
    },
  });
  const error = create.error instanceof ApiError ? create.error : undefined;
  const submit = (e: FormEvent) => {
    e.preventDefault();
    create.mutate();
  };
  return (
    <>
      <Button variant="primary" onPress={() => setOpen(true)}>
        {t('stores.add')}
      </Button>
      <FormDialog title={t('stores.add')} isOpen={open} onOpenChange={setOpen}>
        <form className="form" onSubmit={submit} noValidate>
          <ErrorMessage error={error} />
          <TextField
            label={t('stores.name')}
            value={name}
            onChange={setName}
            isRequired
            description={t('stores.nameHelp')}
            error={error?.fieldMessage('name')}
            autoFocus
          />
          <TextField label={t('stores.displayName')} value={displayName} onChange={setDisplayName} error={error?.fieldMessage('displayName')} />
          <div className="form-actions">
            <Button onPress={() => setOpen(false)}>{t('common.cancel')}</Button>
            <Button type="submit" variant="primary" isDisabled={create.isPending}>
              {t('common.save')}
            </Button>
          </div>
        </form>
      </FormDialog>
    </>
  );
}
