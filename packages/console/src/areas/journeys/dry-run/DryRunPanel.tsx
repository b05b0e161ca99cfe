// "Try it": runs the journey on the server in a sandbox (nothing is stored) with the answers picked here — each
// passkey step's software-authenticator behaviour, each form's test input, an e-mail code typed right or wrong, a
// device's status, a custom branch — optionally as an existing user of the store, and shows the path taken with the
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
  choicesOf,
  defaultAnswer,
  parseFormData,
  takesFormData,
  type AnswerableStep,
  type DryRunResponse,
  type StepAnswer,
  type StepKind,
} from './dry-run-script.ts';

export interface DryRunPanelProps {
  journeyId: string;
  /** The definition to try (e.g. the editor's unsaved text); undefined tries the stored draft. */
  definition?: Record<string, unknown> | undefined;
  /** Told of each run's answer (undefined when a new run starts), e.g. to highlight the path on a canvas. */
  onTrace?: (response: DryRunResponse | undefined) => void;
}

const CHOICE_LABELS: Record<string, MessageKey> = {
  succeeds: 'dryRun.behaviour.succeeds',
  userCancels: 'dryRun.behaviour.userCancels',
  timesOut: 'dryRun.behaviour.timesOut',
  failsUserVerification: 'dryRun.behaviour.failsUserVerification',
  unknownCredential: 'dryRun.behaviour.unknownCredential',
  submit: 'dryRun.form.submit',
  wrongCodeOnce: 'dryRun.code.wrongOnce',
  wrongCodeAlways: 'dryRun.code.wrongAlways',
  knownForThisUser: 'dryRun.device.knownForThisUser',
  knownForAnotherUser: 'dryRun.device.knownForAnotherUser',
  unknown: 'dryRun.device.unknown',
};
const EMAIL_CODE_SUCCEEDS: MessageKey = 'dryRun.code.right';

/** What the choice is called per kind of step: a passkey behaviour, a user's action, the device's status. */
const CHOICE_FIELD: Record<StepKind, MessageKey> = {
  passkeyRegistration: 'dryRun.behaviour',
  passkeyAuthentication: 'dryRun.behaviour',
  emailCode: 'dryRun.form.action',
  deviceStatus: 'dryRun.device',
  form: 'dryRun.form.action',
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
  const [startUser, setStartUser] = useState('');
  const script = buildScript(steps, answers);
  const run = useMutation({
    mutationFn: () =>
      ok(
        api.POST('/api/journeys/{journeyId}/dry-run', {
          params: { path: { journeyId } },
          body: { ...(given ? { definition: given } : {}), ...(startUser.trim() ? { startUser: { userKey: startUser.trim() } } : {}), script: script! },
        }),
      ),
    onMutate: () => onTrace?.(undefined),
    onSuccess: (response) => onTrace?.(response),
  });
  const answerOf = (step: AnswerableStep) => answers[step.id] ?? defaultAnswer(step);
  const setAnswer = (step: AnswerableStep, change: Partial<StepAnswer>) => setAnswers((all) => ({ ...all, [step.id]: { ...answerOf(step), ...change } }));
  const choiceLabel = (step: AnswerableStep, choice: string) =>
    choice.startsWith('branch:')
      ? t('dryRun.branch', { id: choice.slice('branch:'.length) })
      : t(step.kind === 'emailCode' && choice === 'succeeds' ? EMAIL_CODE_SUCCEEDS : (CHOICE_LABELS[choice] ?? 'dryRun.form.submit'));

  return (
    <section className="panel dry-run" aria-labelledby={headingId}>
      <h2 id={headingId}>{t('dryRun.title')}</h2>
      <p className="muted">{t('dryRun.intro')}</p>
      <TextField label={t('dryRun.startUser')} value={startUser} onChange={setStartUser} description={t('dryRun.startUserHelp')} />
      {steps.length === 0 ? <p className="muted">{t('dryRun.noSteps')}</p> : null}
      <ul className="dry-run-steps plain-list">
        {steps.map((step) => {
          const answer = answerOf(step);
          const showData = takesFormData(step, answer);
          const invalid = showData && parseFormData(answer.formData) === 'invalid';
          return (
            <li key={step.id} className="dry-run-step">
              <p className="dry-run-step-name">
                <strong>{step.title}</strong> <span className="mono muted">{step.id}</span>
              </p>
              <SelectField
                label={t(CHOICE_FIELD[step.kind])}
                value={answer.choice}
                onChange={(choice) => setAnswer(step, { choice })}
                options={choicesOf(step).map((id) => ({ id, label: choiceLabel(step, id) }))}
                {...(step.kind === 'passkeyRegistration' || step.kind === 'passkeyAuthentication' ? { description: t('dryRun.behaviourHelp') } : {})}
              />
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
