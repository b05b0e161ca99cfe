import { organizationAdmission } from '../organization-admission.ts';
import { Type, type Static } from '@sinclair/typebox';
import type { PublicKeyCredentialCreationOptionsJSON, RegistrationResponseJSON } from '@simplewebauthn/server';
import { KeywayError } from '../../../errors/keyway-error.ts';
import { newDeviceChallenge, type DevicePublicKey } from '../../../passkeys/device-key-proof.ts';
import type { BoundDevice, DeviceProof } from '../../../passkeys/device-key-service.ts';
import type { UserRef } from '../../../identity/identity-service.ts';
import { defineStepType, type StepContext, type StepResult } from '../../step-type.ts';
import { decodeBrowserResponse, errorOf, journeyActor, journeyContext, readPath } from '../trustx/trustx-support.ts';
import { stringEnum } from '../parameter-schemas.ts';
import { ceremonyFor, constantOf, isGiven } from '../../user-acts.ts';
import type { JourneyUserAct } from '../../journey-user-acts.ts';
import { checkBranchData, customBranches, failureBehavior, failWith, storeOf, variableName, type StepError } from './mosaic-support.ts';

/** Mosaic “Register Passkeys”: every configuration field, camelCased, plus where in Keyway (store, RP, policy). */
const RegisterPasskeysParameters = Type.Object(
  {
    userAuthState: Type.Optional(
      stringEnum(['authenticated', 'notAuthenticated'], {
        default: 'authenticated',
        description: 'Whether the journey authenticated the user before this step (default) or User Identifier names the user',
      }),
    ),
    userIdentifier: Type.Optional(Type.String({ maxLength: 256, description: 'The user, when User Auth State is notAuthenticated' })),
    // How User Identifier names the user (Keyway has three identifiers).
    userIdentifierType: Type.Optional(
      stringEnum(['userKey', 'externalId', 'userId'], { default: 'userKey', description: 'Which identifier User Identifier is' }),
    ),
    allowCrossPlatform: Type.Optional(Type.Boolean({ default: true, description: 'Allow security keys and other devices (hybrid/QR)' })),
    registerDiscoverable: Type.Optional(Type.Boolean({ default: true, description: 'Register a discoverable credential (a passkey)' })),
    displayName: Type.Optional(Type.String({ maxLength: 64, description: 'user.displayName; default the user’s external ID' })),
    errorOutputVariable: Type.Optional(variableName({ description: 'Variable that receives {code, detail} of a failure' })),
    failureBehavior: Type.Optional(failureBehavior('failureBranch')),
    customBranches: Type.Optional(customBranches()),
    branchOutputVariable: Type.Optional(variableName({ description: 'Variable that receives the data of a custom branch' })),
    cancelBehavior: Type.Optional(
      stringEnum(['abort', 'cancelBranch'], {
        default: 'abort',
        description: 'abort (default): end the journey with USER_CANCELLED; cancelBranch: leave by `cancel`',
      }),
    ),
    bindDevice: Type.Optional(
      Type.Boolean({
        default: false,
        description:
          'Bind the device: the client also proves a non-extractable device key (ECDSA P-256) over the presented challenge, ' +
          'which Keyway stores with the passkey and the user (for Known Device Status and the device_keys claim)',
      }),
    ),
    storeName: Type.Optional(Type.String({ description: 'The identity store; default the journey’s store' })),
    relyingPartyId: Type.String({ minLength: 1, description: 'The relying party the passkey is for' }),
    registrationPolicy: Type.String({ minLength: 1, description: 'The registration policy' }),
  },
  { additionalProperties: false },
);
export type RegisterPasskeysParameters = Static<typeof RegisterPasskeysParameters>;

interface PendingRegistration {
  storeName: string;
  userId: string;
  sessionId: string;
  /** With Bind Device: the challenge the device key must sign (single use: cleared with the registration). */
  deviceChallenge?: string;
}

/** The custom branch ids of parameters as written (for definition validation; anything malformed yields none). */
export function branchIds(branches: unknown): string[] {
  return Array.isArray(branches) ? branches.map((b) => (b as { id?: unknown } | null)?.id).filter((id): id is string => typeof id === 'string') : [];
}

const pendingPath = (ctx: StepContext) => ['_mosaic', 'registrations', ctx.stepId];

