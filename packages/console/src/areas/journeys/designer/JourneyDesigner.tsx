// The journey designer at /journeys/{id}/designer (its own lazily loaded chunk: React Flow and ELK stay out of the
// console's first load). It edits the draft as a document with undo/redo; the canvas, the selected step's panel
// and the JSON view are views of that one document. Every change is validated by the server (debounced), whose
// report marks the nodes and fields; Save writes the draft with If-Match; Publish saves, then publishes.
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { FileTrigger, Tab, TabList, TabPanel, Tabs } from 'react-aria-components';
import { Link, useParams, useSearchParams } from 'react-router';
import { api, ifMatch, ok, versioned } from '../../../api/client.ts';
import { useI18n } from '../../../i18n/i18n.tsx';
import { useCan } from '../../../session/use-session.ts';
import { useStores } from '../../../shell/current-store.tsx';
import { Button, TextField } from '../../../ui/controls.tsx';
import { ErrorMessage, Loading, Notice, PageHeader } from '../../../ui/feedback.tsx';
import { JourneyCanvas, type StepProblems } from './JourneyCanvas.tsx';
import {
  addStep,
  asDefinition,
  autoLayout,
  pasteStep,
  placeNodes,
  removeStep,
  setOutcome,
  type JourneyDefinition,
  type StepDefinition,
  type StepTypeInfo,
} from './journey-model.ts';
import { JourneySettings } from './JourneySettings.tsx';
import { StepPanel, type Problem } from './StepPanel.tsx';
import { useEditHistory } from './use-edit-history.ts';
import { VersionsPanel } from './VersionsPanel.tsx';
import { DryRunPanel, type DryRunResponse } from '../dry-run/index.ts';

const TABS = ['canvas', 'json', 'versions', 'try'] as const;
type TabId = (typeof TABS)[number];
const VALIDATE_DELAY_MS = 300;

/** How a document is exported, imported and shown in the JSON view: the same bytes each time. */
export function serialise(definition: JourneyDefinition): string {
  return `${JSON.stringify(definition, null, 2)}\n`;
}

function isTyping(target: EventTarget | null): boolean {
  return target instanceof HTMLElement && (target.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName));
}

