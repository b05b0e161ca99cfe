import { organizationAdmission } from '../organization-admission.ts';
import { Type, type Static } from '@sinclair/typebox';
import type { AuthenticationResponseJSON } from '@simplewebauthn/server';
import { chosenOrganization, identifiedUser } from '../../journey-identity.ts';
import { defineStepType, type StepResult } from '../../step-type.ts';
import { authenticatedBySignIn, decodeBrowserResponse, errorOf, journeyActor, readPath } from '../trustx/trustx-support.ts';
import { LOGIN_PASSKEY_PATH, type PendingAuthentication } from './login-form.ts';
import { anyObject } from '../parameter-schemas.ts';
import { failureBehavior, failWith, variableName, type StepError } from './mosaic-support.ts';

/** Mosaic “Passkey Authentication”: its configuration fields (Encoded Result, Org context, Error Output Variable, Failure Behavior). */
const PasskeyAuthenticationParameters = Type.Object(
  {
    encodedResult: Type.Union([Type.String({ maxLength: 200_000 }), anyObject(), Type.Null()], {
      description: 'The WebAuthn encoded result, e.g. ${loginData.webauthn_encoded_result}',
    }),
    orgContext: Type.Optional(
      Type.Union([Type.Literal('journey'), Type.Literal('manual')], {
        default: 'journey',
        description:
          'B2B journeys: journey (default) keeps the organization the journey already has (e.g. from Select Organization); manual signs in to the organization orgId names',
      }),
    ),
    orgId: Type.Optional(
      Type.String({ minLength: 1, maxLength: 64, description: 'With orgContext manual: the organization id, usually an expression such as ${input.org}' }),
    ),
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
  // The user whose passkey signed in is the journey's user from then on.
  identifiesUserOn: ['success'],
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
        // The organization of the sign-in (Org context: the journey's, or orgId's with manual): a member, with a
        // passkey its policy accepts, checked before the use is recorded.
        admit: organizationAdmission(ctx, pending.storeName, 'sign-in', params.orgContext === 'manual' ? (params.orgId ?? '') : undefined),
      });
      // Org context "manual": the sign-in is to the organization orgId names, which the user must belong to (the
      // journey's end checks that organization's policy against this passkey, as for one chosen by a step).
      const organization = [];
      if (params.orgContext === 'manual') {
        const wanted = params.orgId;
        const membership = wanted
          ? (await ctx.port.organizations.membershipsOf(ctx.tenantId, pending.storeName, result.user.id)).find((m) => m.organizationId === wanted)
          : undefined;
        if (!membership) return fail({ code: 'ORGANIZATION_MEMBERSHIP_REQUIRED', detail: `the user is not a member of organization ${String(wanted)}` });
        organization.push(chosenOrganization({ id: membership.organizationId, name: membership.name, roles: membership.roles }));
      }
      return {
        kind: 'outcome',
        outcome: 'success',
        updates: [
          ...organization,
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
