// A user's bound devices (device binding at passkey registration): the device key's id (the value in the ID
// token's device_keys), the passkey it came with, when it was bound and last proven, and revoking it.
import { useInfiniteQuery, useMutation, useQueryClient } from '@tanstack/react-query';
import { api, ok } from '../../api/client.ts';
import { useI18n } from '../../i18n/i18n.tsx';
import { useCan } from '../../session/use-session.ts';
import { Button } from '../../ui/controls.tsx';
import { ConfirmButton } from '../../ui/dialogs.tsx';
import { Empty, ErrorMessage, Loading } from '../../ui/feedback.tsx';

export function UserDevices({ store, userId }: { store: string; userId: string }) {
  const { t, formatDate } = useI18n();
  const canRevoke = useCan('IdentityStore:revokeDevice');
  const queryClient = useQueryClient();
  const path = { storeName: store, userId };
  const devices = useInfiniteQuery({
    queryKey: ['devices', store, userId],
    queryFn: ({ pageParam }) =>
      ok(api.GET('/api/identity-store/stores/{storeName}/users/{userId}/devices', { params: { path, query: pageParam ? { cursor: pageParam } : {} } })),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (page) => page.nextCursor ?? undefined,
  });
  const revoke = useMutation({
    mutationFn: (deviceId: string) =>
      ok(api.DELETE('/api/identity-store/stores/{storeName}/users/{userId}/devices/{deviceId}', { params: { path: { ...path, deviceId } } })),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ['devices', store, userId] }),
  });
  if (devices.isPending) return <Loading />;
  if (devices.error) return <ErrorMessage error={devices.error} />;
  const items = devices.data.pages.flatMap((p) => p.items);
  if (items.length === 0) return <Empty>{t('devices.empty')}</Empty>;
  return (
    <>
      <p className="muted">{t('devices.intro')}</p>
      <ErrorMessage error={revoke.error} />
      <div className="table-wrap" tabIndex={0}>
        <table className="table">
          <caption className="visually-hidden">{t('user.tab.devices')}</caption>
          <thead>
            <tr>
              <th scope="col">{t('devices.key')}</th>
              <th scope="col">{t('common.status')}</th>
              <th scope="col">{t('devices.bound')}</th>
              <th scope="col">{t('devices.lastSeen')}</th>
              <th scope="col">
                <span className="visually-hidden">{t('common.actions')}</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {items.map((d) => (
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
            ))}
          </tbody>
        </table>
      </div>
      {devices.hasNextPage ? (
        <Button onPress={() => void devices.fetchNextPage()} isDisabled={devices.isFetchingNextPage}>
          {t('common.more')}
        </Button>
      ) : null}
    </>
  );
}
