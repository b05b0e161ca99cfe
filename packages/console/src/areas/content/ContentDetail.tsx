// One custom form or page: its versions, an editor for the chosen one (drafts are edited in place, a
// published version is copied into a new one), validation against the schema by the server's
// validate endpoint as you type, a live preview, and publish.
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { Link, useParams, useSearchParams } from 'react-router';
import { ApiError } from '../../api/problem.ts';
import { useI18n } from '../../i18n/i18n.tsx';
import { useCan } from '../../session/use-session.ts';
import { Button, TextField } from '../../ui/controls.tsx';
import { ErrorMessage, Loading, Notice, PageHeader } from '../../ui/feedback.tsx';
import { contentApi, textOf, type ContentKind, type ValidationReport } from './content-api.ts';
import { FormBuilder } from './FormBuilder.tsx';
import { isBuilderForm, type BuilderForm } from './form-builder-model.ts';
import { PagePreview, type PreviewedPage } from './PagePreview.tsx';
import { RunnerPreview } from './RunnerPreview.tsx';
import type { JourneyForm } from '../../../../web/src/journey-forms.ts';

export function FormDetail() {
  return <ContentDetail kind="forms" />;
}

export function PageDetail() {
  return <ContentDetail kind="pages" />;
}

const VALIDATE_AFTER_MS = 400;

function parse(kind: ContentKind, text: string): { value?: unknown; error?: string } {
  if (kind === 'pages') return { value: text };
  try {
    return { value: JSON.parse(text) as unknown };
  } catch (e) {
    return { error: e instanceof Error ? e.message : String(e) };
  }
}

