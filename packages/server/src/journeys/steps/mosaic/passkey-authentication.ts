import { Type, type Static } from '@sinclair/typebox';
import type { AuthenticationResponseJSON } from '@simplewebauthn/server';
import { identifiedUser } from '../../journey-identity.ts';
import { defineStepType, type StepResult } from '../../step-type.ts';
import { authenticatedBySignIn, decodeBrowserResponse, errorOf, journeyActor, readPath } from '../trustx/trustx-support.ts';
import { LOGIN_PASSKEY_PATH, type PendingAuthentication } from './login-form.ts';
import { anyObject } from '../parameter-schemas.ts';
import { failureBehavior, failWith, variableName, type StepError } from './mosaic-support.ts';

/** Mosaic “Passkey Authentication”: its configuration fields (Org context is the journey's `organization`, checked when it ends). */
const PasskeyAuthenticationParameters = Type.Object(
  {
    encodedResult: Type.Union([Type.String({ maxLength: 200_000 }), anyObject(), Type.Null()], {
      description: 'The WebAuthn encoded result, e.g. ${loginData.webauthn_encoded_result}',
    }),
    errorOutputVariable: Type.Optional(variableName({ description: 'Variable that receives {code, detail} of a failure' })),
    failureBehavior: Type.Optional(failureBehavior('abort')),
  },
  { additionalProperties: false },
);
export type PasskeyAuthenticationParameters = Static<typeof PasskeyAuthenticationParameters>;

/**
 * Mosaic “Passkey Authentication”: completes, without user interaction, the passkey
 * sign-in the Login Form started, with the encoded result the client returned to it (Encoded
 * Result, typically `${loginData.webauthn_encoded_result}`), through
 * CeremonyService.completeAuthentication. Success makes the authenticated user the journey's user
 * (the user context later steps and the end's tokens use). A failure goes by Failure Behavior:
 * abort (default) rejects the journey with the ceremony's code, failureBranch leaves by `failure`;
 * either way Error Output Variable receives `{code, detail}`.
 */
export const passkeyAuthenticationStep = defineStepType({
  type: 'mosaic.passkeyAuthentication',
  title: 'Passkey Authentication',
  family: 'mosaic',
  parameterSchema: PasskeyAuthenticationParameters,
  outcomes: ['success', 'failure'],
  clientFacing: false,
  async run(ctx, params): Promise<StepResult> {
    const pending = readPath(ctx.vars, LOGIN_PASSKEY_PATH) as PendingAuthentication | null | undefined;
    // The refusal stays with the pending sign-in, so a Login Form the journey returns to can say why.
    const fail = (error: StepError) =>
      failWith(
        params.failureBehavior ?? 'abort',
        params.errorOutputVariable,
        error,
        pending ? [{ path: LOGIN_PASSKEY_PATH, value: { ...pending, refusedCode: error.code } satisfies PendingAuthentication }] : [],
      );
    if (!pending) return fail({ code: 'SESSION_NOT_FOUND', detail: 'No passkey sign-in is pending: a Login Form with passkeys must come first' });
    const decoded = decodeBrowserResponse(params.encodedResult);
    if (decoded.kind !== 'credential') return fail({ code: 'RESPONSE_MALFORMED', detail: 'Encoded Result is not a WebAuthn credential’s JSON' });
    try {
      const result = await ctx.port.ceremonies.completeAuthentication(journeyActor(ctx), {
        storeName: pending.storeName,
        sessionId: pending.sessionId,
        response: decoded.credential as unknown as AuthenticationResponseJSON,
      });
      return {
        kind: 'outcome',
        outcome: 'success',
        updates: [
          { path: LOGIN_PASSKEY_PATH, value: null },
          { path: ['_mosaic', 'authenticatedPasskey'], value: result.credential },
          identifiedUser({ storeName: pending.storeName, userId: result.user.id }),
          authenticatedBySignIn(result, ctx.clock.now()),
        ],
      };
    } catch (error) {
      return fail(errorOf(error));
    }
  },
});
