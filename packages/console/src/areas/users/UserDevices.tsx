// A user's bound devices (device binding at passkey registration): the device key's id (the value in the ID
// token's device_keys), the passkey it came with, when it was bound and last proven, and revoking it.
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api, ok } from '../../api/client.ts';
import { useI18n } from '../../i18n/i18n.tsx';
import { useCan } from '../../session/use-session.ts';
import { ConfirmButton } from '../../ui/dialogs.tsx';
import { ErrorMessage } from '../../ui/feedback.tsx';
import { PagedTable, usePagedList } from '../../ui/PagedTable.tsx';

export function UserDevices({ store, userId }: { store: string; userId: string }) {
  const { t, formatDate } = useI18n();
  const canRevoke = useCan('IdentityStore:revokeDevice');
  const queryClient = useQueryClient();
  const path = { storeName: store, userId };
  const devices = usePagedList(['devices', store, userId], (cursor) =>
    ok(api.GET('/api/identity-store/stores/{storeName}/users/{userId}/devices', { params: { path, query: cursor ? { cursor } : {} } })),
  );
  const revoke = useMutation({
    mutationFn: (deviceId: string) =>
      ok(api.DELETE('/api/identity-store/stores/{storeName}/users/{userId}/devices/{deviceId}', { params: { path: { ...path, deviceId } } })),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ['devices', store, userId] }),
  });
  return (
    <>
      <p className="muted">{t('devices.intro')}</p>
      <ErrorMessage error={revoke.error} />
      <PagedTable
        list={devices}
        caption={t('user.tab.devices')}
        columns={[
          { header: t('devices.key') },
          { header: t('common.status') },
          { header: t('devices.bound') },
          { header: t('devices.lastSeen') },
          { header: t('common.actions'), hidden: true },
        ]}
        row={(d) => (
          <tr key={d.id} data-device={d.id}>
            <td className="truncate mono" title={d.keyId}>
              {d.keyId}
            </td>
            <td>
              {d.revokedAt ? (
                <span className="badge badge-disabled" title={formatDate(d.revokedAt)}>
                  {t('devices.revoked')}
                </span>
              ) : (
                <span className="badge badge-active">{t('devices.active')}</span>
              )}
            </td>
            <td>{formatDate(d.createdAt)}</td>
            <td>{d.lastSeenAt ? formatDate(d.lastSeenAt) : '—'}</td>
            <td>
              {canRevoke && !d.revokedAt ? (
                <ConfirmButton
                  label={t('devices.revoke')}
                  title={t('devices.revokeTitle')}
                  message={t('devices.revokeMessage')}
                  onConfirm={() => revoke.mutateAsync(d.id)}
                />
              ) : null}
            </td>
          </tr>
        )}
        empty={t('devices.empty')}
        shown={{ more: 'devices.shownMore', all: 'devices.shownAll' }}
      />
    </>
  );
}
