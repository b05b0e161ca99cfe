import type { AuthenticationResponseJSON } from '@simplewebauthn/server';
import { defineStepType } from '../../step-type.ts';
import { BROWSER_RESPONSE_SCHEMA, COMPLETE_OUTCOMES, completeCeremony } from './complete-passkey-support.ts';
import { CEREMONY_KEY_SCHEMA } from './start-passkey-registration.ts';
import { authenticatedBySignIn, journeyActor } from './trustx-support.ts';

/** TrustX “Complete Passkey Authentication”: its three input parameters, in camelCase. */
export interface CompletePasskeyAuthenticationParameters {
  failCheckOnCancel?: boolean;
  passkeyAuthenticationBrowserResponse?: unknown;
  passkeyAuthenticationKey: string;
}

/**
 * TrustX “Complete Passkey Authentication”: completes the authentication started under
 * the key through CeremonyService.completeAuthentication; on success the authenticated user is the
 * journey's user (also for a discoverable sign-in, where the credential names the user). The ID
 * token of the API answer is not kept in the journey's variables: the journey's end issues tokens.
 */
export const completePasskeyAuthenticationStep = defineStepType<CompletePasskeyAuthenticationParameters>({
  type: 'trustx.completePasskeyAuthentication',
  title: 'Complete Passkey Authentication',
  family: 'trustx',
  parameterSchema: {
    type: 'object',
    required: ['passkeyAuthenticationKey'],
    additionalProperties: false,
    properties: {
      failCheckOnCancel: { type: 'boolean', default: false, description: 'A cancel also counts as a failed check of the process' },
      passkeyAuthenticationBrowserResponse: BROWSER_RESPONSE_SCHEMA,
      passkeyAuthenticationKey: { ...CEREMONY_KEY_SCHEMA, description: 'The authentication started under this key' },
    },
  },
  outcomes: Object.values(COMPLETE_OUTCOMES),
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
        const result = await ctx.services.ceremonies.completeAuthentication(journeyActor(ctx), {
          storeName: record.storeName,
          sessionId,
          ...(record.userId === null ? {} : { userId: record.userId }),
          response: credential as unknown as AuthenticationResponseJSON,
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
