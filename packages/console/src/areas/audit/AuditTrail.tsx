// The audit events about one target (a user, a client), newest first.
import { useT } from '../../i18n/i18n.tsx';
import { AuditEvents } from './AuditEvents.tsx';

export function AuditTrail({ target }: { target: string }) {
  const t = useT();
  return <AuditEvents filters={{ target }} caption={t('user.tab.audit')} />;
}
