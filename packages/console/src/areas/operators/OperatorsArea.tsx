// Operators of this tenant: their roles (changed in place), removal, and one-time invitations (made, listed, revoked).
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { adminJson } from '../../api/client.ts';
import type { components } from '../../api/schema.ts';
import { useI18n } from '../../i18n/i18n.tsx';
import type { Operator, Role } from '../../session/session.ts';
import { useCan, useSession } from '../../session/use-session.ts';
import { Button, SelectField } from '../../ui/controls.tsx';
import { ConfirmButton, FormDialog } from '../../ui/dialogs.tsx';
import { ErrorMessage, PageHeader } from '../../ui/feedback.tsx';
import { PagedTable, usePagedList, type ListPage } from '../../ui/PagedTable.tsx';
import { QrCode } from '../../ui/QrCode.tsx';

const ROLES: Role[] = ['owner', 'admin', 'support', 'viewer'];

/** An unused enrolment link as the API lists it (never the link itself). */
type InvitationRow = components['schemas']['InvitationSummary'];

interface OperatorRow extends Operator {
  createdAt?: string;
  lastSignInAt?: string | null;
}

export function OperatorsArea() {
  const { t, formatDate } = useI18n();
  const session = useSession();
  // The server decides exactly who may change whom (an admin cannot touch owners).
  const canInvite = useCan('Console:createInvitation');
  const canUpdate = useCan('Console:updateOperator');
  const canDelete = useCan('Console:deleteOperator');
  const canListInvitations = useCan('Console:listInvitations');
  const queryClient = useQueryClient();
  // One page: a tenant's operators are few, and the API lists them all.
  const operators = usePagedList(['operators'], () => adminJson<ListPage<OperatorRow>>('GET', '/api/console/operators'));
  // A removal or a demotion revokes the operator's unused links, so the invitations are read again too.
  const refresh = async () => {
    await queryClient.invalidateQueries({ queryKey: ['operators'] });
    await queryClient.invalidateQueries({ queryKey: ['operator-invitations'] });
  };
  const changeRole = useMutation({
    mutationFn: ({ id, role }: { id: string; role: Role }) => adminJson('PATCH', `/api/console/operators/${encodeURIComponent(id)}`, { role }),
    onSuccess: refresh,
  });
  const remove = useMutation({ mutationFn: (id: string) => adminJson('DELETE', `/api/console/operators/${encodeURIComponent(id)}`), onSuccess: refresh });
  return (
    <>
      <PageHeader title={t('operators.title')} actions={canInvite ? <Invite /> : null}>
        <p className="muted">{t('operators.intro')}</p>
      </PageHeader>
      <ErrorMessage error={changeRole.error ?? remove.error} />
      <div className="section">
        <PagedTable
          list={operators}
          caption={t('operators.title')}
          columns={[
            { header: t('common.name') },
            { header: t('operators.role') },
            { header: t('common.created') },
            { header: t('common.actions'), hidden: true },
          ]}
          row={(op) => {
            const self = op.id === session?.operator.id;
            return (
              <tr key={op.id}>
                <td>
                  {op.displayName} {self ? <span className="muted">({t('operators.you')})</span> : null}
                </td>
                <td>
                  {canUpdate && !self ? (
                    <SelectField<Role>
                      className="field-compact field-inline"
                      label={t('operators.changeRole', { name: op.displayName })}
                      value={op.role}
                      onChange={(role) => changeRole.mutate({ id: op.id, role })}
                      options={ROLES.map((id) => ({ id, label: t(`role.${id}`) }))}
                    />
                  ) : (
                    t(`role.${op.role}`)
                  )}
                </td>
                <td>{formatDate(op.createdAt)}</td>
                <td>
                  <div className="row-actions">
                    {canDelete && !self ? (
                      <ConfirmButton
                        label={t('operators.remove')}
                        title={t('operators.remove')}
                        message={t('operators.removeMessage', { name: op.displayName })}
                        onConfirm={() => remove.mutateAsync(op.id)}
                      />
                    ) : null}
                  </div>
                </td>
              </tr>
            );
          }}
          empty={null}
          shown={{ more: 'operators.shownMore', all: 'operators.shownAll' }}
        />
      </div>
      {/* Listed only for operators who may list them (no request that would be refused). */}
      {canListInvitations ? <Invitations /> : null}
    </>
  );
}

