import type { StepType } from './step-type.ts';
import { conditionStep } from './steps/general/condition.ts';
import { emailOtpStep } from './steps/general/email-otp.ts';
import { endStep } from './steps/general/end.ts';
import { setVariablesStep } from './steps/general/set-variables.ts';
import { subJourneyStep } from './steps/general/sub-journey.ts';
import { knownDeviceStatusStep } from './steps/mosaic/known-device-status.ts';
import { selectOrganizationStep } from './steps/general/select-organization.ts';
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

/** The step types Keyway ships. A new step file adds one import and one entry here. */
export const BUILT_IN_STEP_TYPES: readonly StepType[] = [
  conditionStep,
  setVariablesStep,
  endStep,
  subJourneyStep,
  emailOtpStep,
  selectOrganizationStep,
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
  knownDeviceStatusStep,
];

/** Finds step types by id: what definition validation and compilation need of a registry. */
export interface StepTypeLookup {
  find(type: string): StepType | undefined;
}

/**
 * The step types one server knows: the built-in ones plus any the embedding application (or a test) passes in when
 * the services are built. Fixed once made: published definitions refer to types by id, so an id is never replaced.
 */
export class StepRegistry implements StepTypeLookup {
  readonly #byType = new Map<string, StepType>();

  constructor(extra: readonly StepType[] = [], builtIn: readonly StepType[] = BUILT_IN_STEP_TYPES) {
    for (const step of [...builtIn, ...extra]) {
      if (this.#byType.has(step.type)) throw new Error(`duplicate journey step type ${step.type}`);
      this.#byType.set(step.type, step);
    }
  }

  find(type: string): StepType | undefined {
    return this.#byType.get(type);
  }

  /** Every step type: the built-in ones, then the extra ones. */
  all(): StepType[] {
    return [...this.#byType.values()];
  }
}

/** The built-in step types alone (definition checks that need no server, e.g. the templates shipped with Keyway). */
export const BUILT_IN_STEPS = new StepRegistry();
