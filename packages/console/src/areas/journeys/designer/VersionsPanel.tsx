// Published versions: the list, a visual diff (steps added, removed or changed, drawn on the canvas) and a JSON
// diff between any two of them or the draft, and rolling back by publishing an old version again.
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { api, ok } from '../../../api/client.ts';
import { useI18n } from '../../../i18n/i18n.tsx';
import { Button, SelectField } from '../../../ui/controls.tsx';
import { ErrorMessage, Loading } from '../../../ui/feedback.tsx';
import { diffJson, diffSteps, unionOfSteps, type DiffLine } from './definition-diff.ts';
import { JourneyCanvas } from './JourneyCanvas.tsx';
import { asDefinition, type JourneyDefinition, type StepTypeInfo } from './journey-model.ts';

const DRAFT = 'draft';

interface VersionsPanelProps {
  journeyId: string;
  draft: JourneyDefinition;
  stepTypes: ReadonlyMap<string, StepTypeInfo>;
  canPublish: boolean;
  busy: boolean;
  onRollback(version: number, definition: JourneyDefinition): void;
}

export function VersionsPanel({ journeyId, draft, stepTypes, canPublish, busy, onRollback }: VersionsPanelProps) {
  const { t, formatDate } = useI18n();
  const path = { journeyId };
  const versions = useQuery({
    queryKey: ['journey-versions', journeyId],
    queryFn: () => ok(api.GET('/api/journeys/{journeyId}/versions', { params: { path, query: { limit: 200 } as never } })),
  });
  const items = versions.data?.items ?? [];
  const newest = items.reduce((max, v) => Math.max(max, v.version), 0);
  const [from, setFrom] = useState<string>('');
  const [to, setTo] = useState<string>(DRAFT);
  const fromKey = from || (newest > 0 ? String(newest) : DRAFT);
  const load = (key: string) => ({
    queryKey: ['journey-version', journeyId, key],
    enabled: key !== DRAFT,
    queryFn: () => ok(api.GET('/api/journeys/{journeyId}/versions/{version}', { params: { path: { journeyId, version: Number(key) } } })),
  });
  const before = useQuery(load(fromKey));
  const after = useQuery(load(to));
  const definitionOf = (key: string, data: { definition?: unknown } | undefined) =>
    key === DRAFT ? draft : data ? asDefinition(data.definition, draft.store) : undefined;
  const a = definitionOf(fromKey, before.data);
  const b = definitionOf(to, after.data);
  const options = [
    { id: DRAFT, label: t('designer.draftOption') },
    ...items.map((v) => ({ id: String(v.version), label: `${t('common.version')} ${v.version}` })),
  ];
  if (versions.isPending) return <Loading />;
  return (
    <div className="stack">
      <ErrorMessage error={versions.error ?? before.error ?? after.error} />
      <section className="panel" aria-labelledby="designer-versions-title">
        <h2 id="designer-versions-title">{t('content.versions')}</h2>
        {items.length === 0 ? <p className="muted">{t('designer.noVersions')}</p> : null}
        <ul className="plain-list designer-version-list">
          {items.map((v) => (
            <li key={v.version}>
              <span>
                {t('common.version')} {v.version} · {formatDate(v.publishedAt)} · <span className="mono">{v.publishedBy}</span>
              </span>
              {canPublish && v.version !== newest ? (
                <Button
                  isDisabled={busy}
                  onPress={async () => {
                    const version = await ok(api.GET('/api/journeys/{journeyId}/versions/{version}', { params: { path: { journeyId, version: v.version } } }));
                    onRollback(v.version, asDefinition(version.definition, draft.store));
                  }}
                >
                  {t('designer.rollback', { version: v.version })}
                </Button>
              ) : null}
            </li>
          ))}
        </ul>
      </section>
      <section className="panel" aria-labelledby="designer-diff-title">
        <h2 id="designer-diff-title">{t('designer.compare')}</h2>
        <div className="designer-compare-pickers">
          <SelectField label={t('designer.compareFrom')} value={fromKey} onChange={setFrom} options={options} />
          <SelectField label={t('designer.compareTo')} value={to} onChange={setTo} options={options} />
        </div>
        {a && b ? <Comparison before={a} after={b} stepTypes={stepTypes} /> : <Loading />}
      </section>
    </div>
  );
}

const GAP = 'gap';

/** The changed lines with `context` unchanged lines around each; longer unchanged runs become one gap. */
function withContext(lines: DiffLine[], context: number): (DiffLine | typeof GAP)[] {
  const near = (i: number) => lines.slice(Math.max(0, i - context), i + context + 1).some((l) => l.kind !== 'same');
  const out: (DiffLine | typeof GAP)[] = [];
  lines.forEach((line, i) => {
    if (line.kind !== 'same' || near(i)) out.push(line);
    else if (out.at(-1) !== GAP) out.push(GAP);
  });
  return out;
}

function Comparison({ before, after, stepTypes }: { before: JourneyDefinition; after: JourneyDefinition; stepTypes: ReadonlyMap<string, StepTypeInfo> }) {
  const { t } = useI18n();
  const changes = diffSteps(before, after);
  const lines = withContext(diffJson(before, after), 3);
  const counts = { added: 0, removed: 0, changed: 0 };
  for (const change of changes.values()) counts[change]++;
  return (
    <>
      <p role="status">{changes.size === 0 ? t('designer.noDifferences') : t('designer.differences', counts)}</p>
      <ul className="plain-list designer-change-list" aria-label={t('designer.changedSteps')}>
        {[...changes].map(([id, change]) => (
          <li key={id}>
            <span className={`designer-badge designer-badge-${change}`}>{t(`designer.change.${change}`)}</span> <span className="mono">{id}</span>
          </li>
        ))}
      </ul>
      <JourneyCanvas definition={unionOfSteps(before, after)} stepTypes={stepTypes} changes={changes} label={t('designer.diffCanvas')} fitMinZoom={0.15} />
      <h3 className="subheading">{t('designer.jsonDiff')}</h3>
      <pre className="designer-json-diff" tabIndex={0} aria-label={t('designer.jsonDiff')}>
        {lines.map((line, i) =>
          line === GAP ? (
            <span key={i} className="diff-gap">
              {'  …\n'}
            </span>
          ) : (
            <span key={i} className={`diff-${line.kind}`}>
              {line.kind === 'added' ? '+ ' : line.kind === 'removed' ? '- ' : '  '}
              {line.text}
              {'\n'}
            </span>
          ),
        )}
      </pre>
    </>
  );
}
