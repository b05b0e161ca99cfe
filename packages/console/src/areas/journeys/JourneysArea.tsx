// Journeys: the list, creating one (an empty draft), and installing the templates for a store.
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { Link, useNavigate } from 'react-router';
import { api, ok } from '../../api/client.ts';
import { ApiError } from '../../api/problem.ts';
import { useI18n } from '../../i18n/i18n.tsx';
import { useCan } from '../../session/use-session.ts';
import { useStores } from '../../shell/current-store.tsx';
import { Button, SelectField, TextField } from '../../ui/controls.tsx';
import { FormDialog } from '../../ui/dialogs.tsx';
import { Empty, ErrorMessage, Loading, Notice, PageHeader } from '../../ui/feedback.tsx';

export function JourneysArea() {
  const { t, formatDate } = useI18n();
  const canCreate = useCan('Journeys:create');
  const canInstall = useCan('Journeys:installTemplates');
  const journeys = useQuery({ queryKey: ['journeys'], queryFn: () => ok(api.GET('/api/journeys', { params: { query: { limit: 200 } as never } })) });
  return (
    <>
      <PageHeader
        title={t('journeys.title')}
        actions={
          <>
            {canInstall ? <InstallTemplates /> : null}
            {canCreate ? <CreateJourney /> : null}
          </>
        }
      >
        <p className="muted">{t('journeys.intro')}</p>
      </PageHeader>
      <ErrorMessage error={journeys.error} />
      {journeys.isPending ? <Loading /> : null}
      {journeys.data?.items.length === 0 ? <Empty>{t('journeys.empty')}</Empty> : null}
      {journeys.data && journeys.data.items.length > 0 ? (
        <div className="table-wrap" tabIndex={0}>
          <table className="table">
            <caption className="visually-hidden">{t('journeys.title')}</caption>
            <thead>
              <tr>
                <th scope="col">{t('journeys.id')}</th>
                <th scope="col">{t('common.name')}</th>
                <th scope="col">{t('content.published')}</th>
                <th scope="col">{t('common.updated')}</th>
              </tr>
            </thead>
            <tbody>
              {journeys.data.items.map((j) => (
                <tr key={j.journeyId}>
                  <td>
                    <Link to={`/journeys/${encodeURIComponent(j.journeyId)}`}>{j.journeyId}</Link>
                  </td>
                  <td>{j.name}</td>
                  <td>{j.latestVersion ?? '—'}</td>
                  <td>{formatDate(j.updatedAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
    </>
  );
}

function CreateJourney() {
  const { t } = useI18n();
  const [open, setOpen] = useState(false);
  const [journeyId, setJourneyId] = useState('');
  const [name, setName] = useState('');
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const create = useMutation({
    mutationFn: () => ok(api.POST('/api/journeys', { body: { journeyId, ...(name ? { name } : {}) } })),
    onSuccess: async () => {
      await queryClient.invalidateQueries({ queryKey: ['journeys'] });
      navigate(`/journeys/${encodeURIComponent(journeyId)}`);
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
        {t('journeys.add')}
      </Button>
      <FormDialog title={t('journeys.add')} isOpen={open} onOpenChange={setOpen}>
        <form className="form" onSubmit={submit} noValidate>
          <ErrorMessage error={create.error} />
          <TextField
            label={t('journeys.id')}
            value={journeyId}
            onChange={setJourneyId}
            isRequired
            error={error?.fieldMessage('journeyId')}
            autoFocus
            description="sign-in"
          />
          <TextField label={t('common.name')} value={name} onChange={setName} error={error?.fieldMessage('name')} />
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

function InstallTemplates() {
  const { t } = useI18n();
  const stores = useStores().data?.items ?? [];
  const [open, setOpen] = useState(false);
  const [store, setStore] = useState('');
  const queryClient = useQueryClient();
  const install = useMutation({
    mutationFn: () => ok(api.POST('/api/journeys/templates/install', { body: { store: store || stores[0]?.name || '' } })),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ['journeys'] }),
  });
  return (
    <>
      <Button onPress={() => setOpen(true)}>{t('journeys.installTemplates')}</Button>
      <FormDialog title={t('journeys.installTemplates')} isOpen={open} onOpenChange={setOpen}>
        <div className="stack">
          {stores.length > 0 ? (
            <SelectField
              label={t('shell.store')}
              value={store || stores[0]!.name}
              onChange={setStore}
              options={stores.map((s) => ({ id: s.name, label: s.name }))}
            />
          ) : (
            <p>{t('stores.empty')}</p>
          )}
          <ErrorMessage error={install.error} />
          {install.isSuccess ? <Notice>{t('common.saved')}</Notice> : null}
          <div className="dialog-actions">
            <Button onPress={() => setOpen(false)}>{t('common.close')}</Button>
            <Button variant="primary" onPress={() => install.mutate()} isDisabled={install.isPending || stores.length === 0}>
              {t('journeys.installTemplates')}
            </Button>
          </div>
        </div>
      </FormDialog>
    </>
  );
}
