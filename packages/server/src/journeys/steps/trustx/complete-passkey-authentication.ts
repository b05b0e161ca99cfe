import { organizationAdmission } from '../organization-admission.ts';
import { Type } from '@sinclair/typebox';
import type { AuthenticationResponseJSON } from '@simplewebauthn/server';
import { defineStepType } from '../../step-type.ts';
import { browserResponse, COMPLETE_OUTCOMES, completeCeremony } from './complete-passkey-support.ts';
import { ceremonyKey } from './start-passkey-registration.ts';
import { authenticatedBySignIn, journeyActor } from './trustx-support.ts';

/** TrustX “Complete Passkey Authentication”: its three input parameters, in camelCase. */
const CompletePasskeyAuthenticationParameters = Type.Object(
  {
    failCheckOnCancel: Type.Optional(Type.Boolean({ default: false, description: 'A cancel also counts as a failed check of the process' })),
    passkeyAuthenticationBrowserResponse: Type.Optional(browserResponse()),
    passkeyAuthenticationKey: ceremonyKey('The authentication started under this key'),
  },
  { additionalProperties: false },
);

/**
 * TrustX “Complete Passkey Authentication”: completes the authentication started under
 * the key through CeremonyService.completeAuthentication; on success the authenticated user is the
 * journey's user (also for a discoverable sign-in, where the credential names the user). The ID
 * token of the API answer is not kept in the journey's variables: the journey's end issues tokens.
 */
export const completePasskeyAuthenticationStep = defineStepType({
  type: 'trustx.completePasskeyAuthentication',
  title: 'Complete Passkey Authentication',
  family: 'trustx',
  parameterSchema: CompletePasskeyAuthenticationParameters,
  outcomes: Object.values(COMPLETE_OUTCOMES),
  // The user of the completed sign-in is the journey's user from then on.
  identifiesUserOn: [COMPLETE_OUTCOMES.success],
  writesIdentityStore: true,
  clientFacing: false,
  run(ctx, params) {
    return completeCeremony(
      'authentication',
      ctx,
      {
        key: params.passkeyAuthenticationKey,
        failCheckOnCancel: params.failCheckOnCancel,
        responseGiven: Object.hasOwn(params, 'passkeyAuthenticationBrowserResponse'),
        response: params.passkeyAuthenticationBrowserResponse,
      },
      async (record, sessionId, credential) => {
        const result = await ctx.port.ceremonies.completeAuthentication(journeyActor(ctx), {
          storeName: record.storeName,
          sessionId,
          ...(record.userId === null ? {} : { userId: record.userId }),
          response: credential as unknown as AuthenticationResponseJSON,
          // In an organization's context: a member, with a passkey its policy accepts, before the use is recorded.
          admit: organizationAdmission(ctx, record.storeName, 'sign-in'),
        });
        return {
          userId: result.user.id,
          answer: { user: result.user, credential: result.credential },
          authentication: authenticatedBySignIn(result, ctx.clock.now()),
        };
      },
    );
  },
});