async function userOf(ctx: StepContext, params: RegisterPasskeysParameters, storeName: string): Promise<UserRef> {
  if ((params.userAuthState ?? 'authenticated') === 'authenticated') {
    if (!ctx.user || ctx.user.storeName !== storeName)
      throw new KeywayError('USER_NOT_FOUND', 'User Auth State is “authenticated” but the journey has not authenticated a user of this store');
    return { id: ctx.user.userId };
  }
  const identifier = params.userIdentifier?.trim();
  if (!identifier) throw new KeywayError('USER_NOT_FOUND', 'User Auth State is “not authenticated” and User Identifier is empty');
  switch (params.userIdentifierType ?? 'userKey') {
    case 'userId':
      return { id: identifier };
    case 'externalId':
      return { externalId: identifier };
    case 'userKey': {
      const found = await ctx.port.identity.listUsers(ctx.tenantId, storeName, { userKey: identifier, limit: 1 });
      if (!found.items[0]) throw new KeywayError('USER_NOT_FOUND', `No user ${identifier} in store ${storeName}`);
      return { id: found.items[0].id };
    }
  }
}

/**
 * The options the client gets: the policy's, with the step's two WebAuthn switches applied. They
 * are client-side hints (WebAuthn cannot prove the attachment or discoverability server-side);
 * Allow Cross Platform = No is also enforced on the response's reported attachment.
 */
function shaped(options: PublicKeyCredentialCreationOptionsJSON, params: RegisterPasskeysParameters): PublicKeyCredentialCreationOptionsJSON {
  const selection = { ...options.authenticatorSelection };
  if (params.allowCrossPlatform === false) selection.authenticatorAttachment = 'platform';
  if (params.registerDiscoverable ?? true) {
    selection.residentKey = 'required';
    selection.requireResidentKey = true;
  }
  return { ...options, authenticatorSelection: selection };
}

/**
 * Mosaic “Register Passkeys”: a client-facing step that registers a passkey for the
 * journey's authenticated user (or the configured User Identifier). It presents
 * `{username, display_name, allow_cross_platform_authenticators, register_as_discoverable, clientRequest}`;
 * the client submits `client_input` with `{webauthn_encoded_result}` (the credential JSON, or its
 * JSON text / base64url), `cancel`, `fail`, or a custom branch id with data matching its schema.
 * Completion goes through CeremonyService.completeRegistration.
 *
 * Bind Device (Keyway's device binding): the presented data also carries `device_binding: {challenge, scope}`, and
 * the client adds `device_key: {publicKey (JWK), signature}` — its non-extractable key's signature over the
 * challenge. The proof is verified before anything is stored; the key is bound to the user and the passkey in the commit that stores the passkey.
 */
