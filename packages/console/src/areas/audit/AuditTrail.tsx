// The audit events about one target (a user, a client), newest first.
import { useQuery } from '@tanstack/react-query';
import { useT } from '../../i18n/i18n.tsx';
import { Empty, ErrorMessage, Loading } from '../../ui/feedback.tsx';
import { listAudit } from './audit-query.ts';
import { AuditTable } from './AuditTable.tsx';

export function AuditTrail({ target }: { target: string }) {
  const t = useT();
  const events = useQuery({ queryKey: ['audit', { target }], queryFn: () => listAudit({ target }) });
  if (events.isPending) return <Loading />;
  if (events.error) return <ErrorMessage error={events.error} />;
  if (events.data.items.length === 0) return <Empty>{t('audit.empty')}</Empty>;
  return <AuditTable events={events.data.items} caption={t('user.tab.audit')} />;
}
