// Lists of custom forms and custom pages, and creating one from a starter.
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { Link, useNavigate } from 'react-router';
import { ApiError } from '../../api/problem.ts';
import { useI18n } from '../../i18n/i18n.tsx';
import { useCan } from '../../session/use-session.ts';
import { Button, TextField } from '../../ui/controls.tsx';
import { FormDialog } from '../../ui/dialogs.tsx';
import { Empty, ErrorMessage, Loading, PageHeader } from '../../ui/feedback.tsx';
import { contentApi, STARTER, type ContentKind } from './content-api.ts';

export function FormsArea() {
  return <ContentList kind="forms" />;
}

export function PagesArea() {
  return <ContentList kind="pages" />;
}

function ContentList({ kind }: { kind: ContentKind }) {
  const { t, formatDate } = useI18n();
  const canCreate = useCan(kind === 'forms' ? 'Journeys:createForm' : 'Journeys:createPage');
  const items = useQuery({ queryKey: ['content', kind], queryFn: () => contentApi.list(kind) });
  const title = kind === 'forms' ? t('content.forms') : t('content.pages');
  return (
    <>
      <PageHeader title={title} actions={canCreate ? <CreateContent kind={kind} /> : null}>
        <p className="muted">{kind === 'forms' ? t('content.formsIntro') : t('content.pagesIntro')}</p>
      </PageHeader>
      <ErrorMessage error={items.error} />
      {items.isPending ? <Loading /> : null}
      {items.data?.items.length === 0 ? <Empty>{t('content.empty')}</Empty> : null}
      {items.data && items.data.items.length > 0 ? (
        <div className="table-wrap" tabIndex={0}>
          <table className="table">
            <caption className="visually-hidden">{title}</caption>
            <thead>
              <tr>
                <th scope="col">{t('content.name')}</th>
                <th scope="col">{t('content.latest')}</th>
                <th scope="col">{t('content.published')}</th>
                <th scope="col">{t('common.updated')}</th>
              </tr>
            </thead>
            <tbody>
              {items.data.items.map((item) => (
                <tr key={item.name}>
                  <td>
                    <Link to={`/${kind}/${encodeURIComponent(item.name)}`}>{item.name}</Link>
                  </td>
                  <td>{item.latestVersion}</td>
                  <td>{item.latestPublishedVersion ?? '—'}</td>
                  <td>{formatDate(item.updatedAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
    </>
  );
}

function CreateContent({ kind }: { kind: ContentKind }) {
  const { t } = useI18n();
  const [open, setOpen] = useState(false);
  const [name, setName] = useState('');
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const create = useMutation({
    mutationFn: () => contentApi.create(kind, name, STARTER[kind]),
    onSuccess: async () => {
      await queryClient.invalidateQueries({ queryKey: ['content', kind] });
      navigate(`/${kind}/${encodeURIComponent(name)}`);
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
        {t('content.add')}
      </Button>
      <FormDialog title={kind === 'forms' ? t('content.forms') : t('content.pages')} isOpen={open} onOpenChange={setOpen}>
        <form className="form" onSubmit={submit} noValidate>
          <ErrorMessage error={create.error} />
          <TextField label={t('content.name')} value={name} onChange={setName} isRequired error={error?.fieldMessage('name')} autoFocus />
          <div className="form-actions">
            <Button onPress={() => setOpen(false)}>{t('common.cancel')}</Button>
            <Button type="submit" variant="primary" isDisabled={create.isPending}>
              {t('common.create')}
            </Button>
          </div>
        </form>
      </FormDialog>
    </>
  );
}
