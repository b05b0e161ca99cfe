import { validationError } from '../../../errors/keyway-error.ts';
import type { PresentedForm } from '../../forms/form-presentation.ts';
import type { ContextUpdate, StepResult, StepType } from '../../step-type.ts';
import {
  checkValues,
  displaySettings,
  formForPresent,
  formForSubmit,
  objectData,
  outputUpdate,
  presented,
  type FormStepParameters,
} from './form-step-support.ts';
import { readRecord, recordPath, sessionOf, type CeremonyKind } from './trustx-support.ts';

/**
 * TrustX “Passkey Registration Form” and “Passkey Authentication Form”: the
 * client-facing step between Start and Complete. It presents the custom form together with the
 * started ceremony's `clientRequest`; the runner checks the form's rules, runs WebAuthn on the
 * button click and submits both:
 *   client_input `{formData: {<component id>: value}, browserResponse: <PublicKeyCredential.toJSON()>}`
 *   cancel (the user dismissed the WebAuthn prompt: NotAllowedError)
 * A submission that breaks the form's rules is presented again with the localized messages. A valid
 * one stores the form's non-transient values under Form data key and the browser response in the
 * ceremony's record; a cancel marks the record cancelled. Either way the step leaves by `success`,
 * and Complete Passkey Registration/Authentication decides (`success`, `User cancelled`, …).
 */

export interface PasskeyFormParameters extends FormStepParameters {
  key: string;
  timeoutSeconds?: number;
}

export const PASSKEY_FORM_OUTCOMES = ['success', 'timeout'] as const;

/** What the runner is shown, the first time and again after a refused submission. */
function passkeyFormPresent(
  kind: CeremonyKind,
  params: PasskeyFormParameters,
  clientRequest: unknown,
  form: PresentedForm | null,
  updates?: ContextUpdate[],
): StepResult {
  const keyName = kind === 'registration' ? 'passkeyRegistrationKey' : 'passkeyAuthenticationKey';
  return {
    kind: 'present',
    data: { ceremony: kind, [keyName]: params.key, clientRequest, form, ...displaySettings(params) },
    options: ['client_input', 'cancel'],
    ...(updates ? { updates } : {}),
  };
}

export async function presentPasskeyForm(kind: CeremonyKind, ctx: Parameters<StepType['run']>[0], params: PasskeyFormParameters): Promise<StepResult> {
  const record = readRecord(ctx, kind, params.key);
  const session = record ? sessionOf(record, kind) : undefined;
  // Start Passkey Registration/Authentication must have run under this key: nothing to present otherwise.
  if (!record || !session) return { kind: 'end', result: 'rejection', code: 'SESSION_NOT_FOUND' };
  const { form, updates } = await formForPresent(ctx, params);
  return passkeyFormPresent(kind, params, session.clientRequest, presented(ctx, params, form), updates);
}

export async function submitPasskeyForm(
  kind: CeremonyKind,
  ctx: Parameters<StepType['run']>[0],
  params: PasskeyFormParameters,
  input: { clientResponseOptionId: string; data: unknown },
): Promise<StepResult> {
  const record = readRecord(ctx, kind, params.key);
  if (!record) return { kind: 'end', result: 'rejection', code: 'SESSION_NOT_FOUND' };
  const path = recordPath(kind, params.key);
  if (input.clientResponseOptionId === 'cancel') {
    return { kind: 'outcome', outcome: 'success', updates: [{ path, value: { ...record, status: 'cancelled', browserResponse: null } }] };
  }
  const data = objectData(input.data);
  const form = await formForSubmit(ctx, params);
  const formData = objectData(data.formData, 'data.formData');
  const result = checkValues(ctx, form, formData);
  if (!result.valid)
    return passkeyFormPresent(kind, params, sessionOf(record, kind)?.clientRequest, presented(ctx, params, form, { result, submitted: formData }));
  const browserResponse = data.browserResponse;
  if (typeof browserResponse !== 'object' || browserResponse === null || Array.isArray(browserResponse)) {
    throw validationError('data.browserResponse', 'must be the credential’s JSON (PublicKeyCredential.toJSON()); submit cancel when the user cancelled');
  }
  return {
    kind: 'outcome',
    outcome: 'success',
    updates: [...(form ? [outputUpdate(ctx, params, result)] : []), { path, value: { ...record, status: 'responded', browserResponse } }],
  };
}
