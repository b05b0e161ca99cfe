// Registration and authentication policies of a store. Every field has a one-line explanation and a
// new policy starts from the safe defaults the API itself applies. Edits send If-Match.
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useParams } from 'react-router';
import { api, ok } from '../../api/client.ts';
import type { components } from '../../api/schema.ts';
import { useI18n } from '../../i18n/i18n.tsx';
import { useCan } from '../../session/use-session.ts';
import { Button } from '../../ui/controls.tsx';
import { ConfirmButton } from '../../ui/dialogs.tsx';
import { Empty, ErrorMessage, Loading, PageHeader } from '../../ui/feedback.tsx';
import { PolicyDialog, type PolicyKind } from './PolicyDialog.tsx';

type RegistrationPolicy = components['schemas']['RegistrationPolicy'];
type AuthenticationPolicy = components['schemas']['AuthenticationPolicy'];

const PATHS = {
  registration: '/api/identity-store/stores/{storeName}/passkeys/registrationPolicies',
  authentication: '/api/identity-store/stores/{storeName}/passkeys/authenticationPolicies',
} as const;

export function PoliciesArea() {
  const { t } = useI18n();
  const store = useParams().store!;
  const [editing, setEditing] = useState<{ kind: PolicyKind; name?: string } | undefined>();
  return (
    <>
      <PageHeader title={t('policies.title')} />
      <PolicySection kind="registration" store={store} onEdit={setEditing} />
      <PolicySection kind="authentication" store={store} onEdit={setEditing} />
      {editing ? <PolicyDialog store={store} kind={editing.kind} name={editing.name} onClose={() => setEditing(undefined)} /> : null}
    </>
  );
}

function PolicySection({ kind, store, onEdit }: { kind: PolicyKind; store: string; onEdit(target: { kind: PolicyKind; name?: string }): void }) {
  const { t } = useI18n();
  const queryClient = useQueryClient();
  const service = kind === 'registration' ? 'RegistrationPolicy' : 'AuthenticationPolicy';
  const canCreate = useCan(`IdentityStore:create${service}`);
  const canUpdate = useCan(`IdentityStore:update${service}`);
  const canDelete = useCan(`IdentityStore:delete${service}`);
  const policies = useQuery({
    queryKey: ['policies', kind, store],
    queryFn: () =>
      ok(
        api.GET(PATHS[kind], { params: { path: { storeName: store } } }) as Promise<{
          data?: { items: Array<RegistrationPolicy | AuthenticationPolicy> };
          response: Response;
        }>,
      ),
  });
  const remove = useMutation({
    mutationFn: (policyName: string) =>
      kind === 'registration'
        ? ok(
            api.DELETE('/api/identity-store/stores/{storeName}/passkeys/registrationPolicies/{policyName}', {
              params: { path: { storeName: store, policyName } },
            }),
          )
        : ok(
            api.DELETE('/api/identity-store/stores/{storeName}/passkeys/authenticationPolicies/{policyName}', {
              params: { path: { storeName: store, policyName } },
            }),
          ),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ['policies', kind, store] }),
  });
  const title = kind === 'registration' ? t('policies.registration') : t('policies.authentication');
  const headingId = `policies-${kind}`;
  return (
    <section className="section" aria-labelledby={headingId}>
      <div className="section-head">
        <h2 id={headingId}>{title}</h2>
        {canCreate ? (
          <Button onPress={() => onEdit({ kind })}>{kind === 'registration' ? t('policies.addRegistration') : t('policies.addAuthentication')}</Button>
        ) : null}
      </div>
      <ErrorMessage error={policies.error ?? remove.error} />
      {policies.isPending ? <Loading /> : null}
      {policies.data?.items.length === 0 ? <Empty>{t('policies.empty')}</Empty> : null}
      {policies.data && policies.data.items.length > 0 ? (
        <div className="table-wrap" tabIndex={0}>
          <table className="table">
            <caption className="visually-hidden">{title}</caption>
            <thead>
              <tr>
                <th scope="col">{t('common.name')}</th>
                <th scope="col">{t('policy.userVerification')}</th>
                <th scope="col">{kind === 'registration' ? t('policy.residentKey') : t('policy.allowDiscoverable')}</th>
                <th scope="col">{t('policy.timeout')}</th>
                <th scope="col">
                  <span className="visually-hidden">{t('common.actions')}</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {policies.data.items.map((p) => (
                <tr key={p.name}>
                  <td className="mono">{p.name}</td>
                  <td>{p.userVerification}</td>
                  <td>{'residentKey' in p ? p.residentKey : (p as AuthenticationPolicy).allowDiscoverable ? t('common.yes') : t('common.no')}</td>
                  <td>{p.timeout}</td>
                  <td>
                    <div className="row-actions">
                      {canUpdate ? (
                        <Button onPress={() => onEdit({ kind, name: p.name })} aria-label={t('policies.editPolicy', { name: p.name })}>
                          {t('common.edit')}
                        </Button>
                      ) : null}
                      {canDelete ? (
                        <ConfirmButton
                          label={t('common.delete')}
                          title={t('common.delete')}
                          message={t('policies.deleteMessage', { name: p.name })}
                          onConfirm={() => remove.mutateAsync(p.name)}
                        />
                      ) : null}
                    </div>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
    </section>
  );
}
