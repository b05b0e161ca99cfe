import { Type } from '@sinclair/typebox';
import { defineStepType, type StepResult } from '../../step-type.ts';
import {
  checkValues,
  displaySettings,
  DATA_FORM_NAME,
  FORM_PARAMETERS,
  formForPresent,
  formForSubmit,
  objectData,
  outputUpdate,
  presented,
} from './form-step-support.ts';

/** TrustX “Custom Data Form”: the form parameters the TrustX form steps share, in camelCase. */
const CustomDataFormParameters = Type.Object(
  {
    ...FORM_PARAMETERS,
    dataFormName: DATA_FORM_NAME,
    timeoutSeconds: Type.Optional(Type.Integer({ minimum: 1, maximum: 86_400, description: 'Time to complete the form; later leads to `timeout`' })),
  },
  { additionalProperties: false },
);

/**
 * TrustX “Custom Data Form” (e.g. the retry form after `User cancelled`): presents a
 * custom form and waits. `client_input` with `{<component id>: value}` is checked with exactly the
 * rules shown; a refused submission is presented again with localized messages; a valid one stores
 * the non-transient values under Form data key (default the step id) and leaves by `success`.
 * `cancel` leaves by `cancel`.
 */
export const customDataFormStep = defineStepType({
  type: 'trustx.customDataForm',
  title: 'Custom Data Form',
  family: 'trustx',
  parameterSchema: CustomDataFormParameters,
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
