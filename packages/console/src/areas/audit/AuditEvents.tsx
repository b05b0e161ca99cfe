// Audit events as a paged table (newest first, "Show more" follows the cursor): the whole log with its filters, or
// the trail of one target.
import type { components } from '../../api/schema.ts';
import { useI18n } from '../../i18n/i18n.tsx';
import { PagedTable, usePagedList } from '../../ui/PagedTable.tsx';
import { listAudit, type AuditFilters } from './audit-query.ts';

type AuditEvent = components['schemas']['AuditEvent'];

export function AuditEvents({ filters, caption }: { filters: AuditFilters; caption: string }) {
  const { t, formatDate } = useI18n();
  const events = usePagedList<AuditEvent>(['audit', filters], (cursor) => listAudit(filters, cursor));
  return (
    <PagedTable
      list={events}
      caption={caption}
      columns={[
        { header: t('audit.time') },
        { header: t('audit.actor') },
        { header: t('audit.action') },
        { header: t('audit.target') },
        { header: t('audit.outcome') },
      ]}
      row={(event) => (
        <tr key={event.id}>
          <td className="nowrap">{formatDate(event.time)}</td>
          <td className="mono">{event.actor}</td>
          <td className="mono">{event.action}</td>
          <td className="mono truncate">
            {event.targetType}
            {event.targetId ? `: ${event.targetId}` : ''}
          </td>
          <td>
            <span className={`badge ${event.outcome === 'success' ? 'badge-active' : 'badge-disabled'}`}>{event.outcome}</span>
          </td>
        </tr>
      )}
      empty={t('audit.empty')}
      shown={{ more: 'audit.shownMore', all: 'audit.shownAll' }}
    />
  );
}