export function JourneyDesigner() {
  const { t } = useI18n();
  const journeyId = useParams().journeyId!;
  const [params, setParams] = useSearchParams();
  const tab: TabId = (TABS as readonly string[]).includes(params.get('tab') ?? '') ? (params.get('tab') as TabId) : 'canvas';
  const queryClient = useQueryClient();
  const canEdit = useCan('Journeys:updateDraft');
  const canPublish = useCan('Journeys:publish');
  const path = { journeyId };
  const defaultStore = useStores().data?.items[0]?.name ?? '';
  const journey = useQuery({ queryKey: ['journey', journeyId], queryFn: () => versioned(api.GET('/api/journeys/{journeyId}', { params: { path } })) });
  const stepTypeList = useQuery({ queryKey: ['journey-step-types'], staleTime: Infinity, queryFn: () => ok(api.GET('/api/journeys/step-types')) });
  const stepTypes = useMemo(() => new Map((stepTypeList.data?.items ?? []).map((s) => [s.type, s as StepTypeInfo])), [stepTypeList.data]);

  const history = useEditHistory<JourneyDefinition | undefined>(undefined);
  const definition = history.present;
  const [etag, setEtag] = useState<string | undefined>();
  const [saved, setSaved] = useState<string | undefined>();
  const [selected, setSelected] = useState<string | undefined>();
  const [clipboard, setClipboard] = useState<StepDefinition | undefined>();
  const [notice, setNotice] = useState<string | undefined>();
  const [problems, setProblems] = useState<Problem[] | undefined>();
  const [importError, setImportError] = useState<string | undefined>();
  // The last "Try it" run: its path is drawn on the canvas until the next run starts.
  const [dryRun, setDryRun] = useState<DryRunResponse | undefined>();
  // Bumped by "Auto layout": the canvas lays the graph out and fits it again.
  const [layoutKey, setLayoutKey] = useState(0);
  // The step palette is open for an empty journey and folded for one that has steps, so the canvas is in view.
  const [paletteOpen, setPaletteOpen] = useState(true);
  const trace = useMemo(() => dryRun?.trace.map((entry) => ({ stepId: entry.stepId, ...(entry.outcome ? { outcome: entry.outcome } : {}) })), [dryRun]);
  const loaded = useRef(false);

  useEffect(() => {
    if (!journey.data || loaded.current) return;
    loaded.current = true;
    const doc = asDefinition(journey.data.data.draft, defaultStore);
    if (!doc.name && journey.data.data.name && journey.data.data.draft === null) doc.name = journey.data.data.name;
    history.reset(doc);
    setPaletteOpen(doc.steps.length === 0);
    setEtag(journey.data.etag);
    setSaved(journey.data.data.draft === null ? undefined : serialise(doc));
  }, [journey.data, defaultStore, history]);

  // The server's checks (schema, references, parameters, CEL syntax) on every change, a moment after typing stops.
  useEffect(() => {
    if (!definition) return;
    let current = true;
    const timer = setTimeout(() => {
      ok(api.POST('/api/journeys/{journeyId}/validate', { params: { path: { journeyId } }, body: { definition } as never })).then(
        (report) => current && setProblems(report.problems as Problem[]),
        () => undefined,
      );
    }, VALIDATE_DELAY_MS);
    return () => {
      current = false;
      clearTimeout(timer);
    };
  }, [definition, journeyId]);

  const apply = useCallback((next: JourneyDefinition, group?: string) => history.apply(next, group), [history]);
  const step = definition?.steps.find((s) => s.id === selected);
  const dirty = definition !== undefined && serialise(definition) !== saved;

  const refresh = async () => {
    await queryClient.invalidateQueries({ queryKey: ['journey-versions', journeyId] });
    await queryClient.invalidateQueries({ queryKey: ['journeys'] });
  };
  const saveDraft = async (doc: JourneyDefinition) => {
    const result = await versioned(api.PUT('/api/journeys/{journeyId}/draft', { params: { path }, headers: ifMatch(etag), body: { definition: doc } }));
    setEtag(result.etag);
    setSaved(serialise(doc));
    setProblems(result.data.validation.problems as Problem[]);
    return result.data.validation;
  };
  const save = useMutation({
    mutationFn: () => saveDraft(definition!),
    onSuccess: async () => {
      setNotice(t('common.saved'));
      await queryClient.invalidateQueries({ queryKey: ['journey', journeyId] });
    },
  });
  const validate = useMutation({
    mutationFn: () => ok(api.POST('/api/journeys/{journeyId}/validate', { params: { path }, body: { definition } as never })),
    onSuccess: (report) => {
      setProblems(report.problems as Problem[]);
      setNotice(report.valid ? t('designer.valid') : t('designer.invalid'));
    },
  });
  const publishDoc = async (doc: JourneyDefinition) => {
    if (serialise(doc) !== saved) await saveDraft(doc);
    const version = await ok(api.POST('/api/journeys/{journeyId}/publish', { params: { path }, body: {} }));
    // Publishing changes the journey (its latest version), so the next save needs its new ETag.
    setEtag((await versioned(api.GET('/api/journeys/{journeyId}', { params: { path } }))).etag);
    return version;
  };
  const publish = useMutation({
    mutationFn: () => publishDoc(definition!),
    onSuccess: async (v) => {
      setNotice(t('journeys.published', { version: (v as { version?: number }).version ?? '' }));
      await refresh();
    },
  });
  const rollback = useMutation({
    mutationFn: async ({ doc }: { version: number; doc: JourneyDefinition }) => {
      history.apply(doc);
      return publishDoc(doc);
    },
    onSuccess: async (v, { version }) => {
      setNotice(t('designer.rolledBack', { from: version, version: (v as { version?: number }).version ?? '' }));
      await refresh();
    },
  });
  const busy = save.isPending || publish.isPending || validate.isPending || rollback.isPending;

  const copy = useCallback(() => {
    if (step) {
      setClipboard(structuredClone(step));
      setNotice(t('designer.copied', { id: step.id }));
    }
  }, [step, t]);
  const paste = useCallback(() => {
    if (!definition || !clipboard) return;
    const next = pasteStep(definition, clipboard);
    apply(next.definition);
    setSelected(next.id);
  }, [definition, clipboard, apply]);
  const remove = useCallback(() => {
    if (!definition || !step) return;
    apply(removeStep(definition, step.id));
    setSelected(undefined);
  }, [definition, step, apply]);

  // Ctrl/⌘+Z undo, Ctrl/⌘+Shift+Z (or Ctrl+Y) redo, Ctrl/⌘+C/V copy and paste the selected step. In a text field
  // these keys keep their usual meaning there.
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if (!(event.ctrlKey || event.metaKey) || event.altKey || isTyping(event.target)) return;
      const key = event.key.toLowerCase();
      if (key === 'z' && !event.shiftKey) history.undo();
      else if ((key === 'z' && event.shiftKey) || key === 'y') history.redo();
      else if (key === 'c' && step && !window.getSelection()?.toString()) copy();
      else if (key === 'v' && clipboard && canEdit) paste();
      else return;
      event.preventDefault();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [history, step, clipboard, copy, paste, canEdit]);

  const problemsByStep = useMemo(() => {
    const map = new Map<string, StepProblems>();
    for (const p of problems ?? []) {
      const index = /^\/steps\/(\d+)/.exec(p.pointer)?.[1];
      const id = p.stepId ?? (index !== undefined ? definition?.steps[Number(index)]?.id : undefined);
      if (!id) continue;
      const entry = map.get(id) ?? { errors: 0, warnings: 0 };
      if (p.severity === 'error') entry.errors++;
      else entry.warnings++;
      map.set(id, entry);
    }
    return map;
  }, [problems, definition]);

  if (journey.isPending || stepTypeList.isPending || (!definition && !journey.error)) return <Loading />;
  if (journey.error || stepTypeList.error) return <ErrorMessage error={journey.error ?? stepTypeList.error} />;
  if (!definition) return <Loading />;

  const exportFile = () => {
    const url = URL.createObjectURL(new Blob([serialise(definition)], { type: 'application/json' }));
    const link = document.createElement('a');
    link.href = url;
    link.download = `${journeyId}.json`;
    link.click();
    setTimeout(() => URL.revokeObjectURL(url), 0);
  };
  const importFile = async (files: FileList | null) => {
    const file = files?.[0];
    if (!file) return;
    try {
      const value = JSON.parse(await file.text()) as unknown;
      if (!value || typeof value !== 'object' || !Array.isArray((value as { steps?: unknown }).steps)) throw new Error(t('designer.notADefinition'));
      apply(asDefinition(value, definition.store));
      setSelected(undefined);
      setImportError(undefined);
      setNotice(t('designer.imported', { name: file.name }));
    } catch (e) {
      setImportError(t('designer.importFailed', { message: e instanceof Error ? e.message : String(e) }));
    }
  };
  const errors = (problems ?? []).filter((p) => p.severity === 'error');
  const families = [...new Set([...stepTypes.values()].map((s) => s.family))];
  const readOnly = !canEdit;

  return (
    <div className="designer">
      <nav aria-label={t('common.breadcrumbs')} className="breadcrumbs">
        <Link to="/journeys">{t('journeys.title')}</Link> <span aria-hidden="true">/</span>{' '}
        <Link to={`/journeys/${encodeURIComponent(journeyId)}`}>{journeyId}</Link> <span aria-hidden="true">/</span>{' '}
        <span aria-current="page">{t('designer.title')}</span>
      </nav>
      <PageHeader
        title={t('designer.heading', { name: definition.name || journey.data.data.name || journeyId })}
        actions={
          <>
            <Button onPress={history.undo} isDisabled={!history.canUndo} aria-keyshortcuts="Control+Z">
              {t('designer.undo')}
            </Button>
            <Button onPress={history.redo} isDisabled={!history.canRedo} aria-keyshortcuts="Control+Shift+Z">
              {t('designer.redo')}
            </Button>
            <Button onPress={() => validate.mutate()} isDisabled={busy}>
              {t('common.validate')}
            </Button>
            {canEdit ? (
              <Button variant="primary" onPress={() => save.mutate()} isDisabled={busy || !dirty}>
                {t('common.save')}
              </Button>
            ) : null}
            {canPublish && canEdit ? (
              <Button onPress={() => publish.mutate()} isDisabled={busy || errors.length > 0}>
                {t('journeys.publish')}
              </Button>
            ) : null}
            <Button onPress={exportFile}>{t('designer.export')}</Button>
            {canEdit ? (
              <FileTrigger acceptedFileTypes={['application/json', '.json']} onSelect={(files) => void importFile(files)}>
                <Button>{t('designer.import')}</Button>
              </FileTrigger>
            ) : null}
          </>
        }
      >
        <p className="muted">
          {dirty ? t('designer.unsaved') : t('designer.allSaved')}
          {' · '}
          {problems === undefined
            ? t('designer.checking')
            : errors.length === 0
              ? t('designer.noErrors', { warnings: problems.length })
              : t('designer.errorCount', { count: errors.length })}
        </p>
      </PageHeader>
      <div aria-live="polite">{notice && !busy ? <Notice>{notice}</Notice> : null}</div>
      {importError ? <p className="error-text">{importError}</p> : null}
      <ErrorMessage
        error={save.error ?? publish.error ?? validate.error ?? rollback.error}
        onReload={() => {
          loaded.current = false;
          save.reset();
          publish.reset();
          void journey.refetch();
        }}
      />
      <Tabs selectedKey={tab} onSelectionChange={(key) => setParams(key === 'canvas' ? {} : { tab: String(key) }, { replace: true })} className="tabs">
        <TabList aria-label={t('designer.views')} className="tab-list">
          <Tab id="canvas" className="tab">
            {t('designer.tabCanvas')}
          </Tab>
          <Tab id="json" className="tab">
            {t('designer.tabJson')}
          </Tab>
          <Tab id="versions" className="tab">
            {t('designer.tabVersions')}
          </Tab>
          {canEdit ? (
            <Tab id="try" className="tab">
              {t('dryRun.title')}
            </Tab>
          ) : null}
        </TabList>
        <TabPanel id="canvas" className="tab-panel">
          <div className="designer-layout">
            {canEdit ? (
              <details className="panel designer-palette" open={paletteOpen} onToggle={(event) => setPaletteOpen(event.currentTarget.open)}>
                <summary>
                  <h2>{t('designer.palette')}</h2>
                </summary>
                <div className="designer-palette-body">
                  {families.map((family) => (
                    <div key={family} className="designer-palette-group">
                      <h3 className="subheading">{family}</h3>
                      <ul className="plain-list">
                        {[...stepTypes.values()]
                          .filter((s) => s.family === family)
                          .map((type) => (
                            <li key={type.type}>
                              <Button
                                variant="quiet"
                                aria-label={t('designer.addStep', { title: type.title })}
                                onPress={() => {
                                  const next = addStep(definition, type);
                                  apply(next.definition);
                                  setSelected(next.id);
                                }}
                              >
                                + {type.title}
                              </Button>
                            </li>
                          ))}
                      </ul>
                    </div>
                  ))}
                </div>
              </details>
            ) : null}
            <div className="designer-main">
              {definition.steps.length === 0 ? <p className="muted">{t('designer.emptyCanvas')}</p> : null}
              {canEdit && definition.steps.length > 0 ? (
                <div className="designer-canvas-toolbar">
                  <p className="muted">{definition.ui?.positions ? t('designer.placedByHand') : t('designer.placedAutomatically')}</p>
                  {clipboard ? <Button onPress={paste}>{t('designer.pasteStep', { id: clipboard.id })}</Button> : null}
                  <Button
                    onPress={() => {
                      apply(autoLayout(definition));
                      setLayoutKey((key) => key + 1);
                    }}
                    isDisabled={!definition.ui?.positions}
                  >
                    {t('designer.autoLayout')}
                  </Button>
                </div>
              ) : null}
              <JourneyCanvas
                definition={definition}
                stepTypes={stepTypes}
                label={t('designer.canvas')}
                selectedStepId={selected}
                onSelect={setSelected}
                problems={problemsByStep}
                layoutKey={layoutKey}
                {...(canEdit
                  ? {
                      onConnect: (id: string, outcome: string, target: string) => apply(setOutcome(definition, id, outcome, target)),
                      onPlace: (shown: ReadonlyMap<string, { x: number; y: number }>, group: string) => apply(placeNodes(definition, shown), group),
                    }
                  : {})}
              />
              {errors.length > 0 ? (
                <section className="panel" aria-labelledby="designer-problems-title">
                  <h2 id="designer-problems-title">{t('content.problems')}</h2>
                  <ul className="problem-list">
                    {(problems ?? []).map((p, i) => (
                      <li key={i} className={p.severity === 'error' ? 'problem-error' : 'problem-warning'}>
                        <code>{p.pointer || '/'}</code> {p.code}: {p.message}
                      </li>
                    ))}
                  </ul>
                </section>
              ) : null}
            </div>
            {step ? (
              <StepPanel
                key={step.id}
                definition={definition}
                step={step}
                stepTypes={stepTypes}
                problems={problems ?? []}
                isReadOnly={readOnly}
                apply={apply}
                onRenamed={setSelected}
                onCopy={copy}
                onDelete={remove}
              />
            ) : (
              <JourneySettings definition={definition} apply={apply} isReadOnly={readOnly} />
            )}
          </div>
        </TabPanel>
        <TabPanel id="json" className="tab-panel">
          <JsonView definition={definition} apply={apply} isReadOnly={readOnly} />
        </TabPanel>
        {canEdit ? (
          <TabPanel id="try" className="tab-panel">
            {/* The path of the last run is drawn on the graph of the definition being edited. */}
            <div className="designer-main">
              <JourneyCanvas definition={definition} stepTypes={stepTypes} label={t('designer.canvas')} {...(trace ? { trace } : {})} />
              <DryRunPanel journeyId={journeyId} definition={definition as unknown as Record<string, unknown>} onTrace={setDryRun} />
            </div>
          </TabPanel>
        ) : null}
        <TabPanel id="versions" className="tab-panel">
          <VersionsPanel
            journeyId={journeyId}
            draft={definition}
            stepTypes={stepTypes}
            canPublish={canPublish && canEdit}
            busy={busy}
            onRollback={(version, doc) => rollback.mutate({ version, doc })}
          />
        </TabPanel>
      </Tabs>
    </div>
  );
}

