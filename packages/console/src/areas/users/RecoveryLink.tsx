// A one-time recovery link for the user: shown once, with a QR code to scan and a copy button.
import { useMutation } from '@tanstack/react-query';
import { useState } from 'react';
import { api, ok } from '../../api/client.ts';
import { useI18n } from '../../i18n/i18n.tsx';
import { useCan } from '../../session/use-session.ts';
import { Button } from '../../ui/controls.tsx';
import { ErrorMessage, Notice } from '../../ui/feedback.tsx';
import { QrCode } from '../../ui/QrCode.tsx';

export function RecoveryLink({ store, userId }: { store: string; userId: string }) {
  const { t, formatDate } = useI18n();
  const canIssue = useCan('IdentityStore:createRecoveryLink');
  const [copied, setCopied] = useState(false);
  const issue = useMutation({
    mutationFn: () =>
      ok(api.POST('/api/identity-store/stores/{storeName}/users/{userId}/recovery-links', { params: { path: { storeName: store, userId } }, body: {} })),
  });
  return (
    <div className="stack">
      <p>{t('recovery.intro')}</p>
      {canIssue ? (
        <Button variant="primary" onPress={() => issue.mutate()} isDisabled={issue.isPending}>
          {t('recovery.issue')}
        </Button>
      ) : (
        <p className="muted">{t('common.readOnly')}</p>
      )}
      <ErrorMessage error={issue.error} />
      {issue.data ? (
        <div className="card recovery-card">
          <QrCode text={issue.data.url} label={t('recovery.qr')} />
          <div className="stack">
            <label className="field">
              <span className="label">{t('recovery.link')}</span>
              <input readOnly value={issue.data.url} onFocus={(e) => e.currentTarget.select()} className="mono" />
            </label>
            <p className="muted">{t('recovery.expires', { time: formatDate(issue.data.expiresAt) })}</p>
            <Button
              onPress={async () => {
                await navigator.clipboard.writeText(issue.data.url);
                setCopied(true);
              }}
            >
              {t('common.copy')}
            </Button>
            {copied ? <Notice>{t('common.copied')}</Notice> : null}
          </div>
        </div>
      ) : null}
    </div>
  );
}
