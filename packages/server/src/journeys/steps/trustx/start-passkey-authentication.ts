import { defineStepType } from '../../step-type.ts';
import { CEREMONY_KEY_SCHEMA, CHALLENGE_SCHEMA, START_OUTCOMES, START_TARGET_SCHEMAS } from './start-passkey-registration.ts';
import {
  blankToUndefined,
  errorOf,
  failureUpdate,
  journeyActor,
  journeyContext,
  recordPath,
  resolveUser,
  userIdOf,
  type CeremonyRecord,
} from './trustx-support.ts';

/** TrustX “Start Passkey Authentication”: its 8 input parameters, in camelCase. */
export interface StartPasskeyAuthenticationParameters {
  authenticationPolicy: string;
  challenge?: string;
  passkeyAuthenticationKey: string;
  relyingPartyId: string;
  storeName: string;
  userExternalId?: string;
  userId?: string;
  userKey?: string;
}

/**
 * TrustX “Start Passkey Authentication” (the Daon TrustX passkey authentication process): starts a
 * WebAuthn authentication through the ceremony service and keeps the answer at
 * `_identityStore.passkeys.authentications[key].currentPasskeyAuthenticationRecord.startPasskeyAuthenticationResponse = {clientRequest, sessionId}`.
 * Without any user (no ID, external ID, key, nor a journey user) it is a discoverable (usernameless)
 * sign-in, which the authentication policy must allow.
 */
export const startPasskeyAuthenticationStep = defineStepType<StartPasskeyAuthenticationParameters>({
  type: 'trustx.startPasskeyAuthentication',
  title: 'Start Passkey Authentication',
  family: 'trustx',
  parameterSchema: {
    type: 'object',
    required: ['authenticationPolicy', 'passkeyAuthenticationKey', 'relyingPartyId', 'storeName'],
    additionalProperties: false,
    properties: {
      authenticationPolicy: { type: 'string', minLength: 1, description: 'The authentication policy (the API path needs one, so it is required here too)' },
      challenge: CHALLENGE_SCHEMA,
      passkeyAuthenticationKey: { ...CEREMONY_KEY_SCHEMA, description: 'Required. The ID of this authentication, e.g. passkeyAuth1' },
      ...START_TARGET_SCHEMAS,
      userExternalId: { type: 'string', description: 'The user, by external id' },
    },
  },
  outcomes: Object.values(START_OUTCOMES),
  clientFacing: false,
  async run(ctx, params) {
    try {
      const user = await resolveUser(ctx, params.storeName, {
        userId: blankToUndefined(params.userId),
        userExternalId: blankToUndefined(params.userExternalId),
        userKey: blankToUndefined(params.userKey),
      });
      const started = await ctx.services.ceremonies.startAuthentication(journeyActor(ctx), {
        storeName: params.storeName,
        user,
        rpId: params.relyingPartyId,
        policyName: params.authenticationPolicy,
        context: journeyContext(ctx),
      });
      const record: CeremonyRecord = {
        storeName: params.storeName,
        userId: user === undefined ? null : await userIdOf(ctx, params.storeName, user),
        relyingPartyId: params.relyingPartyId,
        policy: params.authenticationPolicy,
        status: 'started',
        startPasskeyAuthenticationResponse: { clientRequest: started.clientRequest, sessionId: started.sessionId },
        expiresAt: started.expiresAt,
      };
      return {
        kind: 'outcome',
        outcome: START_OUTCOMES.success,
        updates: [{ path: recordPath('authentication', params.passkeyAuthenticationKey), value: record }],
      };
    } catch (error) {
      const failure = errorOf(error);
      return {
        kind: 'outcome',
        outcome: START_OUTCOMES.failed,
        updates: [
          { path: [...recordPath('authentication', params.passkeyAuthenticationKey), 'error'], value: failure },
          failureUpdate(ctx, START_OUTCOMES.failed, failure.code),
        ],
      };
    }
  },
});