export const registerPasskeysStep = defineStepType({
  type: 'mosaic.registerPasskeys',
  title: 'Register Passkeys',
  family: 'mosaic',
  parameterSchema: RegisterPasskeysParameters,
  outcomes: ['success', 'failure', 'cancel'],
  outcomesFor: (params) => ['success', 'failure', 'cancel', ...branchIds(params.customBranches)],
  // Not authenticated: User Identifier names the user, who proves nothing here (the passkey registered becomes theirs).
  actsOnUsers: (params) => {
    const state = constantOf(params.userAuthState);
    if (state === undefined || state === 'authenticated' || !isGiven(params.userIdentifier)) return [];
    const type = constantOf(params.userIdentifierType) ?? 'userKey';
    return [ceremonyFor('registration', 'userIdentifier', type === 'expression' ? 'either' : type === 'externalId' ? 'externalId' : 'id')];
  },
  // Authenticated (the default, or an expression that may say so): the journey's user, who may be the one its starter named.
  actsOnJourneyUser: (params): JourneyUserAct[] => (constantOf(params.userAuthState) === 'notAuthenticated' ? [] : [{ ceremony: 'registration' }]),
  clientFacing: true,
  async run(ctx, params): Promise<StepResult> {
    const behavior = params.failureBehavior ?? 'failureBranch';
    try {
      const storeName = storeOf(ctx, params.storeName);
      const ref = await userOf(ctx, params, storeName);
      const user = await ctx.port.identity.getUser(ctx.tenantId, storeName, ref);
      const username = user.email ?? user.userKey;
      const displayName = params.displayName?.trim() || user.externalId;
      const started = await ctx.port.ceremonies.startRegistration(journeyActor(ctx), {
        storeName,
        user: { id: user.id },
        rpId: params.relyingPartyId,
        policyName: params.registrationPolicy,
        userName: username,
        userDisplayName: displayName,
        context: journeyContext(ctx),
      });
      const deviceChallenge = params.bindDevice ? newDeviceChallenge() : undefined;
      const pending: PendingRegistration = { storeName, userId: user.id, sessionId: started.sessionId, ...(deviceChallenge ? { deviceChallenge } : {}) };
      return {
        kind: 'present',
        data: {
          username,
          display_name: displayName,
          allow_cross_platform_authenticators: params.allowCrossPlatform ?? true,
          register_as_discoverable: params.registerDiscoverable ?? true,
          clientRequest: shaped(started.clientRequest, params),
          // The browser keeps one device key per tenant and store (`scope`) and signs the challenge with it.
          ...(deviceChallenge ? { device_binding: { challenge: deviceChallenge, scope: `${ctx.tenantId}/${storeName}` } } : {}),
        },
        options: ['client_input', 'cancel', 'fail', ...(params.customBranches ?? []).map((b) => b.id)],
        updates: [{ path: pendingPath(ctx), value: pending }],
      };
    } catch (error) {
      return failWith(behavior, params.errorOutputVariable, errorOf(error));
    }
  },
  async submit(ctx, params, input): Promise<StepResult> {
    const behavior = params.failureBehavior ?? 'failureBranch';
    const fail = (error: StepError) => failWith(behavior, params.errorOutputVariable, error);
    const branch = (params.customBranches ?? []).find((b) => b.id === input.clientResponseOptionId);
    if (branch) {
      checkBranchData(branch, input.data);
      return {
        kind: 'outcome',
        outcome: branch.id,
        updates: params.branchOutputVariable ? [{ path: [params.branchOutputVariable], value: input.data ?? null }] : [],
      };
    }
    if (input.clientResponseOptionId === 'cancel') {
      return (params.cancelBehavior ?? 'abort') === 'cancelBranch'
        ? { kind: 'outcome', outcome: 'cancel' }
        : { kind: 'end', result: 'rejection', code: 'USER_CANCELLED' };
    }
    if (input.clientResponseOptionId === 'fail') {
      const reported = typeof input.data === 'object' && input.data !== null ? JSON.stringify(input.data).slice(0, 500) : 'no details';
      return fail({ code: 'CLIENT_REPORTED_FAILURE', detail: `The client could not register a passkey: ${reported}` });
    }
    const pending = readPath(ctx.vars, pendingPath(ctx)) as PendingRegistration | undefined;
    if (!pending) return fail({ code: 'SESSION_NOT_FOUND', detail: 'No registration was started by this step' });
    const encoded = typeof input.data === 'object' && input.data !== null ? (input.data as Record<string, unknown>).webauthn_encoded_result : undefined;
    const decoded = decodeBrowserResponse(encoded);
    if (decoded.kind !== 'credential')
      return fail({ code: 'RESPONSE_MALFORMED', detail: 'data.webauthn_encoded_result must be the credential’s JSON (PublicKeyCredential.toJSON())' });
    if (params.allowCrossPlatform === false && decoded.credential.authenticatorAttachment === 'cross-platform') {
      return fail({ code: 'CREDENTIAL_NOT_ALLOWED', detail: 'This step allows only platform authenticators (Allow Cross Platform is No)' });
    }
    const deviceKey = typeof input.data === 'object' && input.data !== null ? (input.data as Record<string, unknown>).device_key : undefined;
    let device: DevicePublicKey | undefined;
    if (pending.deviceChallenge) {
      // Bind Device: the device key's proof is checked before the passkey is stored, so a bad proof stores nothing.
      if (typeof deviceKey !== 'object' || deviceKey === null)
        return fail({ code: 'DEVICE_KEY_INVALID', detail: 'Bind Device is on: data.device_key {publicKey, signature} is required' });
      try {
        device = await ctx.port.devices.verifyBindingProof(pending.deviceChallenge, deviceKey as DeviceProof);
      } catch (error) {
        return fail(errorOf(error));
      }
    }
    try {
      let bound: BoundDevice | undefined;
      const passkey = await ctx.port.ceremonies.completeRegistration(journeyActor(ctx), {
        storeName: pending.storeName,
        sessionId: pending.sessionId,
        userId: pending.userId,
        response: decoded.credential as unknown as RegistrationResponseJSON,
        // In an organization's context its policy refuses a disallowed authenticator before anything is stored.
        admit: organizationAdmission(ctx, pending.storeName, 'registration'),
        // The binding commits with the passkey, or neither does.
        ...(device
          ? {
              inTransaction: async (trx, outcome) => {
                bound = await ctx.port.devices.bindIn(trx, journeyActor(ctx), {
                  storeName: pending.storeName,
                  userId: outcome.userId,
                  credentialId: outcome.credentialId,
                  key: device,
                });
              },
            }
          : {}),
      });
      return {
        kind: 'outcome',
        outcome: 'success',
        updates: [
          { path: pendingPath(ctx), value: null },
          { path: ['_mosaic', 'registeredPasskey'], value: passkey },
          ...(bound ? [{ path: ['_mosaic', 'boundDevice'], value: { id: bound.id, keyId: bound.keyId } }] : []),
          // The journey's user is not changed: registering a passkey for a User Identifier does not prove who is at the browser.
        ],
      };
    } catch (error) {
      return fail(errorOf(error));
    }
  },
});