function ContentDetail({ kind }: { kind: ContentKind }) {
  const { t, locale, formatDate } = useI18n();
  const name = useParams().name!;
  const [params, setParams] = useSearchParams();
  const queryClient = useQueryClient();
  const canEdit = useCan(kind === 'forms' ? 'Journeys:updateFormVersion' : 'Journeys:updatePageVersion');
  const canPublish = useCan(kind === 'forms' ? 'Journeys:publishForm' : 'Journeys:publishPage');
  const versions = useQuery({ queryKey: ['content-versions', kind, name], queryFn: () => contentApi.versions(kind, name) });
  const latest = versions.data?.items.reduce((max, v) => Math.max(max, v.version), 0);
  const selected = Number(params.get('version')) || latest;
  const version = useQuery({
    queryKey: ['content-version', kind, name, selected],
    enabled: selected !== undefined && selected > 0,
    queryFn: () => contentApi.version(kind, name, selected!),
  });
  const [text, setText] = useState('');
  const [report, setReport] = useState<ValidationReport | undefined>();
  const [notice, setNotice] = useState<string | undefined>();
  // The builder's language of texts, which is also the preview's: the console's own at first.
  const [language, setLanguage] = useState<'en' | 'de'>(locale);
  // The last valid form as the runner would be sent it: kept while the JSON is mid-edit and invalid.
  const [presented, setPresented] = useState<JourneyForm | null | undefined>();
  useEffect(() => {
    if (version.data) setText(textOf(kind, version.data));
  }, [version.data, kind]);
  const parsed = parse(kind, text);
  // The text and language the report and preview were made from: while they differ from the editor's, the preview is
  // being brought up to date (aria-busy).
  const [checked, setChecked] = useState<string | undefined>();
  const editing = `${language}\n${text}`;
  // A page's HTML as the preview last drew it: updated at the same pause as validation, each time in a new frame.
  const [previewed, setPreviewed] = useState<PreviewedPage | undefined>();
  // Validate (and draw a page's preview) as the operator types, once they pause. An answer for a text edited since is
  // dropped: answers can arrive out of order, and an older one would put back a preview of the form as it was.
  useEffect(() => {
    if (parsed.error !== undefined || text === '') return;
    let superseded = false;
    const timer = setTimeout(() => {
      const settle = (apply: () => void) => {
        if (superseded) return;
        apply();
        setChecked(editing);
      };
      if (kind === 'forms')
        contentApi.preview(text, language).then(
          ({ presented: next, ...validation }) =>
            settle(() => {
              setReport(validation);
              if (next) setPresented(next);
            }),
          () => settle(() => setReport(undefined)),
        );
      else {
        setPreviewed((last) => ({ html: text, frame: (last?.frame ?? 0) + 1 }));
        contentApi.validate(kind, text).then(
          (next) => settle(() => setReport(next)),
          () => settle(() => setReport(undefined)),
        );
      }
    }, VALIDATE_AFTER_MS);
    return () => {
      superseded = true;
      clearTimeout(timer);
    };
  }, [text, kind, parsed.error, language, editing]);
  const previewBusy = parsed.error === undefined && text !== '' && checked !== editing;
  const builderForm = kind === 'forms' && isBuilderForm(parsed.value) ? parsed.value : undefined;
  const editFromBuilder = (next: BuilderForm) => setText(JSON.stringify(next, null, 2));
  const refresh = async () => {
    await queryClient.invalidateQueries({ queryKey: ['content-versions', kind, name] });
    await queryClient.invalidateQueries({ queryKey: ['content-version', kind, name] });
    await queryClient.invalidateQueries({ queryKey: ['content', kind] });
  };
  const isDraft = version.data?.status === 'draft';
  const save = useMutation({
    mutationFn: () => (isDraft ? contentApi.saveVersion(kind, name, selected!, text) : contentApi.newVersion(kind, name, text)),
    onSuccess: async (saved) => {
      setNotice(t('common.saved'));
      await refresh();
      setParams({ version: String(saved.version) }, { replace: true });
    },
  });
  const publish = useMutation({
    mutationFn: () => contentApi.publish(kind, name, selected!),
    onSuccess: async () => {
      setNotice(t('journeys.published', { version: selected! }));
      await refresh();
    },
  });
  if (versions.isPending) return <Loading />;
  if (versions.error) return <ErrorMessage error={versions.error} />;
  // The editor appears with the version's text: typed into before it arrived, the text would be replaced by it.
  if (selected !== undefined && selected > 0 && version.isPending) return <Loading />;
  const saveError = save.error instanceof ApiError ? save.error : undefined;
  return (
    <>
      <nav aria-label={t('common.breadcrumbs')} className="breadcrumbs">
        <Link to={`/${kind}`}>{kind === 'forms' ? t('content.forms') : t('content.pages')}</Link> <span aria-hidden="true">/</span>{' '}
        <span aria-current="page">{name}</span>
      </nav>
      <PageHeader
        title={name}
        actions={
          <>
            {canEdit ? (
              <Button variant="primary" onPress={() => save.mutate()} isDisabled={save.isPending || parsed.error !== undefined}>
                {isDraft ? t('content.saveVersion') : t('content.newVersion')}
              </Button>
            ) : null}
            {canPublish && isDraft ? (
              <Button onPress={() => publish.mutate()} isDisabled={publish.isPending}>
                {t('content.publish')}
              </Button>
            ) : null}
          </>
        }
      />
      {notice && !save.isPending && !publish.isPending ? <Notice>{notice}</Notice> : null}
      <ErrorMessage error={saveError ?? publish.error ?? version.error} />
      <section className="section" aria-labelledby="versions-title">
        <h2 id="versions-title">{t('content.versions')}</h2>
        <ul className="version-list">
          {versions.data.items.map((v) => (
            <li key={v.version}>
              <Link to={`?version=${v.version}`} aria-current={v.version === selected ? 'true' : undefined} className="version-link">
                {t('common.version')} {v.version}{' '}
                <span className={`badge ${v.status === 'published' ? 'badge-active' : 'badge-pending'}`}>
                  {v.status === 'published' ? t('content.publishedBadge') : t('content.draftBadge')}
                </span>{' '}
                <span className="muted small">{formatDate(v.updatedAt)}</span>
              </Link>
            </li>
          ))}
        </ul>
      </section>
      {builderForm ? (
        <div className="split">
          <FormBuilder form={builderForm} onChange={editFromBuilder} language={language} onLanguageChange={setLanguage} isReadOnly={!canEdit} />
          <section className="panel builder-preview" aria-labelledby="preview-title" aria-busy={previewBusy}>
            <h2 id="preview-title">{t('formBuilder.preview')}</h2>
            {report && !report.valid && presented ? <p className="muted small">{t('formBuilder.previewInvalid')}</p> : null}
            <RunnerPreview presented={presented} accepted={t('formBuilder.accepted')} />
          </section>
        </div>
      ) : null}
      <div className={kind === 'forms' ? 'stack editor-column' : 'split'}>
        <div className="stack editor-column">
          <TextField
            className="editor"
            label={kind === 'forms' ? t('content.editor') : 'HTML'}
            multiline
            rows={24}
            value={text}
            onChange={setText}
            isReadOnly={!canEdit}
            description={t('content.editorHelp')}
            error={parsed.error !== undefined ? t('content.invalidJson', { message: parsed.error }) : undefined}
          />
          <div role="status" aria-live="polite" className="validation">
            {parsed.error === undefined && report ? (
              report.valid && report.warnings.length === 0 ? (
                <p className="notice">{t('common.valid')}</p>
              ) : (
                <>
                  <h2 className="subheading">{t('content.problems')}</h2>
                  <ul className="problem-list">
                    {[...report.errors, ...report.warnings].map((p, i) => (
                      <li key={i}>
                        <code>{p.field}</code>: {p.message}
                      </li>
                    ))}
                  </ul>
                </>
              )
            ) : null}
          </div>
        </div>
        {kind === 'pages' ? (
          <section className="panel" aria-labelledby="preview-title">
            <h2 id="preview-title">{t('common.preview')}</h2>
            {/* Scripts do not run in the preview: it shows the markup and styles. */}
            <PagePreview page={previewed} title={t('common.preview')} />
          </section>
        ) : null}
      </div>
    </>
  );
}
