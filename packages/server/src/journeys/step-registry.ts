import type { StepType } from './step-type.ts';
import { conditionStep } from './steps/general/condition.ts';
import { endStep } from './steps/general/end.ts';
import { setVariablesStep } from './steps/general/set-variables.ts';
import { loginFormStep } from './steps/mosaic/login-form.ts';
import { passkeyAuthenticationStep } from './steps/mosaic/passkey-authentication.ts';
import { registerPasskeysStep } from './steps/mosaic/register-passkeys.ts';
import { addUserStep } from './steps/trustx/add-user.ts';
import { completePasskeyAuthenticationStep } from './steps/trustx/complete-passkey-authentication.ts';
import { completePasskeyRegistrationStep } from './steps/trustx/complete-passkey-registration.ts';
import { customDataFormStep } from './steps/trustx/custom-data-form.ts';
import { customPageV2Step } from './steps/trustx/custom-page-v2.ts';
import { passkeyAuthenticationFormStep } from './steps/trustx/passkey-authentication-form.ts';
import { passkeyRegistrationFormStep } from './steps/trustx/passkey-registration-form.ts';
import { simpleDeciderStep } from './steps/trustx/simple-decider.ts';
import { startPasskeyAuthenticationStep } from './steps/trustx/start-passkey-authentication.ts';
import { startPasskeyRegistrationStep } from './steps/trustx/start-passkey-registration.ts';

/**
 * Every step type the engine knows. Step files add one import and one list entry here (additive
 * lines only); ids must be unique (checked at startup).
 */
export const stepTypes: readonly StepType[] = [
  conditionStep,
  setVariablesStep,
  endStep,
  addUserStep,
  startPasskeyRegistrationStep,
  passkeyRegistrationFormStep,
  completePasskeyRegistrationStep,
  startPasskeyAuthenticationStep,
  passkeyAuthenticationFormStep,
  completePasskeyAuthenticationStep,
  customDataFormStep,
  customPageV2Step,
  simpleDeciderStep,
  registerPasskeysStep,
  loginFormStep,
  passkeyAuthenticationStep,
];

const byType = new Map<string, StepType>();
for (const step of stepTypes) {
  if (byType.has(step.type)) throw new Error(`duplicate journey step type ${step.type}`);
  byType.set(step.type, step);
}

export function findStepType(type: string): StepType | undefined {
  return byType.get(type);
}

/** Every registered step type: the built-in list, then any added with registerStepType. */
export function allStepTypes(): StepType[] {
  return [...byType.values()];
}

/**
 * Adds a step type at run time (an embedding application's own steps, or a test's probe step).
 * Published definitions refer to types by id, so an id can never be replaced.
 */
export function registerStepType(step: StepType): void {
  if (byType.has(step.type)) throw new Error(`duplicate journey step type ${step.type}`);
  byType.set(step.type, step);
}
