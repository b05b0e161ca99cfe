// A user's passkeys: provider (from the AAGUID), synced or bound to one device (WebAuthn §6.1.3 backup
// flags), created and last used, and delete.
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, ok } from '../../api/client.ts';
import { useI18n } from '../../i18n/i18n.tsx';
import { useCan } from '../../session/use-session.ts';
import { ConfirmButton } from '../../ui/dialogs.tsx';
import { Empty, ErrorMessage, Loading } from '../../ui/feedback.tsx';
import { ProviderIcon } from '../../ui/ProviderIcon.tsx';

export function UserPasskeys({ store, userId }: { store: string; userId: string }) {
  const { t, formatDate } = useI18n();
  const canDelete = useCan('IdentityStore:deletePasskey');
  const queryClient = useQueryClient();
  const path = { storeName: store, userId };
  const passkeys = useQuery({
    queryKey: ['passkeys', store, userId],
    queryFn: () => ok(api.GET('/api/identity-store/stores/{storeName}/users/{userId}/passkeys', { params: { path } })),
  });
  const remove = useMutation({
    mutationFn: (credentialId: string) =>
      ok(api.DELETE('/api/identity-store/stores/{storeName}/users/{userId}/passkeys/{credentialId}', { params: { path: { ...path, credentialId } } })),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ['passkeys', store, userId] }),
  });
  if (passkeys.isPending) return <Loading />;
  if (passkeys.error) return <ErrorMessage error={passkeys.error} />;
  if (passkeys.data.items.length === 0) return <Empty>{t('passkeys.empty')}</Empty>;
  return (
    <>
      <ErrorMessage error={remove.error} />
      <ul className="card-list">
        {passkeys.data.items.map((passkey) => {
          const provider = passkey.authenticatorName ?? t('passkeys.unknownProvider');
          return (
            <li key={passkey.credentialId} className="card passkey-card">
              <ProviderIcon iconLight={passkey.authenticatorIconLight} iconDark={passkey.authenticatorIconDark} />
              <div className="passkey-main">
                <h2 className="card-title">{passkey.name ?? provider}</h2>
                <p className="muted">
                  {/* The provider is the title of an unnamed passkey: said once. */}
                  {passkey.name ? <>{provider} · </> : null}
                  <span className={`badge ${passkey.backupEligible ? 'badge-synced' : 'badge-device'}`}>
                    {passkey.backupEligible ? t('passkeys.synced') : t('passkeys.deviceBound')}
                  </span>
                </p>
                <dl className="inline-details">
                  <div>
                    <dt>{t('passkeys.created')}</dt>
                    <dd>{formatDate(passkey.createdAt)}</dd>
                  </div>
                  <div>
                    <dt>{t('passkeys.lastUsed')}</dt>
                    <dd>{passkey.lastUsedAt ? formatDate(passkey.lastUsedAt) : t('passkeys.never')}</dd>
                  </div>
                  <div>
                    <dt>{t('passkeys.rp')}</dt>
                    <dd>{passkey.rpId}</dd>
                  </div>
                </dl>
              </div>
              {canDelete ? (
                <ConfirmButton
                  label={t('common.delete')}
                  title={t('passkeys.deleteTitle')}
                  message={t('passkeys.deleteMessage', { name: passkey.name ?? provider })}
                  onConfirm={() => remove.mutateAsync(passkey.credentialId)}
                />
              ) : null}
            </li>
          );
        })}
      </ul>
    </>
  );
}
