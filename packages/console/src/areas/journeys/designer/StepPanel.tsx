// The side panel of the selected step: its id (renaming keeps every arrow), title, parameters from its type's
// schema, and a select per outcome — the keyboard's way to draw an arrow.
import { useEffect, useState } from 'react';
import { useT } from '../../../i18n/i18n.tsx';
import { Button, SelectField, TextField } from '../../../ui/controls.tsx';
import {
  isValidStepId,
  outcomesOf,
  renameStep,
  setOutcome,
  setParameter,
  setTitle,
  variablesInScope,
  type JourneyDefinition,
  type StepDefinition,
  type StepTypeInfo,
} from './journey-model.ts';
import { ParameterFields } from './ParameterFields.tsx';

export interface Problem {
  severity: 'error' | 'warning';
  code: string;
  stepId?: string;
  pointer: string;
  message: string;
}

interface StepPanelProps {
  definition: JourneyDefinition;
  step: StepDefinition;
  stepTypes: ReadonlyMap<string, StepTypeInfo>;
  problems: Problem[];
  isReadOnly: boolean;
  apply(next: JourneyDefinition, group?: string): void;
  onRenamed(id: string): void;
  onCopy(): void;
  onDelete(): void;
}

export function StepPanel({ definition, step, stepTypes, problems, isReadOnly, apply, onRenamed, onCopy, onDelete }: StepPanelProps) {
  const t = useT();
  const type = stepTypes.get(step.type);
  const index = definition.steps.findIndex((s) => s.id === step.id);
  const [idText, setIdText] = useState(step.id);
  useEffect(() => setIdText(step.id), [step.id]);
  const idError = idText !== step.id && !isValidStepId(definition, idText, step.id) ? t('designer.invalidId') : undefined;
  const at = `/steps/${index}`;
  const parameterErrors = new Map<string, string>();
  for (const p of problems) {
    const match = new RegExp(`^${at}/parameters/([^/]+)`).exec(p.pointer);
    if (match && p.severity === 'error' && !parameterErrors.has(match[1]!)) parameterErrors.set(match[1]!.replace(/~1/g, '/').replace(/~0/g, '~'), p.message);
  }
  const stepProblems = problems.filter((p) => p.stepId === step.id || p.pointer === at || p.pointer.startsWith(`${at}/`));
  const targets = [{ id: '', label: t('designer.notConnected') }, ...definition.steps.map((s) => ({ id: s.id, label: `${s.title || s.id} (${s.id})` }))];
  return (
    <section className="panel designer-panel" aria-labelledby="designer-step-title">
      <h2 id="designer-step-title">{t('designer.stepHeading', { id: step.id })}</h2>
      <p className="muted">
        {type?.title ?? step.type} · <span className="mono">{step.type}</span>
      </p>
      {type === undefined ? <p className="error-text">{t('designer.unknownType')}</p> : null}
      <div className="designer-panel-actions">
        {definition.start !== step.id && !isReadOnly ? (
          <Button onPress={() => apply({ ...definition, start: step.id })}>{t('designer.makeStart')}</Button>
        ) : null}
        <Button onPress={onCopy}>{t('designer.copyStep')}</Button>
        {!isReadOnly ? (
          <Button variant="danger" onPress={onDelete}>
            {t('designer.deleteStep')}
          </Button>
        ) : null}
      </div>
      <TextField
        label={t('designer.stepId')}
        value={idText}
        isReadOnly={isReadOnly}
        onChange={(next) => {
          setIdText(next);
          if (next !== step.id && isValidStepId(definition, next, step.id)) {
            apply(renameStep(definition, step.id, next), `id:${index}`);
            onRenamed(next);
          }
        }}
        error={idError}
        description={t('designer.stepIdHelp')}
      />
      <TextField
        label={t('designer.stepTitle')}
        value={step.title ?? ''}
        isReadOnly={isReadOnly}
        onChange={(title) => apply(setTitle(definition, step.id, title), `title:${step.id}`)}
      />
      <h3 className="subheading">{t('designer.outcomes')}</h3>
      {outcomesOf(step, type).length === 0 ? <p className="muted">{t('designer.noOutcomes')}</p> : null}
      {outcomesOf(step, type).map((outcome) => (
        <SelectField
          key={`${step.id}/${outcome}`}
          label={t('designer.outcomeTarget', { outcome })}
          value={step.outcomes?.[outcome] ?? ''}
          onChange={(target) => apply(setOutcome(definition, step.id, outcome, target))}
          options={targets}
        />
      ))}
      <h3 className="subheading">{t('designer.parameters')}</h3>
      <ParameterFields
        stepId={step.id}
        schema={type?.parameterSchema}
        parameters={step.parameters ?? {}}
        onChange={(name, value) => apply(setParameter(definition, step.id, name, value), `param:${step.id}/${name}`)}
        errors={parameterErrors}
        scope={variablesInScope(definition, stepTypes, step.id)}
        isReadOnly={isReadOnly}
      />
      {stepProblems.length > 0 ? (
        <>
          <h3 className="subheading">{t('content.problems')}</h3>
          <ul className="problem-list">
            {stepProblems.map((p, i) => (
              <li key={i} className={p.severity === 'error' ? 'problem-error' : 'problem-warning'}>
                {p.code}: {p.message}
              </li>
            ))}
          </ul>
        </>
      ) : null}
    </section>
  );
}
