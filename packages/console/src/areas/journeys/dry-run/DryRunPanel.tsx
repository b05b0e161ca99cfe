// "Try it": runs the journey on the server in a sandbox (nothing is stored) with the answers picked here — each
// passkey step's software-authenticator behaviour, each form's test input — and shows the path taken with the
// variables after each step. The designer shows the same trace on its canvas through `onTrace`.
import { useMutation, useQuery } from '@tanstack/react-query';
import { useId, useMemo, useState } from 'react';
import { api, ok } from '../../../api/client.ts';
import { useI18n } from '../../../i18n/i18n.tsx';
import type { MessageKey } from '../../../i18n/en.ts';
import { Button, SelectField, TextField } from '../../../ui/controls.tsx';
import { ErrorMessage } from '../../../ui/feedback.tsx';
import {
  answerableSteps,
  buildScript,
  defaultAnswer,
  FORM_ACTIONS,
  parseFormData,
  PASSKEY_BEHAVIOURS,
  type AnswerableStep,
  type DryRunResponse,
  type StepAnswer,
} from './dry-run-script.ts';

export interface DryRunPanelProps {
  journeyId: string;
  /** The definition to try (e.g. the editor's unsaved text); undefined tries the stored draft. */
  definition?: Record<string, unknown> | undefined;
  /** Told of each run's answer (undefined when a new run starts), e.g. to highlight the path on a canvas. */
  onTrace?: (response: DryRunResponse | undefined) => void;
}

const BEHAVIOUR_LABELS: Record<(typeof PASSKEY_BEHAVIOURS)[number], MessageKey> = {
  succeeds: 'dryRun.behaviour.succeeds',
  userCancels: 'dryRun.behaviour.userCancels',
  timesOut: 'dryRun.behaviour.timesOut',
  failsUserVerification: 'dryRun.behaviour.failsUserVerification',
  unknownCredential: 'dryRun.behaviour.unknownCredential',
};
const FORM_LABELS: Record<(typeof FORM_ACTIONS)[number], MessageKey> = {
  submit: 'dryRun.form.submit',
  userCancels: 'dryRun.behaviour.userCancels',
  timesOut: 'dryRun.behaviour.timesOut',
};

export function DryRunPanel({ journeyId, definition, onTrace }: DryRunPanelProps) {
  const { t } = useI18n();
  const headingId = useId();
  // Only a definition with steps is tried as given; otherwise the server runs the stored draft (or latest version).
  const given = definition && Array.isArray(definition.steps) ? definition : undefined;
  const stepTypes = useQuery({ queryKey: ['journey-step-types'], queryFn: () => ok(api.GET('/api/journeys/step-types')) });
  const clientFacing = useMemo(() => new Set((stepTypes.data?.items ?? []).filter((s) => s.clientFacing).map((s) => s.type)), [stepTypes.data]);
  const steps = useMemo(() => answerableSteps(given, clientFacing), [given, clientFacing]);
  const [answers, setAnswers] = useState<Record<string, StepAnswer>>({});
  const script = buildScript(steps, answers);
  const run = useMutation({
    mutationFn: () =>
      ok(
        api.POST('/api/journeys/{journeyId}/dry-run', {
          params: { path: { journeyId } },
          body: { ...(given ? { definition: given } : {}), script: script! },
        }),
      ),
    onMutate: () => onTrace?.(undefined),
    onSuccess: (response) => onTrace?.(response),
  });
  const answerOf = (step: AnswerableStep) => answers[step.id] ?? defaultAnswer(step);
  const setAnswer = (step: AnswerableStep, change: Partial<StepAnswer>) =>
    setAnswers((all) => ({ ...all, [step.id]: { ...answerOf(step), ...change } as StepAnswer }));

  return (
    <section className="panel dry-run" aria-labelledby={headingId}>
      <h2 id={headingId}>{t('dryRun.title')}</h2>
      <p className="muted">{t('dryRun.intro')}</p>
      {steps.length === 0 ? <p className="muted">{t('dryRun.noSteps')}</p> : null}
      <ul className="dry-run-steps plain-list">
        {steps.map((step) => {
          const answer = answerOf(step);
          const invalid = parseFormData(answer.formData) === 'invalid';
          // A passkey step's form data goes with every visit that submits (a retry's too).
          const showData = answer.kind === 'passkey' || answer.action === 'submit';
          return (
            <li key={step.id} className="dry-run-step">
              <p className="dry-run-step-name">
                <strong>{step.title}</strong> <span className="mono muted">{step.id}</span>
              </p>
              {answer.kind === 'passkey' ? (
                <SelectField
                  label={t('dryRun.behaviour')}
                  value={answer.behaviour}
                  onChange={(behaviour) => setAnswer(step, { behaviour })}
                  options={PASSKEY_BEHAVIOURS.filter((b) => b !== 'unknownCredential' || step.ceremony === 'authentication').map((id) => ({
                    id,
                    label: t(BEHAVIOUR_LABELS[id]),
                  }))}
                  description={t('dryRun.behaviourHelp')}
                />
              ) : (
                <SelectField
                  label={t('dryRun.form.action')}
                  value={answer.action}
                  onChange={(action) => setAnswer(step, { action })}
                  options={FORM_ACTIONS.map((id) => ({ id, label: t(FORM_LABELS[id]) }))}
                />
              )}
              {showData ? (
                <TextField
                  className="dry-run-input"
                  label={t('dryRun.formData')}
                  multiline
                  rows={3}
                  value={answer.formData}
                  onChange={(formData) => setAnswer(step, { formData })}
                  description={t('dryRun.formDataHelp')}
                  error={invalid ? t('dryRun.formDataInvalid') : undefined}
                />
              ) : null}
            </li>
          );
        })}
      </ul>
      <Button variant="primary" onPress={() => run.mutate()} isDisabled={run.isPending || script === undefined || stepTypes.isPending}>
        {t('dryRun.run')}
      </Button>
      <ErrorMessage error={run.error ?? stepTypes.error} />
      <div role="status" aria-live="polite">
        {run.data ? <DryRunTrace response={run.data} /> : null}
      </div>
    </section>
  );
}

const STATUS_LABELS: Record<DryRunResponse['result']['status'], MessageKey> = {
  success: 'dryRun.result.success',
  rejection: 'dryRun.result.rejection',
  stopped: 'dryRun.result.stopped',
};

/** The path a dry-run took: each step, the outcome it left by, and the variables after it. */
export function DryRunTrace({ response }: { response: DryRunResponse }) {
  const { t } = useI18n();
  const { result, trace } = response;
  return (
    <div className="dry-run-trace">
      <p className={`badge dry-run-result dry-run-result-${result.status}`}>
        {t(STATUS_LABELS[result.status])}
        {result.code ? <span className="mono"> {result.code}</span> : null}
      </p>
      {result.detail ? <p className="muted">{result.detail}</p> : null}
      <h3 className="subheading">{t('dryRun.path')}</h3>
      <ol className="dry-run-path">
        {trace.map((entry, index) => (
          <li key={index} data-step-id={entry.stepId} data-outcome={entry.outcome}>
            <span className="mono">{entry.stepId}</span> <span className="muted">({entry.type})</span> → <strong>{entry.outcome}</strong>
            <details>
              <summary>{t('dryRun.variables')}</summary>
              {/* Focusable: it scrolls, and keyboard users scroll it too. */}
              <pre className="mono dry-run-variables" tabIndex={0}>
                {JSON.stringify(entry.variables, null, 2)}
              </pre>
            </details>
          </li>
        ))}
      </ol>
    </div>
  );
}
