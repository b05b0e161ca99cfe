import { Type } from '@sinclair/typebox';
import { defineStepType } from '../../step-type.ts';
import { FORM_PARAMETERS } from './form-step-support.ts';
import { PASSKEY_FORM_OUTCOMES, presentPasskeyForm, submitPasskeyForm } from './passkey-form-support.ts';
import { ceremonyKey } from './start-passkey-registration.ts';

/** TrustX “Passkey Authentication Form”: its input parameters, in camelCase. */
const PasskeyAuthenticationFormParameters = Type.Object(
  {
    ...FORM_PARAMETERS,
    passkeyAuthenticationKey: ceremonyKey('The authentication started by Start Passkey Authentication under this key'),
    authenticationTimeoutSeconds: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 86_400, description: 'Time to complete the form; later leads to `timeout`' }),
    ),
  },
  { additionalProperties: false },
);

/** TrustX “Passkey Authentication Form”; see passkey-form-support.ts for the protocol. */
export const passkeyAuthenticationFormStep = defineStepType({
  type: 'trustx.passkeyAuthenticationForm',
  title: 'Passkey Authentication Form',
  family: 'trustx',
  parameterSchema: PasskeyAuthenticationFormParameters,
  outcomes: PASSKEY_FORM_OUTCOMES,
  writesIdentityStore: true,
  clientFacing: true,
  timeoutSeconds: (params) => params.authenticationTimeoutSeconds,
  run: (ctx, params) => presentPasskeyForm('authentication', ctx, { ...params, key: params.passkeyAuthenticationKey }),
  submit: (ctx, params, input) => submitPasskeyForm('authentication', ctx, { ...params, key: params.passkeyAuthenticationKey }, input),
});
