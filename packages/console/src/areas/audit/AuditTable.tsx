import type { components } from '../../api/schema.ts';
import { useI18n } from '../../i18n/i18n.tsx';

type AuditEvent = components['schemas']['AuditEvent'];

export function AuditTable({ events, caption }: { events: AuditEvent[]; caption: string }) {
  const { t, formatDate } = useI18n();
  return (
    <div className="table-wrap" tabIndex={0}>
      <table className="table">
        <caption className="visually-hidden">{caption}</caption>
        <thead>
          <tr>
            <th scope="col">{t('audit.time')}</th>
            <th scope="col">{t('audit.actor')}</th>
            <th scope="col">{t('audit.action')}</th>
            <th scope="col">{t('audit.target')}</th>
            <th scope="col">{t('audit.outcome')}</th>
          </tr>
        </thead>
        <tbody>
          {events.map((event) => (
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
          ))}
        </tbody>
      </table>
    </div>
  );
}
