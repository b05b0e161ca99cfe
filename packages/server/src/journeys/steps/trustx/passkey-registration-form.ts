import { Type } from '@sinclair/typebox';
import { defineStepType } from '../../step-type.ts';
import { FORM_PARAMETERS } from './form-step-support.ts';
import { PASSKEY_FORM_OUTCOMES, presentPasskeyForm, submitPasskeyForm } from './passkey-form-support.ts';
import { ceremonyKey } from './start-passkey-registration.ts';

/** TrustX “Passkey Registration Form”: its input parameters, in camelCase. */
const PasskeyRegistrationFormParameters = Type.Object(
  {
    ...FORM_PARAMETERS,
    passkeyRegistrationKey: ceremonyKey('The registration started by Start Passkey Registration under this key'),
    registrationTimeoutSeconds: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 86_400, description: 'Time to complete the form; later leads to `timeout`' }),
    ),
  },
  { additionalProperties: false },
);

/** TrustX “Passkey Registration Form”; see passkey-form-support.ts for the protocol. */
export const passkeyRegistrationFormStep = defineStepType({
  type: 'trustx.passkeyRegistrationForm',
  title: 'Passkey Registration Form',
  family: 'trustx',
  parameterSchema: PasskeyRegistrationFormParameters,
  outcomes: PASSKEY_FORM_OUTCOMES,
  writesIdentityStore: true,
  clientFacing: true,
  timeoutSeconds: (params) => params.registrationTimeoutSeconds,
  run: (ctx, params) => presentPasskeyForm('registration', ctx, { ...params, key: params.passkeyRegistrationKey }),
  submit: (ctx, params, input) => submitPasskeyForm('registration', ctx, { ...params, key: params.passkeyRegistrationKey }, input),
});
