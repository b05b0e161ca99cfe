// One journey: its draft as JSON (saved with If-Match, validated by the server on every save and on
// demand), its published versions, publish and delete. The visual designer will edit the same draft.
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router';
import { api, ifMatch, ok, versioned } from '../../api/client.ts';
import type { components } from '../../api/schema.ts';
import { useI18n } from '../../i18n/i18n.tsx';
import { useCan } from '../../session/use-session.ts';
import { Button, TextField } from '../../ui/controls.tsx';
import { ConfirmButton } from '../../ui/dialogs.tsx';
import { ErrorMessage, Loading, Notice, PageHeader } from '../../ui/feedback.tsx';
import { DryRunPanel } from './dry-run/index.ts';

type Report = components['schemas']['JourneyValidationReport'];

export function JourneyDetail() {
  const { t, formatDate } = useI18n();
  const journeyId = useParams().journeyId!;
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const canEdit = useCan('Journeys:updateDraft');
  const canPublish = useCan('Journeys:publish');
  const canDelete = useCan('Journeys:delete');
  const path = { journeyId };
  const journey = useQuery({ queryKey: ['journey', journeyId], queryFn: () => versioned(api.GET('/api/journeys/{journeyId}', { params: { path } })) });
  const versions = useQuery({
    queryKey: ['journey-versions', journeyId],
    queryFn: () => ok(api.GET('/api/journeys/{journeyId}/versions', { params: { path } })),
  });
  const [text, setText] = useState('');
  const [report, setReport] = useState<Report | undefined>();
  const [notice, setNotice] = useState<string | undefined>();
  useEffect(() => {
    if (journey.data) setText(JSON.stringify(journey.data.data.draft ?? {}, null, 2));
  }, [journey.data]);
  let parseError: string | undefined;
  let definition: Record<string, unknown> | undefined;
  try {
    definition = JSON.parse(text) as Record<string, unknown>;
  } catch (e) {
    parseError = e instanceof Error ? e.message : String(e);
  }
  const refresh = async () => {
    await queryClient.invalidateQueries({ queryKey: ['journey', journeyId] });
    await queryClient.invalidateQueries({ queryKey: ['journey-versions', journeyId] });
    await queryClient.invalidateQueries({ queryKey: ['journeys'] });
  };
  const save = useMutation({
    mutationFn: () =>
      ok(api.PUT('/api/journeys/{journeyId}/draft', { params: { path }, headers: ifMatch(journey.data?.etag), body: { definition: definition! } })),
    onSuccess: async (result) => {
      setReport(result.validation);
      setNotice(t('common.saved'));
      await refresh();
    },
  });
  const validate = useMutation({
    mutationFn: () => ok(api.POST('/api/journeys/{journeyId}/validate', { params: { path }, body: { definition: definition! } as never })),
    onSuccess: setReport,
  });
  const publish = useMutation({
    mutationFn: () => ok(api.POST('/api/journeys/{journeyId}/publish', { params: { path }, body: {} })),
    onSuccess: async (v) => {
      setNotice(t('journeys.published', { version: (v as { version?: number }).version ?? '' }));
      await refresh();
    },
  });
  const remove = useMutation({
    mutationFn: () => ok(api.DELETE('/api/journeys/{journeyId}', { params: { path } })),
    onSuccess: async () => {
      await queryClient.invalidateQueries({ queryKey: ['journeys'] });
      navigate('/journeys');
    },
  });
  if (journey.isPending) return <Loading />;
  if (journey.error) return <ErrorMessage error={journey.error} />;
  const busy = save.isPending || publish.isPending || validate.isPending;
  return (
    <>
      <nav aria-label={t('common.breadcrumbs')} className="breadcrumbs">
        <Link to="/journeys">{t('journeys.title')}</Link> <span aria-hidden="true">/</span> <span aria-current="page">{journeyId}</span>
      </nav>
      <PageHeader
        title={journey.data.data.name || journeyId}
        actions={
          <>
            <Link className="button button-secondary" to={`/journeys/${encodeURIComponent(journeyId)}/designer`}>
              {t('journeys.openDesigner')}
            </Link>
            {canEdit ? (
              <Button variant="primary" onPress={() => save.mutate()} isDisabled={busy || parseError !== undefined}>
                {t('common.save')}
              </Button>
            ) : null}
            <Button onPress={() => validate.mutate()} isDisabled={busy || parseError !== undefined}>
              {t('common.validate')}
            </Button>
            {canPublish ? (
              <Button onPress={() => publish.mutate()} isDisabled={busy}>
                {t('journeys.publish')}
              </Button>
            ) : null}
            {canDelete ? (
              <ConfirmButton
                label={t('common.delete')}
                title={t('common.delete')}
                message={t('journeys.deleteMessage', { id: journeyId })}
                onConfirm={() => remove.mutateAsync()}
              />
            ) : null}
          </>
        }
      >
        <p className="muted mono">{journeyId}</p>
      </PageHeader>
      {notice && !busy ? <Notice>{notice}</Notice> : null}
      <ErrorMessage
        error={save.error ?? publish.error ?? validate.error ?? remove.error}
        onReload={() => {
          save.reset();
          void journey.refetch();
        }}
      />
      <div className="split">
        <div className="stack editor-column">
          <TextField
            className="editor"
            label={t('journeys.draft')}
            multiline
            rows={24}
            value={text}
            onChange={setText}
            isReadOnly={!canEdit}
            description={t('content.editorHelp')}
            error={parseError !== undefined ? t('content.invalidJson', { message: parseError }) : undefined}
          />
          <div role="status" aria-live="polite">
            {report ? (
              report.valid && report.problems.length === 0 ? (
                <p className="notice">{t('common.valid')}</p>
              ) : (
                <>
                  <h2 className="subheading">{t('content.problems')}</h2>
                  <ul className="problem-list">
                    {report.problems.map((p, i) => (
                      <li key={i}>
                        <code>{p.pointer || '/'}</code> {p.code}: {p.message}
                      </li>
                    ))}
                  </ul>
                </>
              )
            ) : null}
          </div>
        </div>
        <section className="panel" aria-labelledby="versions-title">
          <h2 id="versions-title">{t('content.versions')}</h2>
          {versions.data?.items.length === 0 ? <p className="muted">—</p> : null}
          <ul className="plain-list">
            {versions.data?.items.map((v) => (
              <li key={v.version}>
                {t('common.version')} {v.version} · {formatDate(v.publishedAt)} · <span className="mono">{v.publishedBy}</span>
              </li>
            ))}
          </ul>
        </section>
      </div>
      {canEdit ? <DryRunPanel journeyId={journeyId} definition={parseError === undefined ? definition : undefined} /> : null}
    </>
  );
}
