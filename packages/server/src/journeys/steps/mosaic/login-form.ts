import { Type, type Static } from '@sinclair/typebox';
import { defineStepType, type StepContext, type StepResult } from '../../step-type.ts';
import { errorOf, journeyActor, journeyContext, readPath } from '../trustx/trustx-support.ts';
import { checkBranchData, customBranch, customBranches, storeOf, variableName, type CustomBranch } from './mosaic-support.ts';
import { branchIds } from './register-passkeys.ts';

/** Mosaic “Login Form” with the Passkeys method, in camelCase, plus where in Keyway (store, RP, policy). */
const LoginFormParameters = Type.Object(
  {
    enablePasskeys: Type.Optional(Type.Boolean({ default: true, description: 'Offer the Passkeys login method' })),
    passkeyAutofill: Type.Optional(
      Type.Boolean({
        default: false,
        description:
          'Also offer the passkeys in the username field’s autofill (WebAuthn conditional mediation); needs enablePasskeys (default off: the Login Form prompts for a passkey only when asked)',
      }),
    ),
    passkeysBranch: Type.Optional(customBranch('The passkeys branch: default id `passkeys` with a schema requiring webauthn_encoded_result')),
    customBranches: Type.Optional(customBranches()),
    outputVariable: Type.Optional(
      variableName({ default: 'loginData', description: 'The variable that receives the data the client returns (default loginData)' }),
    ),
    storeName: Type.Optional(Type.String({ description: 'The identity store; default the journey’s store' })),
    relyingPartyId: Type.String({ minLength: 1, description: 'The relying party of the passkeys' }),
    authenticationPolicy: Type.String({ minLength: 1, description: 'The authentication policy (must allow discoverable sign-in)' }),
  },
  { additionalProperties: false },
);
export type LoginFormParameters = Static<typeof LoginFormParameters>;

/** The passkeys branch as Mosaic describes its defaults: id `passkeys`, data `{webauthn_encoded_result}`. */
export const DEFAULT_PASSKEYS_BRANCH: CustomBranch = {
  id: 'passkeys',
  displayName: 'Passkeys',
  schema: {
    type: 'object',
    required: ['webauthn_encoded_result'],
    properties: {
      webauthn_encoded_result: {
        anyOf: [{ type: 'string', minLength: 1 }, { type: 'object' }],
        description: 'The WebAuthn encoded result: the credential JSON, or its JSON text / base64url',
      },
    },
  },
};

/** Where the Login Form keeps the discoverable authentication it started, for Passkey Authentication. */
export const LOGIN_PASSKEY_PATH = ['_mosaic', 'passkeyAuthentication'];

export interface PendingAuthentication {
  storeName: string;
  sessionId: string;
  stepId: string;
  /** Set when Passkey Authentication refused the passkey: its error code. */
  refusedCode?: string;
}

function branchesOf(params: LoginFormParameters): CustomBranch[] {
  const passkeys = (params.enablePasskeys ?? true) ? [params.passkeysBranch ?? DEFAULT_PASSKEYS_BRANCH] : [];
  return [...passkeys, ...(params.customBranches ?? [])];
}

/**
 * Mosaic “Login Form”, passkeys method: presents the request options of a discoverable
 * (usernameless) WebAuthn sign-in; the client authenticates and submits the branch `passkeys` with
 * `{webauthn_encoded_result}`, which is checked against the branch schema and stored in the output
 * variable (default `loginData`) for the Passkey Authentication step:
 * `${loginData.webauthn_encoded_result}`. The step leaves by the branch id. With `passkeyAutofill` the client
 * also offers the same request in the username field's suggestions (a conditional get): picking a passkey there
 * answers the passkeys branch exactly as the button does, so Passkey Authentication runs every check either way.
 */
export const loginFormStep = defineStepType({
  type: 'mosaic.loginForm',
  title: 'Login Form',
  family: 'mosaic',
  parameterSchema: LoginFormParameters,
  outcomes: ['passkeys', 'cancel'],
  outcomesFor: (params) => {
    const passkeys =
      params.enablePasskeys === false
        ? []
        : [typeof (params.passkeysBranch as { id?: unknown } | undefined)?.id === 'string' ? (params.passkeysBranch as { id: string }).id : 'passkeys'];
    return [...passkeys, ...branchIds(params.customBranches), 'cancel'];
  },
  clientFacing: true,
  async run(ctx: StepContext, params): Promise<StepResult> {
    const branches = branchesOf(params);
    // Back on this form after Passkey Authentication refused its passkey: the client is told why (not a silent re-show).
    const previous = readPath(ctx.vars, LOGIN_PASSKEY_PATH) as PendingAuthentication | null | undefined;
    const refused = previous?.stepId === ctx.stepId && previous.refusedCode ? { previousError: { code: previous.refusedCode } } : {};
    let passkeys: Record<string, unknown> | undefined;
    const updates = [];
    if (params.enablePasskeys ?? true) {
      const storeName = storeOf(ctx, params.storeName);
      try {
        const started = await ctx.port.ceremonies.startAuthentication(journeyActor(ctx), {
          storeName,
          rpId: params.relyingPartyId,
          policyName: params.authenticationPolicy,
          context: journeyContext(ctx),
        });
        // One discoverable request serves both the button and autofill (WebAuthn §5.1.4.1 conditional mediation needs an
        // empty allowCredentials); its challenge is single-use and its session is bound to this instance's variables.
        passkeys = { branchId: branches[0]!.id, clientRequest: started.clientRequest, autofill: params.passkeyAutofill ?? false };
        updates.push({ path: LOGIN_PASSKEY_PATH, value: { storeName, sessionId: started.sessionId, stepId: ctx.stepId } satisfies PendingAuthentication });
      } catch (error) {
        // A journey whose login form cannot start a passkey sign-in is misconfigured (store, RP, policy): reject with the code.
        return { kind: 'end', result: 'rejection', code: errorOf(error).code };
      }
    }
    return {
      kind: 'present',
      data: {
        ...(passkeys ? { passkeys } : {}),
        branches: branches.map((b) => ({ id: b.id, ...(b.displayName ? { displayName: b.displayName } : {}) })),
        ...refused,
      },
      options: [...branches.map((b) => b.id), 'cancel'],
      updates,
    };
  },
  async submit(_ctx, params, input): Promise<StepResult> {
    if (input.clientResponseOptionId === 'cancel') return { kind: 'outcome', outcome: 'cancel' };
    const branch = branchesOf(params).find((b) => b.id === input.clientResponseOptionId)!;
    checkBranchData(branch, input.data);
    return { kind: 'outcome', outcome: branch.id, updates: [{ path: [params.outputVariable ?? 'loginData'], value: input.data ?? null }] };
  },
});
