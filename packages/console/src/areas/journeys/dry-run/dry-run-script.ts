// What the "Try it" panel asks for: one answer per client-facing step of the definition, and the script the
// server's dry-run takes (POST /api/journeys/{journeyId}/dry-run).
import type { components } from '../../../api/schema.ts';

export type DryRunResponse = components['schemas']['JourneyDryRunResponse'];
export type DryRunTraceEntry = components['schemas']['JourneyDryRunTraceEntry'];
export type DryRunResult = components['schemas']['JourneyDryRunResult'];

/** How the software authenticator answers a passkey step. */
export const PASSKEY_BEHAVIOURS = ['succeeds', 'userCancels', 'timesOut', 'failsUserVerification', 'unknownCredential'] as const;
export type PasskeyBehaviour = (typeof PASSKEY_BEHAVIOURS)[number];
/** How a form step is answered: submitted with the test input, cancelled, or left to time out. */
export const FORM_ACTIONS = ['submit', 'userCancels', 'timesOut'] as const;
export type FormAction = (typeof FORM_ACTIONS)[number];

/** The passkey steps the server's software authenticator answers, and whether each signs in (unknownCredential applies to those only). */
const PASSKEY_STEPS: Record<string, 'registration' | 'authentication'> = {
  'trustx.passkeyRegistrationForm': 'registration',
  'trustx.passkeyAuthenticationForm': 'authentication',
  'mosaic.registerPasskeys': 'registration',
};

export interface AnswerableStep {
  id: string;
  type: string;
  title: string;
  /** Passkey steps: which ceremony; undefined for a form step. */
  ceremony?: 'registration' | 'authentication';
}

export type StepAnswer = { kind: 'passkey'; behaviour: PasskeyBehaviour; formData: string } | { kind: 'form'; action: FormAction; formData: string };

interface DefinitionStep {
  id?: unknown;
  type?: unknown;
  title?: unknown;
}

/** The steps a run waits at (client-facing), in definition order; `clientFacing` comes from /api/journeys/step-types. */
export function answerableSteps(definition: Record<string, unknown> | undefined, clientFacing: ReadonlySet<string>): AnswerableStep[] {
  const steps = Array.isArray(definition?.steps) ? (definition.steps as DefinitionStep[]) : [];
  return steps
    .filter((s): s is { id: string; type: string; title?: unknown } => typeof s.id === 'string' && typeof s.type === 'string' && clientFacing.has(s.type))
    .map((s) => ({
      id: s.id,
      type: s.type,
      title: typeof s.title === 'string' && s.title !== '' ? s.title : s.id,
      ...(PASSKEY_STEPS[s.type] ? { ceremony: PASSKEY_STEPS[s.type] } : {}),
    }));
}

export function defaultAnswer(step: AnswerableStep): StepAnswer {
  return step.ceremony ? { kind: 'passkey', behaviour: 'succeeds', formData: '{}' } : { kind: 'form', action: 'submit', formData: '{}' };
}

/** Form data as typed: a JSON object, or an error message key. */
export function parseFormData(text: string): Record<string, unknown> | 'invalid' {
  if (text.trim() === '') return {};
  try {
    const value = JSON.parse(text) as unknown;
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : 'invalid';
  } catch {
    return 'invalid';
  }
}

type ScriptAnswer = PasskeyBehaviour | Record<string, unknown>;

/**
 * The script of the request; undefined while some form data is not a JSON object. A passkey step answers its first
 * visit as chosen and succeeds on later ones (the user retries), so a retry branch is seen once, not looped.
 */
export function buildScript(
  steps: readonly AnswerableStep[],
  answers: Readonly<Record<string, StepAnswer>>,
): Record<string, ScriptAnswer | ScriptAnswer[]> | undefined {
  const script: Record<string, ScriptAnswer | ScriptAnswer[]> = {};
  for (const step of steps) {
    const answer = answers[step.id] ?? defaultAnswer(step);
    if (answer.kind === 'form' && answer.action !== 'submit') {
      script[step.id] = answer.action;
      continue;
    }
    const data = parseFormData(answer.formData);
    if (data === 'invalid') return undefined;
    script[step.id] = answer.kind === 'passkey' && answer.behaviour !== 'succeeds' ? [answer.behaviour, data] : data;
  }
  return script;
}
