// What the "Try it" panel asks for: one answer per client-facing step of the definition, chosen among the answers that
// step type takes, and the script the server's dry-run takes (POST /api/journeys/{journeyId}/dry-run; the server's
// table is packages/server/src/journeys/dry-run/sandbox-client.ts).
import type { components } from '../../../api/schema.ts';

export type DryRunResponse = components['schemas']['JourneyDryRunResponse'];
export type DryRunTraceEntry = components['schemas']['JourneyDryRunTraceEntry'];
export type DryRunResult = components['schemas']['JourneyDryRunResult'];

/** How the software authenticator answers a passkey step. */
export const PASSKEY_BEHAVIOURS = ['succeeds', 'userCancels', 'timesOut', 'failsUserVerification', 'unknownCredential'] as const;
export type PasskeyBehaviour = (typeof PASSKEY_BEHAVIOURS)[number];

/** The kinds of waiting step, each with its own choices. */
export type StepKind = 'passkeyRegistration' | 'passkeyAuthentication' | 'emailCode' | 'deviceStatus' | 'form';

const KINDS: Record<string, StepKind> = {
  'trustx.passkeyRegistrationForm': 'passkeyRegistration',
  'mosaic.registerPasskeys': 'passkeyRegistration',
  'trustx.passkeyAuthenticationForm': 'passkeyAuthentication',
  'mosaic.loginForm': 'passkeyAuthentication',
  'general.emailOtp': 'emailCode',
  'mosaic.knownDeviceStatus': 'deviceStatus',
};

/** The choices of each kind (a custom branch adds `branch:<id>`); the first is the default. */
export const CHOICES: Record<StepKind, readonly string[]> = {
  passkeyRegistration: ['succeeds', 'userCancels', 'timesOut', 'failsUserVerification'],
  passkeyAuthentication: PASSKEY_BEHAVIOURS,
  emailCode: ['succeeds', 'wrongCodeOnce', 'wrongCodeAlways', 'userCancels', 'timesOut'],
  deviceStatus: ['knownForThisUser', 'knownForAnotherUser', 'unknown'],
  form: ['submit', 'userCancels', 'timesOut'],
};

/** E-mail codes: more wrong codes than any step allows (maxAttempts is at most 10), so the step's `failed` is reached. */
const WRONG_CODES_ALWAYS = 10;

export interface AnswerableStep {
  id: string;
  type: string;
  title: string;
  kind: StepKind;
  /** The custom branches the step's parameters declare (Login Form, Register Passkeys). */
  branches: string[];
}

export interface StepAnswer {
  choice: string;
  /** Form data as typed (JSON): a form's input, a passkey form's fields, a custom branch's data. */
  formData: string;
}

interface DefinitionStep {
  id?: unknown;
  type?: unknown;
  title?: unknown;
  parameters?: { customBranches?: unknown };
}

function branchesOf(step: DefinitionStep): string[] {
  const declared = step.parameters?.customBranches;
  return Array.isArray(declared) ? declared.map((b) => (b as { id?: unknown } | null)?.id).filter((id): id is string => typeof id === 'string') : [];
}

/** The steps a run waits at (client-facing), in definition order; `clientFacing` comes from /api/journeys/step-types. */
export function answerableSteps(definition: Record<string, unknown> | undefined, clientFacing: ReadonlySet<string>): AnswerableStep[] {
  const steps = Array.isArray(definition?.steps) ? (definition.steps as DefinitionStep[]) : [];
  return steps
    .filter((s): s is DefinitionStep & { id: string; type: string } => typeof s.id === 'string' && typeof s.type === 'string' && clientFacing.has(s.type))
    .map((s) => ({
      id: s.id,
      type: s.type,
      title: typeof s.title === 'string' && s.title !== '' ? s.title : s.id,
      kind: KINDS[s.type] ?? 'form',
      branches: branchesOf(s),
    }));
}

/** The choices a step offers: its kind's, then one per custom branch. */
export function choicesOf(step: AnswerableStep): string[] {
  return [...CHOICES[step.kind], ...step.branches.map((id) => `branch:${id}`)];
}

export function defaultAnswer(step: AnswerableStep): StepAnswer {
  return { choice: CHOICES[step.kind][0]!, formData: '{}' };
}

/** Whether the choice sends the typed form data (a cancel, a time-out or a device status sends none). */
export function takesFormData(step: AnswerableStep, answer: StepAnswer): boolean {
  if (answer.choice.startsWith('branch:')) return true;
  if (step.kind === 'form') return answer.choice === 'submit';
  return step.type.startsWith('trustx.') && (step.kind === 'passkeyRegistration' || step.kind === 'passkeyAuthentication');
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

/** Every behaviour the server takes (wrongCode: an e-mail code). */
type Behaviour = PasskeyBehaviour | 'wrongCode';
type ScriptAnswer = Behaviour | Record<string, unknown>;

/**
 * The script of the request; undefined while some form data is not a JSON object. A passkey step answers its first
 * visit as chosen and succeeds on later ones (the user retries), so a retry branch is seen once, not looped; likewise
 * a wrong e-mail code once, then the right one.
 */
export function buildScript(
  steps: readonly AnswerableStep[],
  answers: Readonly<Record<string, StepAnswer>>,
): Record<string, ScriptAnswer | ScriptAnswer[]> | undefined {
  const script: Record<string, ScriptAnswer | ScriptAnswer[]> = {};
  for (const step of steps) {
    const answer = answers[step.id] ?? defaultAnswer(step);
    const data = takesFormData(step, answer) ? parseFormData(answer.formData) : {};
    if (data === 'invalid') return undefined;
    const { choice } = answer;
    if (choice.startsWith('branch:')) script[step.id] = { clientResponseOptionId: choice.slice('branch:'.length), data };
    else if (step.kind === 'passkeyRegistration' || step.kind === 'passkeyAuthentication')
      script[step.id] = choice === 'succeeds' ? data : [choice as PasskeyBehaviour, data];
    else if (choice === 'userCancels' || choice === 'timesOut') script[step.id] = choice;
    else if (step.kind === 'deviceStatus') script[step.id] = { deviceStatus: choice };
    else if (step.kind === 'emailCode')
      script[step.id] =
        choice === 'wrongCodeOnce'
          ? ['wrongCode', 'succeeds']
          : choice === 'wrongCodeAlways'
            ? Array<Behaviour>(WRONG_CODES_ALWAYS).fill('wrongCode')
            : 'succeeds';
    else script[step.id] = data;
  }
  return script;
}