/** The unused enrolment links, with who made them and until when they work; revoking one ends it at once. */
function Invitations() {
  const { t, formatDate } = useI18n();
  const canRevoke = useCan('Console:revokeInvitation');
  const queryClient = useQueryClient();
  const invitations = usePagedList(['operator-invitations'], (cursor) =>
    adminJson<ListPage<InvitationRow>>('GET', `/api/console/invitations${cursor === undefined ? '' : `?cursor=${encodeURIComponent(cursor)}`}`),
  );
  const revoke = useMutation({
    mutationFn: (id: string) => adminJson('DELETE', `/api/console/invitations/${encodeURIComponent(id)}`),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ['operator-invitations'] }),
  });
  const maker = (by: InvitationRow['createdBy']) => {
    if (by.kind === 'commandLine') return t('invitations.byCommandLine');
    if (by.kind === 'apiClient') return by.name === undefined ? t('invitations.byDeletedClient') : t('invitations.byClient', { name: by.name });
    return by.name ?? t('invitations.byRemovedOperator');
  };
  return (
    <section className="section" aria-labelledby="invitations-title">
      <div className="section-head">
        <h2 id="invitations-title">{t('invitations.title')}</h2>
      </div>
      <p className="muted">{t('invitations.intro')}</p>
      <ErrorMessage error={revoke.error} />
      <PagedTable
        list={invitations}
        caption={t('invitations.title')}
        columns={[
          { header: t('operators.role') },
          { header: t('invitations.createdBy') },
          { header: t('invitations.expires') },
          { header: t('common.actions'), hidden: true },
        ]}
        row={(invitation) => (
          <tr key={invitation.id}>
            <td>
              {t(`role.${invitation.role}`)} {invitation.usable ? null : <span className="badge badge-disabled">{t('invitations.notUsable')}</span>}
            </td>
            <td>{maker(invitation.createdBy)}</td>
            <td>{formatDate(invitation.expiresAt)}</td>
            <td>
              <div className="row-actions">
                {canRevoke ? (
                  <ConfirmButton
                    label={t('invitations.revoke')}
                    title={t('invitations.revoke')}
                    message={t('invitations.revokeMessage', { role: t(`role.${invitation.role}`) })}
                    onConfirm={() => revoke.mutateAsync(invitation.id)}
                  />
                ) : null}
              </div>
            </td>
          </tr>
        )}
        empty={t('invitations.none')}
        shown={{ more: 'invitations.shownMore', all: 'invitations.shownAll' }}
      />
    </section>
  );
}

function Invite() {
  const { t, formatDate } = useI18n();
  const [open, setOpen] = useState(false);
  const [role, setRole] = useState<Role>('viewer');
  const queryClient = useQueryClient();
  const invite = useMutation({
    mutationFn: () => adminJson<{ id: string; url: string; expiresAt: string }>('POST', '/api/console/invitations', { role }),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ['operator-invitations'] }),
  });
  return (
    <>
      <Button variant="primary" onPress={() => setOpen(true)}>
        {t('operators.invite')}
      </Button>
      <FormDialog
        title={t('operators.invite')}
        isOpen={open}
        onOpenChange={(next) => {
          setOpen(next);
          if (!next) invite.reset();
        }}
      >
        <div className="stack">
          {invite.data ? (
            <>
              <p>{t('operators.inviteOnce', { time: formatDate(invite.data.expiresAt) })}</p>
              <QrCode text={invite.data.url} label={t('operators.inviteQr')} size={160} />
              <label className="field">
                <span className="label">{t('operators.inviteLink')}</span>
                <input readOnly value={invite.data.url} className="mono" onFocus={(e) => e.currentTarget.select()} />
              </label>
              <div className="dialog-actions">
                <Button onPress={() => void navigator.clipboard.writeText(invite.data.url)}>{t('common.copy')}</Button>
                <Button variant="primary" onPress={() => setOpen(false)}>
                  {t('common.close')}
                </Button>
              </div>
            </>
          ) : (
            <>
              <SelectField<Role> label={t('operators.role')} value={role} onChange={setRole} options={ROLES.map((id) => ({ id, label: t(`role.${id}`) }))} />
              <ErrorMessage error={invite.error} />
              <div className="dialog-actions">
                <Button onPress={() => setOpen(false)}>{t('common.cancel')}</Button>
                <Button variant="primary" onPress={() => invite.mutate()} isDisabled={invite.isPending}>
                  {t('operators.invite')}
                </Button>
              </div>
            </>
          )}
        </div>
      </FormDialog>
    </>
  );
}
