// The operator's own passkeys: list, add another (a backup), delete any but the last.
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { ApiError } from '../../api/problem.ts';
import { useI18n } from '../../i18n/i18n.tsx';
import { consoleApi, sessionStarted } from '../../session/session.ts';
import { createPasskey, getPasskey, isCancelled } from '../../session/webauthn.ts';
import { Button } from '../../ui/controls.tsx';
import { ConfirmButton } from '../../ui/dialogs.tsx';
import { ErrorMessage, Loading, PageHeader } from '../../ui/feedback.tsx';
import { ProviderIcon } from '../../ui/ProviderIcon.tsx';

interface OperatorPasskey {
  id: string;
  name: string;
  providerName?: string;
  createdAt: string;
  lastUsedAt?: string | null;
  synced: boolean;
}

/**
 * Creation options for another passkey. Adding one needs a sign-in from the last 5 minutes; after that the server
 * answers REAUTHENTICATION_REQUIRED, and the operator confirms with a passkey they have (a new sign-in, which replaces
 * this browser's session) before the options are asked for again.
 */
async function addPasskeyOptions(): Promise<PublicKeyCredentialCreationOptionsJSON> {
  const ask = () => consoleApi<{ publicKey: PublicKeyCredentialCreationOptionsJSON }>('passkeys/options', {});
  try {
    return (await ask()).publicKey;
  } catch (error) {
    if (!(error instanceof ApiError && error.code === 'REAUTHENTICATION_REQUIRED')) throw error;
    const { publicKey } = await consoleApi<{ publicKey: PublicKeyCredentialRequestOptionsJSON }>('sign-in/options', {});
    await consoleApi('sign-in/finish', { credential: await getPasskey(publicKey) });
    await sessionStarted();
    return (await ask()).publicKey;
  }
}

export function AccountArea() {
  const { t, formatDate } = useI18n();
  const queryClient = useQueryClient();
  const passkeys = useQuery({ queryKey: ['my-passkeys'], queryFn: () => consoleApi<{ items: OperatorPasskey[] }>('passkeys') });
  const refresh = () => queryClient.invalidateQueries({ queryKey: ['my-passkeys'] });
  const add = useMutation({
    mutationFn: async () => {
      const credential = await createPasskey(await addPasskeyOptions());
      await consoleApi('passkeys/finish', { credential });
    },
    onSuccess: refresh,
  });
  const remove = useMutation({ mutationFn: (id: string) => consoleApi<void>(`passkeys/${encodeURIComponent(id)}`, undefined, 'DELETE'), onSuccess: refresh });
  const items = passkeys.data?.items ?? [];
  return (
    <>
      <PageHeader
        title={t('account.title')}
        actions={
          <Button variant="primary" onPress={() => add.mutate()} isDisabled={add.isPending}>
            {t('account.add')}
          </Button>
        }
      >
        <p className="muted">{t('account.intro')}</p>
        <p className="muted">{t('account.confirmFirst')}</p>
      </PageHeader>
      {add.error && isCancelled(add.error) ? <p className="alert alert-warning">{t('auth.cancelled')}</p> : <ErrorMessage error={add.error} />}
      <ErrorMessage error={passkeys.error ?? remove.error} />
      {passkeys.isPending ? <Loading /> : null}
      <ul className="card-list">
        {items.map((p) => {
          const provider = p.providerName ?? t('passkeys.unknownProvider');
          return (
            <li key={p.id} className="card passkey-card">
              <ProviderIcon />
              <div className="passkey-main">
                <h2 className="card-title">{p.name}</h2>
                <p className="muted">
                  {provider} ·{' '}
                  <span className={`badge ${p.synced ? 'badge-synced' : 'badge-device'}`}>{p.synced ? t('passkeys.synced') : t('passkeys.deviceBound')}</span>
                </p>
                <dl className="inline-details">
                  <div>
                    <dt>{t('passkeys.created')}</dt>
                    <dd>{formatDate(p.createdAt)}</dd>
                  </div>
                  <div>
                    <dt>{t('passkeys.lastUsed')}</dt>
                    <dd>{p.lastUsedAt ? formatDate(p.lastUsedAt) : t('passkeys.never')}</dd>
                  </div>
                </dl>
              </div>
              {items.length > 1 ? (
                <ConfirmButton
                  label={t('common.delete')}
                  title={t('passkeys.deleteTitle')}
                  message={t('passkeys.deleteMessage', { name: p.name })}
                  onConfirm={() => remove.mutateAsync(p.id)}
                />
              ) : (
                <p className="muted small">{t('account.lastOne')}</p>
              )}
            </li>
          );
        })}
      </ul>
    </>
  );
}
