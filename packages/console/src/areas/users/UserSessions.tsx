// The user's self-service browser sessions, and ending one.
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, ok } from '../../api/client.ts';
import { useI18n } from '../../i18n/i18n.tsx';
import { useCan } from '../../session/use-session.ts';
import { ConfirmButton } from '../../ui/dialogs.tsx';
import { Empty, ErrorMessage, Loading } from '../../ui/feedback.tsx';

export function UserSessions({ store, userId }: { store: string; userId: string }) {
  const { t, formatDate } = useI18n();
  const canRevoke = useCan('IdentityStore:revokeUserSession');
  const queryClient = useQueryClient();
  const path = { storeName: store, userId };
  const sessions = useQuery({
    queryKey: ['sessions', store, userId],
    queryFn: () => ok(api.GET('/api/identity-store/stores/{storeName}/users/{userId}/sessions', { params: { path } })),
  });
  const revoke = useMutation({
    mutationFn: (sessionId: string) =>
      ok(api.DELETE('/api/identity-store/stores/{storeName}/users/{userId}/sessions/{sessionId}', { params: { path: { ...path, sessionId } } })),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ['sessions', store, userId] }),
  });
  if (sessions.isPending) return <Loading />;
  if (sessions.error) return <ErrorMessage error={sessions.error} />;
  if (sessions.data.items.length === 0) return <Empty>{t('sessions.empty')}</Empty>;
  return (
    <>
      <ErrorMessage error={revoke.error} />
      <div className="table-wrap" tabIndex={0}>
        <table className="table">
          <caption className="visually-hidden">{t('user.tab.sessions')}</caption>
          <thead>
            <tr>
              <th scope="col">{t('sessions.signedIn')}</th>
              <th scope="col">{t('sessions.device')}</th>
              <th scope="col">{t('sessions.address')}</th>
              <th scope="col">{t('sessions.expires')}</th>
              <th scope="col">
                <span className="visually-hidden">{t('common.actions')}</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {sessions.data.items.map((s) => (
              <tr key={s.id}>
                <td>{formatDate(s.authenticatedAt)}</td>
                <td className="truncate">{s.userAgent ?? '—'}</td>
                <td>{s.clientIp ?? '—'}</td>
                <td>{formatDate(s.expiresAt)}</td>
                <td>
                  {canRevoke ? (
                    <ConfirmButton
                      label={t('sessions.revoke')}
                      title={t('sessions.revokeTitle')}
                      message={t('sessions.revokeMessage')}
                      onConfirm={() => revoke.mutateAsync(s.id)}
                    />
                  ) : null}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </>
  );
}