/** The document as JSON text: edits that parse replace the document (one undo step per burst of typing). */
function JsonView({
  definition,
  apply,
  isReadOnly,
}: {
  definition: JourneyDefinition;
  apply(next: JourneyDefinition, group?: string): void;
  isReadOnly: boolean;
}) {
  const { t } = useI18n();
  const [text, setText] = useState(() => serialise(definition));
  const [error, setError] = useState<string | undefined>();
  useEffect(() => {
    setText((current) => {
      try {
        if (JSON.stringify(JSON.parse(current)) === JSON.stringify(definition)) return current;
      } catch {
        // the text does not parse: the document changed elsewhere, show it
      }
      return serialise(definition);
    });
  }, [definition]);
  return (
    <TextField
      className="editor"
      label={t('designer.json')}
      multiline
      rows={28}
      value={text}
      isReadOnly={isReadOnly}
      description={t('designer.jsonHelp')}
      error={error}
      onChange={(next) => {
        setText(next);
        try {
          const value = JSON.parse(next) as unknown;
          if (!value || typeof value !== 'object' || !Array.isArray((value as { steps?: unknown }).steps)) throw new Error(t('designer.notADefinition'));
          setError(undefined);
          apply(asDefinition(value, definition.store), 'json');
        } catch (e) {
          setError(t('content.invalidJson', { message: e instanceof Error ? e.message : String(e) }));
        }
      }}
    />
  );
}
