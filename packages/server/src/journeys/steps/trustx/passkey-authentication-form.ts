import { defineStepType } from '../../step-type.ts';
import { FORM_PARAMETER_SCHEMAS, type FormStepParameters } from './form-step-support.ts';
import { PASSKEY_FORM_OUTCOMES, presentPasskeyForm, submitPasskeyForm } from './passkey-form-support.ts';
import { CEREMONY_KEY_SCHEMA } from './start-passkey-registration.ts';

/** TrustX “Passkey Authentication Form”: its input parameters, in camelCase. */
export interface PasskeyAuthenticationFormParameters extends FormStepParameters {
  passkeyAuthenticationKey: string;
  authenticationTimeoutSeconds?: number;
}

/** TrustX “Passkey Authentication Form”; see passkey-form-support.ts for the protocol. */
export const passkeyAuthenticationFormStep = defineStepType<PasskeyAuthenticationFormParameters>({
  type: 'trustx.passkeyAuthenticationForm',
  title: 'Passkey Authentication Form',
  family: 'trustx',
  parameterSchema: {
    type: 'object',
    required: ['passkeyAuthenticationKey'],
    additionalProperties: false,
    properties: {
      ...FORM_PARAMETER_SCHEMAS,
      passkeyAuthenticationKey: { ...CEREMONY_KEY_SCHEMA, description: 'The authentication started by Start Passkey Authentication under this key' },
      authenticationTimeoutSeconds: { type: 'integer', minimum: 1, maximum: 86_400, description: 'Time to complete the form; later leads to `timeout`' },
    },
  },
  outcomes: PASSKEY_FORM_OUTCOMES,
  clientFacing: true,
  timeoutSeconds: (params) => params.authenticationTimeoutSeconds,
  run: (ctx, params) => presentPasskeyForm('authentication', ctx, { ...params, key: params.passkeyAuthenticationKey }),
  submit: (ctx, params, input) => submitPasskeyForm('authentication', ctx, { ...params, key: params.passkeyAuthenticationKey }, input),
});
