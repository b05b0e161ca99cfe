import { Type, type Static } from '@sinclair/typebox';
import { newDeviceChallenge } from '../../../passkeys/device-key-proof.ts';
import { defineStepType, type StepContext, type StepResult } from '../../step-type.ts';
import { errorOf, readPath } from '../trustx/trustx-support.ts';
import { storeOf, variableName } from './mosaic-support.ts';

/** Mosaic “Known Device Status”, plus where in Keyway (the store whose bound devices count). */
const KnownDeviceStatusParameters = Type.Object(
  {
    storeName: Type.Optional(Type.String({ description: 'The identity store; default the journey’s store' })),
    outputVariable: Type.Optional(variableName({ default: 'deviceStatus', description: 'The variable that receives {status, keyId} (default deviceStatus)' })),
  },
  { additionalProperties: false },
);
export type KnownDeviceStatusParameters = Static<typeof KnownDeviceStatusParameters>;

/** The step's outcomes, one per device status. */
export const DEVICE_STATUS_OUTCOMES = ['knownForThisUser', 'knownForAnotherUser', 'unknown'] as const;

/** How long the client has to sign the challenge. */
export const DEVICE_CHALLENGE_TTL_MS = 5 * 60_000;

interface PendingChallenge {
  storeName: string;
  challenge: string;
  issuedAt: number;
}

const pendingPath = (ctx: StepContext) => ['_mosaic', 'deviceChallenges', ctx.stepId];

/**
 * Mosaic “Known Device Status”: whether the browser is a device bound to the journey's user (at a Register Passkeys
 * with Bind Device). Client-facing: it presents `{challenge, scope}`; the client answers `client_input` with
 * `{challenge, device_key_id, signature}` — its device key's signature over the challenge — or `{}` when it keeps no
 * key for `scope`. Outcomes: `knownForThisUser`, `knownForAnotherUser` (bound, to another user of the store only),
 * `unknown` (no key, a key not bound or revoked, or a signature that does not verify: an unproven device is never
 * known). The challenge is single use and bound to this instance and step: it lives in the instance's state, which the
 * engine changes by compare-and-set, and is cleared by the submit that uses it. A proof naming another challenge (a
 * replay, or one from another journey) or coming after the challenge expired ends the journey with a rejection,
 * `DEVICE_CHALLENGE_INVALID`. Requires the journey to have identified its user (else `USER_NOT_FOUND`).
 */
export const knownDeviceStatusStep = defineStepType({
  type: 'mosaic.knownDeviceStatus',
  title: 'Known Device Status',
  family: 'mosaic',
  parameterSchema: KnownDeviceStatusParameters,
  outcomes: DEVICE_STATUS_OUTCOMES,
  clientFacing: true,
  async run(ctx, params): Promise<StepResult> {
    let storeName: string;
    try {
      storeName = storeOf(ctx, params.storeName);
    } catch (error) {
      return { kind: 'end', result: 'rejection', code: errorOf(error).code };
    }
    if (!ctx.user || ctx.user.storeName !== storeName) return { kind: 'end', result: 'rejection', code: 'USER_NOT_FOUND' };
    const challenge = newDeviceChallenge();
    return {
      kind: 'present',
      data: { challenge, scope: `${ctx.tenantId}/${storeName}` },
      options: ['client_input'],
      updates: [{ path: pendingPath(ctx), value: { storeName, challenge, issuedAt: ctx.clock.now().getTime() } satisfies PendingChallenge }],
    };
  },
  async submit(ctx, params, input): Promise<StepResult> {
    const pending = readPath(ctx.vars, pendingPath(ctx)) as PendingChallenge | null | undefined;
    const data = (typeof input.data === 'object' && input.data !== null ? input.data : {}) as Record<string, unknown>;
    const consumed = { path: pendingPath(ctx), value: null };
    if (!pending || ctx.clock.now().getTime() - pending.issuedAt > DEVICE_CHALLENGE_TTL_MS)
      return { kind: 'end', result: 'rejection', code: 'DEVICE_CHALLENGE_INVALID', updates: [consumed] };
    let status: (typeof DEVICE_STATUS_OUTCOMES)[number] = 'unknown';
    let keyId: string | null = null;
    if (data.device_key_id !== undefined && data.device_key_id !== null) {
      if (data.challenge !== pending.challenge) return { kind: 'end', result: 'rejection', code: 'DEVICE_CHALLENGE_INVALID', updates: [consumed] };
      status = await ctx.port.devices.status(ctx.tenantId, pending.storeName, ctx.user?.userId, data.device_key_id, pending.challenge, data.signature);
      if (status !== 'unknown') keyId = String(data.device_key_id);
    }
    return { kind: 'outcome', outcome: status, updates: [consumed, { path: [params.outputVariable ?? 'deviceStatus'], value: { status, keyId } }] };
  },
});
