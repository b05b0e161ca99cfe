// The tenant's audit log: filter by actor, action, target and time (the filters live in the URL, so a
// filtered view is a link), page through, export JSON Lines or CSV.
import { useMutation } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { useSearchParams } from 'react-router';
import { useT } from '../../i18n/i18n.tsx';
import { Button, TextField } from '../../ui/controls.tsx';
import { ErrorMessage, PageHeader } from '../../ui/feedback.tsx';
import { exportAudit, type AuditFilters } from './audit-query.ts';
import { AuditEvents } from './AuditEvents.tsx';

const FIELDS = ['actor', 'action', 'target', 'from', 'to'] as const;

/** datetime-local values are local time; the API takes ISO 8601 instants. */
function toIso(local: string): string {
  return local ? new Date(local).toISOString() : '';
}

export function AuditArea() {
  const t = useT();
  const [params, setParams] = useSearchParams();
  const filters: AuditFilters = Object.fromEntries(FIELDS.map((f) => [f, params.get(f) ?? '']));
  const [draft, setDraft] = useState<Record<(typeof FIELDS)[number], string>>(() => ({
    actor: filters.actor ?? '',
    action: filters.action ?? '',
    target: filters.target ?? '',
    from: '',
    to: '',
  }));
  const download = useMutation({ mutationFn: (format: 'jsonl' | 'csv') => exportAudit(filters, format) });
  const apply = (event: FormEvent) => {
    event.preventDefault();
    const next = { ...draft, from: toIso(draft.from), to: toIso(draft.to) };
    setParams(Object.fromEntries(Object.entries(next).filter(([, v]) => v !== '')));
  };
  return (
    <>
      <PageHeader
        title={t('audit.title')}
        actions={
          <>
            <Button onPress={() => download.mutate('jsonl')}>{t('audit.exportJsonl')}</Button>
            <Button onPress={() => download.mutate('csv')}>{t('audit.exportCsv')}</Button>
          </>
        }
      />
      <form className="filters" onSubmit={apply} aria-label={t('audit.filters')}>
        <TextField label={t('audit.actor')} value={draft.actor} onChange={(actor) => setDraft({ ...draft, actor })} />
        <TextField label={t('audit.action')} value={draft.action} onChange={(action) => setDraft({ ...draft, action })} description="user.create" />
        <TextField label={t('audit.target')} value={draft.target} onChange={(target) => setDraft({ ...draft, target })} />
        <label className="field">
          <span className="label">{t('audit.from')}</span>
          <input type="datetime-local" value={draft.from} onChange={(e) => setDraft({ ...draft, from: e.target.value })} />
        </label>
        <label className="field">
          <span className="label">{t('audit.to')}</span>
          <input type="datetime-local" value={draft.to} onChange={(e) => setDraft({ ...draft, to: e.target.value })} />
        </label>
        <div className="filters-actions">
          <Button type="submit" variant="primary">
            {t('audit.apply')}
          </Button>
        </div>
      </form>
      <ErrorMessage error={download.error} />
      <AuditEvents filters={filters} caption={t('audit.title')} />
    </>
  );
}
