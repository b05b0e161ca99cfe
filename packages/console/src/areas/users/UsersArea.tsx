// Users of one store: search (user key, e-mail, external id, name), the list a page at a time ("Show more" follows
// the API's cursor, with the search kept), and "Add user".
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Link, useNavigate, useParams, useSearchParams } from 'react-router';
import { SearchField, Input, Label } from 'react-aria-components';
import { api, ok } from '../../api/client.ts';
import { useT } from '../../i18n/i18n.tsx';
import { useCan } from '../../session/use-session.ts';
import { Button } from '../../ui/controls.tsx';
import { FormDialog } from '../../ui/dialogs.tsx';
import { PageHeader } from '../../ui/feedback.tsx';
import { PagedTable, usePagedList } from '../../ui/PagedTable.tsx';
import { UserForm } from './UserForm.tsx';
import { createRequest, EMPTY_USER_FORM, type User } from './user-form.ts';
import { StatusBadge } from './StatusBadge.tsx';

/** Users per request: the API's largest page. */
const PAGE_SIZE = 100;

function displayName(user: User): string {
  return [user.firstName, user.lastName].filter(Boolean).join(' ');
}

export function UsersArea() {
  const t = useT();
  const store = useParams().store!;
  const [params, setParams] = useSearchParams();
  const q = params.get('q') ?? '';
  const [search, setSearch] = useState(q);
  const canCreate = useCan('IdentityStore:createUser');
  const users = usePagedList(['users', store, q], (cursor) =>
    ok(
      api.GET('/api/identity-store/stores/{storeName}/users', {
        // `q` searches user key, e-mail, external id and name; every status is listed.
        params: { path: { storeName: store }, query: { limit: PAGE_SIZE, ...(q ? { q } : {}), ...(cursor ? { cursor } : {}) } },
      }),
    ),
  );
  return (
    <>
      <PageHeader title={t('users.title')} actions={canCreate ? <AddUser store={store} /> : null}>
        <p className="muted">{t('users.intro', { store })}</p>
      </PageHeader>
      <form
        role="search"
        className="search-row"
        onSubmit={(e) => {
          e.preventDefault();
          setParams(search ? { q: search } : {});
        }}
      >
        <SearchField className="field search-field" value={search} onChange={setSearch} onClear={() => setParams({})}>
          <Label>{t('users.search')}</Label>
          <Input placeholder={t('users.searchPlaceholder')} />
        </SearchField>
        <Button type="submit">{t('common.search')}</Button>
      </form>
      <PagedTable
        list={users}
        caption={t('users.title')}
        columns={[{ header: t('user.userKey') }, { header: t('users.name') }, { header: t('user.email') }, { header: t('user.status') }]}
        row={(user) => (
          <tr key={user.id}>
            <td>
              <Link to={`/stores/${encodeURIComponent(store)}/users/${encodeURIComponent(user.id)}`}>{user.userKey}</Link>
            </td>
            <td>{displayName(user) || '—'}</td>
            <td>{user.email ?? '—'}</td>
            <td>
              <StatusBadge status={user.status} />
            </td>
          </tr>
        )}
        empty={q ? t('users.noMatch', { q }) : t('users.empty')}
        shown={{ more: 'users.shownMore', all: 'users.shownAll' }}
      />
    </>
  );
}

function AddUser({ store }: { store: string }) {
  const t = useT();
  const [open, setOpen] = useState(false);
  const [values, setValues] = useState(EMPTY_USER_FORM);
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const create = useMutation({
    mutationFn: () => ok(api.POST('/api/identity-store/stores/{storeName}/users', { params: { path: { storeName: store } }, body: createRequest(values) })),
    onSuccess: async (user) => {
      await queryClient.invalidateQueries({ queryKey: ['users', store] });
      setOpen(false);
      setValues(EMPTY_USER_FORM);
      navigate(`/stores/${encodeURIComponent(store)}/users/${encodeURIComponent(user.id)}`);
    },
  });
  return (
    <>
      <Button variant="primary" onPress={() => setOpen(true)}>
        {t('users.add')}
      </Button>
      <FormDialog
        title={t('users.addTitle')}
        isOpen={open}
        onOpenChange={(next) => {
          setOpen(next);
          if (!next) create.reset();
        }}
      >
        <UserForm
          values={values}
          onChange={setValues}
          onSubmit={() => create.mutate()}
          error={create.error}
          actions={
            <>
              <Button onPress={() => setOpen(false)}>{t('common.cancel')}</Button>
              <Button type="submit" variant="primary" isDisabled={create.isPending}>
                {t('common.save')}
              </Button>
            </>
          }
        />
      </FormDialog>
    </>
  );
}
