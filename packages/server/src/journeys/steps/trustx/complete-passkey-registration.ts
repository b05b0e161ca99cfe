import { organizationAdmission } from '../organization-admission.ts';
import { Type } from '@sinclair/typebox';
import type { RegistrationResponseJSON } from '@simplewebauthn/server';
import { activateOnFirstPasskey } from '../../../identity/pending-accounts.ts';
import { defineStepType } from '../../step-type.ts';
import { browserResponse, COMPLETE_OUTCOMES, completeCeremony } from './complete-passkey-support.ts';
import { ceremonyKey } from './start-passkey-registration.ts';
import { authenticatedByRegistration, journeyActor } from './trustx-support.ts';

/** TrustX “Complete Passkey Registration”: its three input parameters, in camelCase. */
const CompletePasskeyRegistrationParameters = Type.Object(
  {
    failCheckOnCancel: Type.Optional(Type.Boolean({ default: false, description: 'A cancel also counts as a failed check of the process' })),
    passkeyRegistrationBrowserResponse: Type.Optional(browserResponse()),
    passkeyRegistrationKey: ceremonyKey('The registration started under this key'),
  },
  { additionalProperties: false },
);

/**
 * TrustX “Complete Passkey Registration”: completes the registration started under the
 * key with the browser's response through CeremonyService.completeRegistration (the same as
 * POST …/passkeys/registrations/sessions/{sessionId}). Outcomes: `success`, `User cancelled`,
 * `Failed ID Store Service Call` (complete-passkey-support.ts).
 */
export const completePasskeyRegistrationStep = defineStepType({
  type: 'trustx.completePasskeyRegistration',
  title: 'Complete Passkey Registration',
  family: 'trustx',
  parameterSchema: CompletePasskeyRegistrationParameters,
  outcomes: Object.values(COMPLETE_OUTCOMES),
  // The user of the completed registration is the journey's user from then on.
  identifiesUserOn: [COMPLETE_OUTCOMES.success],
  writesIdentityStore: true,
  clientFacing: false,
  run(ctx, params) {
    return completeCeremony(
      'registration',
      ctx,
      {
        key: params.passkeyRegistrationKey,
        failCheckOnCancel: params.failCheckOnCancel,
        responseGiven: Object.hasOwn(params, 'passkeyRegistrationBrowserResponse'),
        response: params.passkeyRegistrationBrowserResponse,
      },
      async (record, sessionId, credential) => {
        const passkey = await ctx.port.ceremonies.completeRegistration(journeyActor(ctx), {
          storeName: record.storeName,
          sessionId,
          ...(record.userId === null ? {} : { userId: record.userId }),
          response: credential as unknown as RegistrationResponseJSON,
          // In an organization's context its policy refuses a disallowed authenticator before anything is stored.
          admit: organizationAdmission(ctx, record.storeName, 'registration'),
          // A pending account (Add User's) becomes active with its first passkey, in the same transaction.
          inTransaction: (trx, { userId }) => activateOnFirstPasskey(trx, userId, ctx.clock.now()),
        });
        return { userId: passkey.userId, answer: passkey, authentication: authenticatedByRegistration(passkey, ctx.clock.now()) };
      },
    );
  },
});
