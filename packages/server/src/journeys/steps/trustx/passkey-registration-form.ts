import { defineStepType } from '../../step-type.ts';
import { FORM_PARAMETER_SCHEMAS, type FormStepParameters } from './form-step-support.ts';
import { PASSKEY_FORM_OUTCOMES, presentPasskeyForm, submitPasskeyForm } from './passkey-form-support.ts';
import { CEREMONY_KEY_SCHEMA } from './start-passkey-registration.ts';

/** TrustX “Passkey Registration Form”: its input parameters, in camelCase. */
export interface PasskeyRegistrationFormParameters extends FormStepParameters {
  passkeyRegistrationKey: string;
  registrationTimeoutSeconds?: number;
}

/** TrustX “Passkey Registration Form”; see passkey-form-support.ts for the protocol. */
export const passkeyRegistrationFormStep = defineStepType<PasskeyRegistrationFormParameters>({
  type: 'trustx.passkeyRegistrationForm',
  title: 'Passkey Registration Form',
  family: 'trustx',
  parameterSchema: {
    type: 'object',
    required: ['passkeyRegistrationKey'],
    additionalProperties: false,
    properties: {
      ...FORM_PARAMETER_SCHEMAS,
      passkeyRegistrationKey: { ...CEREMONY_KEY_SCHEMA, description: 'The registration started by Start Passkey Registration under this key' },
      registrationTimeoutSeconds: { type: 'integer', minimum: 1, maximum: 86_400, description: 'Time to complete the form; later leads to `timeout`' },
    },
  },
  outcomes: PASSKEY_FORM_OUTCOMES,
  clientFacing: true,
  timeoutSeconds: (params) => params.registrationTimeoutSeconds,
  run: (ctx, params) => presentPasskeyForm('registration', ctx, { ...params, key: params.passkeyRegistrationKey }),
  submit: (ctx, params, input) => submitPasskeyForm('registration', ctx, { ...params, key: params.passkeyRegistrationKey }, input),
});
