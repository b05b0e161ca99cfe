import { Type, type Static, type TObject } from '@sinclair/typebox';
import { validationError } from '../../../errors/keyway-error.ts';
import type { FormDocument } from '../../forms/form-format.ts';
import { presentForm, type PresentedForm } from '../../forms/form-presentation.ts';
import { validateSubmission, type SubmissionResult } from '../../forms/form-submission.ts';
import type { ContextUpdate, StepContext } from '../../step-type.ts';
import { readPath, versionNumber } from './trustx-support.ts';

/**
 * What the TrustX form steps (Custom Data Form, Passkey Registration/Authentication Form) share:
 * the form is a published version of a custom form (TrustX parameters “Data form name/version”);
 * the version shown is pinned in the journey's variables when presented, so the submit is checked
 * against exactly the form the user saw even if a newer version is published meanwhile.
 */

/** The form parameters of the TrustX form steps (each step adds its own). */
export const DATA_FORM_NAME = Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$', description: 'The custom form shown to the user' });

export const FORM_PARAMETERS = {
  dataFormName: Type.Optional(DATA_FORM_NAME),
  dataFormVersion: Type.Optional(
    Type.Union([Type.Integer({ minimum: 1 }), Type.String({ pattern: '^[0-9]{0,7}$' })], {
      description: 'A published version of the form; the latest published one when empty',
    }),
  ),
  formDataKey: Type.Optional(
    Type.String({
      pattern: '^[A-Za-z_][A-Za-z0-9_]{0,63}$',
      description: 'The variable the form’s (non-transient) values are stored under, by component id; default the step id',
    }),
  ),
  hideButtons: Type.Optional(Type.Boolean({ default: false, description: 'Hide the continue/submit button; the page proceeds by itself after Delay' })),
  delaySeconds: Type.Optional(Type.Integer({ minimum: 0, maximum: 3600, description: 'With Hide buttons: how long the page shows before it proceeds' })),
};
export type FormStepParameters = Static<TObject<typeof FORM_PARAMETERS>>;

interface PinnedForm {
  name: string;
  version: number;
}

const pinPath = (ctx: StepContext) => ['_process', 'forms', ctx.stepId];

export interface LoadedForm {
  name: string;
  version: number;
  document: FormDocument;
}

/** The form to present (a published version), and the update that pins it for the submit. */
export async function formForPresent(ctx: StepContext, params: FormStepParameters): Promise<{ form: LoadedForm | undefined; updates: ContextUpdate[] }> {
  if (!params.dataFormName) return { form: undefined, updates: [] };
  const found = await ctx.port.forms.findPublished(ctx.tenantId, params.dataFormName, versionNumber(params.dataFormVersion));
  const form = { name: found.name, version: found.version, document: found.body };
  return { form, updates: [{ path: pinPath(ctx), value: { name: form.name, version: form.version } satisfies PinnedForm }] };
}

/** The form presented by this step (pinned), for checking a submit. */
export async function formForSubmit(ctx: StepContext, params: FormStepParameters): Promise<LoadedForm | undefined> {
  const pinned = readPath(ctx.vars, pinPath(ctx)) as PinnedForm | undefined;
  if (!pinned && !params.dataFormName) return undefined;
  const name = pinned?.name ?? params.dataFormName!;
  const found = await ctx.port.forms.findPublished(ctx.tenantId, name, pinned?.version ?? versionNumber(params.dataFormVersion));
  return { name: found.name, version: found.version, document: found.body };
}

export function presented(
  ctx: StepContext,
  params: FormStepParameters,
  form: LoadedForm | undefined,
  after?: { result: SubmissionResult; submitted: unknown },
): PresentedForm | null {
  if (!form) return null;
  return presentForm(
    form.document,
    { name: form.name, version: form.version, locale: ctx.locale, hideButtons: params.hideButtons },
    after ? { errors: after.result.errors, submitted: after.submitted } : undefined,
  );
}

/** The step's common presentation settings. */
export function displaySettings(params: FormStepParameters): { hideButtons: boolean; delaySeconds: number } {
  return { hideButtons: params.hideButtons ?? false, delaySeconds: params.delaySeconds ?? 0 };
}

/** Checks submitted values against the form; no form means nothing to check. */
export function checkValues(ctx: StepContext, form: LoadedForm | undefined, values: unknown): SubmissionResult {
  if (!form) return { valid: true, values: {}, persisted: {}, errors: [] };
  return validateSubmission(form.document, values, ctx.locale);
}

/** Writes the form's persisted values under Form data key (default: the step id). */
export function outputUpdate(ctx: StepContext, params: FormStepParameters, result: SubmissionResult): ContextUpdate {
  return { path: [params.formDataKey || ctx.stepId], value: result.persisted };
}

export function objectData(data: unknown, field = 'data'): Record<string, unknown> {
  if (data === undefined || data === null) return {};
  if (typeof data !== 'object' || Array.isArray(data)) throw validationError(field, 'must be an object');
  return data as Record<string, unknown>;
}
