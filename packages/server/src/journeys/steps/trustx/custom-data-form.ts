import { defineStepType, type StepResult } from '../../step-type.ts';
import {
  checkValues,
  displaySettings,
  FORM_PARAMETER_SCHEMAS,
  formForPresent,
  formForSubmit,
  objectData,
  outputUpdate,
  presented,
  type FormStepParameters,
} from './form-step-support.ts';

/** TrustX “Custom Data Form”: the form parameters the TrustX form steps share, in camelCase. */
export interface CustomDataFormParameters extends FormStepParameters {
  dataFormName: string;
  timeoutSeconds?: number;
}

/**
 * TrustX “Custom Data Form” (e.g. the retry form after `User cancelled`): presents a
 * custom form and waits. `client_input` with `{<component id>: value}` is checked with exactly the
 * rules shown; a refused submission is presented again with localized messages; a valid one stores
 * the non-transient values under Form data key (default the step id) and leaves by `success`.
 * `cancel` leaves by `cancel`.
 */
export const customDataFormStep = defineStepType<CustomDataFormParameters>({
  type: 'trustx.customDataForm',
  title: 'Custom Data Form',
  family: 'trustx',
  parameterSchema: {
    type: 'object',
    required: ['dataFormName'],
    additionalProperties: false,
    properties: {
      ...FORM_PARAMETER_SCHEMAS,
      timeoutSeconds: { type: 'integer', minimum: 1, maximum: 86_400, description: 'Time to complete the form; later leads to `timeout`' },
    },
  },
  outcomes: ['success', 'cancel', 'timeout'],
  clientFacing: true,
  timeoutSeconds: (params) => params.timeoutSeconds,
  async run(ctx, params): Promise<StepResult> {
    const { form, updates } = await formForPresent(ctx, params);
    return { kind: 'present', data: { form: presented(ctx, params, form), ...displaySettings(params) }, options: ['client_input', 'cancel'], updates };
  },
  async submit(ctx, params, input): Promise<StepResult> {
    if (input.clientResponseOptionId === 'cancel') return { kind: 'outcome', outcome: 'cancel' };
    const form = await formForSubmit(ctx, params);
    const values = objectData(input.data);
    const result = checkValues(ctx, form, values);
    if (!result.valid)
      return {
        kind: 'present',
        data: { form: presented(ctx, params, form, { result, submitted: values }), ...displaySettings(params) },
        options: ['client_input', 'cancel'],
      };
    return { kind: 'outcome', outcome: 'success', updates: [outputUpdate(ctx, params, result)] };
  },
});
