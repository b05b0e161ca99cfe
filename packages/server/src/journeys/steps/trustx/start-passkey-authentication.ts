import { Type, type Static } from '@sinclair/typebox';
import { defineStepType } from '../../step-type.ts';
import { ceremonyFor, isGiven, type UserAct } from '../../user-acts.ts';
import { mayUseJourneyUser, type JourneyUserAct } from '../../journey-user-acts.ts';
import { ceremonyKey, challenge, START_OUTCOMES, START_TARGETS } from './start-passkey-registration.ts';
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
const StartPasskeyAuthenticationParameters = Type.Object(
  {
    authenticationPolicy: Type.String({ minLength: 1, description: 'The authentication policy (the API path needs one, so it is required here too)' }),
    challenge: Type.Optional(challenge()),
    passkeyAuthenticationKey: ceremonyKey('Required. The ID of this authentication, e.g. passkeyAuth1'),
    ...START_TARGETS,
    userExternalId: Type.Optional(Type.String({ description: 'The user, by external id' })),
  },
  { additionalProperties: false },
);
export type StartPasskeyAuthenticationParameters = Static<typeof StartPasskeyAuthenticationParameters>;

/**
 * TrustX “Start Passkey Authentication” (the Daon TrustX passkey authentication process): starts a
 * WebAuthn authentication through the ceremony service and keeps the answer at
 * `_identityStore.passkeys.authentications[key].currentPasskeyAuthenticationRecord.startPasskeyAuthenticationResponse = {clientRequest, sessionId}`.
 * Without any user (no ID, external ID, key, nor a journey user) it is a discoverable (usernameless)
 * sign-in, which the authentication policy must allow.
 */
export const startPasskeyAuthenticationStep = defineStepType({
  type: 'trustx.startPasskeyAuthentication',
  title: 'Start Passkey Authentication',
  family: 'trustx',
  parameterSchema: StartPasskeyAuthenticationParameters,
  outcomes: Object.values(START_OUTCOMES),
  // A sign-in for a named user lists that user's passkeys to whoever runs the journey (the API asks the same permission).
  actsOnUsers: (params) => {
    const acts: UserAct[] = [];
    if (isGiven(params.userId)) acts.push(ceremonyFor('authentication', 'userId', 'id'));
    if (isGiven(params.userExternalId)) acts.push(ceremonyFor('authentication', 'userExternalId', 'externalId'));
    if (isGiven(params.userKey)) acts.push(ceremonyFor('authentication', 'userKey', 'id'));
    return acts;
  },
  // No constant user: the journey's user, whose passkeys the sign-in lists (without one it is discoverable).
  actsOnJourneyUser: (params): JourneyUserAct[] =>
    mayUseJourneyUser(params.userId, params.userExternalId, params.userKey) ? [{ ceremony: 'authentication' }] : [],
  writesIdentityStore: true,
  clientFacing: false,
  async run(ctx, params) {
    try {
      const user = await resolveUser(ctx, params.storeName, {
        userId: blankToUndefined(params.userId),
        userExternalId: blankToUndefined(params.userExternalId),
        userKey: blankToUndefined(params.userKey),
      });
      const started = await ctx.port.ceremonies.startAuthentication(journeyActor(ctx), {
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
