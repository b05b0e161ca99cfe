// ID-token signing keys: the active one and the retired ones still published; rotate.
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, ok } from '../../api/client.ts';
import { useI18n } from '../../i18n/i18n.tsx';
import { useCan } from '../../session/use-session.ts';
import { ConfirmButton } from '../../ui/dialogs.tsx';
import { ErrorMessage, Loading, PageHeader } from '../../ui/feedback.tsx';

export function SigningKeysArea() {
  const { t, formatDate } = useI18n();
  const canRotate = useCan('Admin:rotateSigningKey');
  const queryClient = useQueryClient();
  const keys = useQuery({ queryKey: ['signing-keys'], queryFn: () => ok(api.GET('/api/admin/signing-keys')) });
  const rotate = useMutation({
    mutationFn: () => ok(api.POST('/api/admin/signing-keys/rotate')),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ['signing-keys'] }),
  });
  const items = keys.data?.items ?? [];
  return (
    <>
      <PageHeader
        title={t('signingKeys.title')}
        actions={
          canRotate ? (
            <ConfirmButton
              variant="secondary"
              label={t('signingKeys.rotate')}
              title={t('signingKeys.rotate')}
              message={t('signingKeys.rotateMessage')}
              onConfirm={() => rotate.mutateAsync()}
            />
          ) : null
        }
      >
        <p className="muted">{t('signingKeys.intro')}</p>
      </PageHeader>
      <ErrorMessage error={keys.error ?? rotate.error} />
      {keys.isPending ? <Loading /> : null}
      {items.length > 0 ? (
        <div className="table-wrap" tabIndex={0}>
          <table className="table">
            <caption className="visually-hidden">{t('signingKeys.title')}</caption>
            <thead>
              <tr>
                <th scope="col">{t('signingKeys.kid')}</th>
                <th scope="col">{t('signingKeys.algorithm')}</th>
                <th scope="col">{t('common.status')}</th>
                <th scope="col">{t('common.created')}</th>
                <th scope="col">{t('signingKeys.retired')}</th>
              </tr>
            </thead>
            <tbody>
              {items.map((key) => (
                <tr key={key.kid}>
                  <td className="mono">{key.kid}</td>
                  <td>{key.algorithm}</td>
                  <td>
                    <span className={`badge ${key.status === 'active' ? 'badge-active' : 'badge-pending'}`}>
                      {key.status === 'active' ? t('status.active') : t('signingKeys.retired')}
                    </span>
                  </td>
                  <td>{formatDate(key.createdAt)}</td>
                  <td>{formatDate(key.retiredAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
    </>
  );
}
