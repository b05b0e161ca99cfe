// API clients: create with a permission picker (the secret is shown once), rotate the secret, enable or
// disable, delete. Permissions are stored with the tenant prefix (TNT#{tenant}#Service:action).
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { api, ok } from '../../api/client.ts';
import { ApiError } from '../../api/problem.ts';
import { useI18n } from '../../i18n/i18n.tsx';
import { useCan } from '../../session/use-session.ts';
import { tenantId } from '../../tenant.ts';
import { Button, TextField } from '../../ui/controls.tsx';
import { ConfirmButton, FormDialog } from '../../ui/dialogs.tsx';
import { Empty, ErrorMessage, Loading, PageHeader } from '../../ui/feedback.tsx';
import { PermissionPicker } from './PermissionPicker.tsx';

const prefix = `TNT#${tenantId}#`;
const short = (permission: string) => (permission.startsWith(prefix) ? permission.slice(prefix.length) : permission);

function SecretOnce({ clientId, secret, onClose }: { clientId: string; secret: string; onClose(): void }) {
  const { t } = useI18n();
  return (
    <FormDialog title={t('apiClients.secret')} isOpen onOpenChange={(open) => !open && onClose()}>
      <div className="stack">
        <p className="alert alert-warning">{t('apiClients.secretOnce')}</p>
        <label className="field">
          <span className="label">{t('apiClients.clientId')}</span>
          <input readOnly value={clientId} className="mono" onFocus={(e) => e.currentTarget.select()} />
        </label>
        <label className="field">
          <span className="label">{t('apiClients.secret')}</span>
          <input readOnly value={secret} className="mono" onFocus={(e) => e.currentTarget.select()} />
        </label>
        <div className="dialog-actions">
          <Button onPress={() => void navigator.clipboard.writeText(secret)}>{t('common.copy')}</Button>
          <Button variant="primary" onPress={onClose}>
            {t('common.close')}
          </Button>
        </div>
      </div>
    </FormDialog>
  );
}

export function ApiClientsArea() {
  const { t, formatDate } = useI18n();
  const canCreate = useCan('Admin:createApiClient');
  const canUpdate = useCan('Admin:updateApiClient');
  const canRotate = useCan('Admin:rotateApiClientSecret');
  const canDelete = useCan('Admin:deleteApiClient');
  const queryClient = useQueryClient();
  const [secret, setSecret] = useState<{ clientId: string; secret: string } | undefined>();
  const clients = useQuery({ queryKey: ['api-clients'], queryFn: () => ok(api.GET('/api/admin/clients', { params: { query: { limit: 200 } as never } })) });
  const refresh = () => queryClient.invalidateQueries({ queryKey: ['api-clients'] });
  const rotate = useMutation({
    mutationFn: (clientId: string) => ok(api.POST('/api/admin/clients/{clientId}/secret', { params: { path: { clientId } } })),
    onSuccess: async (client) => {
      setSecret({ clientId: client.clientId, secret: client.clientSecret });
      await refresh();
    },
  });
  const toggle = useMutation({
    mutationFn: ({ clientId, enabled }: { clientId: string; enabled: boolean }) =>
      ok(api.PATCH('/api/admin/clients/{clientId}', { params: { path: { clientId } }, body: { enabled } })),
    onSuccess: refresh,
  });
  const remove = useMutation({
    mutationFn: (clientId: string) => ok(api.DELETE('/api/admin/clients/{clientId}', { params: { path: { clientId } } })),
    onSuccess: refresh,
  });
  return (
    <>
      <PageHeader title={t('apiClients.title')} actions={canCreate ? <CreateClient onCreated={setSecret} /> : null}>
        <p className="muted">{t('apiClients.intro')}</p>
      </PageHeader>
      <ErrorMessage error={clients.error ?? rotate.error ?? toggle.error ?? remove.error} />
      {clients.isPending ? <Loading /> : null}
      {clients.data?.items.length === 0 ? <Empty>{t('apiClients.empty')}</Empty> : null}
      <ul className="card-list">
        {clients.data?.items.map((client) => (
          <li key={client.clientId} className="card">
            <div className="card-head">
              <h2 className="card-title">{client.name}</h2>
              <span className={`badge ${client.enabled ? 'badge-active' : 'badge-disabled'}`}>
                {client.enabled ? t('common.enabled') : t('common.disabled')}
              </span>
            </div>
            <p className="mono muted">{client.clientId}</p>
            <p className="permission-list">
              {client.permissions.map((p) => (
                <code key={p} className="chip">
                  {short(p)}
                </code>
              ))}
            </p>
            <p className="muted">
              {t('common.created')}: {formatDate(client.createdAt)}
            </p>
            <div className="row-actions">
              {canRotate ? (
                <ConfirmButton
                  variant="secondary"
                  label={t('apiClients.rotate')}
                  title={t('apiClients.rotate')}
                  message={t('apiClients.rotateMessage')}
                  onConfirm={() => rotate.mutateAsync(client.clientId)}
                />
              ) : null}
              {canUpdate ? (
                <Button onPress={() => toggle.mutate({ clientId: client.clientId, enabled: !client.enabled })}>
                  {client.enabled ? t('apiClients.disable') : t('apiClients.enable')}
                </Button>
              ) : null}
              {canDelete ? (
                <ConfirmButton
                  label={t('common.delete')}
                  title={t('common.delete')}
                  message={t('apiClients.deleteMessage', { name: client.name })}
                  onConfirm={() => remove.mutateAsync(client.clientId)}
                />
              ) : null}
            </div>
          </li>
        ))}
      </ul>
      {secret ? <SecretOnce clientId={secret.clientId} secret={secret.secret} onClose={() => setSecret(undefined)} /> : null}
    </>
  );
}

function CreateClient({ onCreated }: { onCreated(secret: { clientId: string; secret: string }): void }) {
  const { t } = useI18n();
  const [open, setOpen] = useState(false);
  const [name, setName] = useState('');
  const [permissions, setPermissions] = useState<string[]>([]);
  const queryClient = useQueryClient();
  const create = useMutation({
    mutationFn: () => ok(api.POST('/api/admin/clients', { body: { name, permissions: permissions.map((p) => prefix + p) } })),
    onSuccess: async (client) => {
      await queryClient.invalidateQueries({ queryKey: ['api-clients'] });
      setOpen(false);
      setName('');
      setPermissions([]);
      onCreated({ clientId: client.clientId, secret: client.clientSecret });
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
        {t('apiClients.add')}
      </Button>
      <FormDialog title={t('apiClients.add')} isOpen={open} onOpenChange={setOpen}>
        <form className="form" onSubmit={submit} noValidate>
          <ErrorMessage error={error} />
          <TextField label={t('apiClients.name')} value={name} onChange={setName} isRequired error={error?.fieldMessage('name')} autoFocus />
          <PermissionPicker value={permissions} onChange={setPermissions} error={error?.fieldMessage('permissions')} />
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
