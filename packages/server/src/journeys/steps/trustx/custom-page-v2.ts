import { Type } from '@sinclair/typebox';
import { validationError } from '../../../errors/keyway-error.ts';
import { RESERVED_VARIABLES } from '../../definition.ts';
import { defineStepType, type StepResult } from '../../step-type.ts';
import { anyObject } from '../parameter-schemas.ts';
import { objectData } from './form-step-support.ts';
import { readPath, sessionOf, versionNumber, type CeremonyKind, type CeremonyRecord } from './trustx-support.ts';

/** TrustX “Custom Page V2”: Session Data and Constants, plus which page and where its answer goes. */
const CustomPageV2Parameters = Type.Object(
  {
    pageName: Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$', description: 'The custom page' }),
    pageVersion: Type.Optional(
      Type.Union([Type.Integer({ minimum: 1 }), Type.String({ pattern: '^[0-9]{0,7}$' })], {
        description: 'A published version; the latest published one when empty',
      }),
    ),
    sessionData: Type.Optional(anyObject({ description: 'Key → value (usually an expression) given to the page as keyway.sessionData' })),
    constants: Type.Optional(anyObject({ description: 'Key → constant value given to the page as keyway.constants' })),
    formDataKey: Type.Optional(
      Type.String({
        pattern: '^[A-Za-z_][A-Za-z0-9_]{0,63}$',
        // Not an engine-owned root: the answer is the page's JSON, and under `_identityStore` it could pose as a passkey
        // ceremony the journey started (pageCeremonies below trusts those records).
        not: { enum: [...RESERVED_VARIABLES] },
        description: 'The variable the page’s answer is stored under; default the step id (not a reserved name)',
      }),
    ),
    timeoutSeconds: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 86_400, description: 'Time to answer; later leads to `timeout` (and the page is no longer served)' }),
    ),
  },
  { additionalProperties: false },
);

/** A passkey ceremony of the journey that the runner may run for the page (its request as the ceremony service made it). */
export interface PageCeremony {
  kind: CeremonyKind;
  key: string;
  clientRequest: unknown;
}

/**
 * The ceremonies Start Passkey Registration / Authentication of this journey started and that are not completed yet:
 * the only WebAuthn requests the runner runs for the page (the SDK's bridge compares the page's options with these
 * and runs these). Read from the `_identityStore` records, which only those steps write (definitions cannot declare
 * the name, nor store an answer under it), never from `sessionData` / `constants`, which the definition writes freely:
 * a page running any options it is given would let whoever edits journeys run a ceremony of another part of Keyway
 * on the same relying party (a console sign-in challenge) in the user's browser and keep the assertion.
 */
function pageCeremonies(vars: Readonly<Record<string, unknown>>): PageCeremony[] {
  const found: PageCeremony[] = [];
  for (const [kind, group, field] of [
    ['registration', 'registrations', 'currentPasskeyRegistrationRecord'],
    ['authentication', 'authentications', 'currentPasskeyAuthenticationRecord'],
  ] as const) {
    const records = readPath(vars, ['_identityStore', 'passkeys', group]);
    if (typeof records !== 'object' || records === null) continue;
    for (const [key, entry] of Object.entries(records)) {
      const record = readPath(entry as Record<string, unknown>, [field]) as CeremonyRecord | undefined;
      if (typeof record !== 'object' || record === null || record.status === 'completed') continue;
      const clientRequest = sessionOf(record, kind)?.clientRequest;
      if (typeof clientRequest === 'object' && clientRequest !== null) found.push({ kind, key, clientRequest });
    }
  }
  return found;
}

/** A page's answer is stored in the journey's variables: bounded like any step output. */
export const MAX_PAGE_ANSWER_BYTES = 64 * 1024;

/**
 * TrustX “Custom Page V2”: shows a published custom page (admin HTML) in the runner's sandboxed
 * iframe. The page receives Session Data (e.g. `passkeyAuthClientRequest` =
 * `${_identityStore.passkeys.authentications["passkeyAuth1"].currentPasskeyAuthenticationRecord.startPasskeyAuthenticationResponse.clientRequest}`)
 * and Constants as `window.keyway.sessionData` / `.constants`, may ask the runner to run the WebAuthn
 * ceremony a Start Passkey step of the journey started (`keyway.createCredential(options)`; see
 * pageCeremonies), and answers with `keyway.submit(data)` — stored under Form
 * data key (default the step id), where Complete Passkey Registration/Authentication can take the
 * browser response from, e.g. `${passkeyPage.credential}` — or `keyway.cancel()` (`cancel`). Once the
 * step is answered (or shown again) the page's URL stops working.
 */
export const customPageV2Step = defineStepType({
  type: 'trustx.customPageV2',
  title: 'Custom Page V2',
  family: 'trustx',
  parameterSchema: CustomPageV2Parameters,
  outcomes: ['success', 'cancel', 'timeout'],
  clientFacing: true,
  timeoutSeconds: (params) => params.timeoutSeconds,
  async run(ctx, params): Promise<StepResult> {
    const data = { sessionData: params.sessionData ?? {}, constants: params.constants ?? {} };
    const page = await ctx.port.pages.grant({
      tenantId: ctx.tenantId,
      sessionId: ctx.instanceId,
      stepId: ctx.stepId,
      pageName: params.pageName,
      pageVersion: versionNumber(params.pageVersion),
      data,
      ttlSeconds: params.timeoutSeconds,
    });
    // `ceremonies` goes to the runner only (the page keeps to sessionData and constants).
    return { kind: 'present', data: { page, ...data, ceremonies: pageCeremonies(ctx.vars) }, options: ['client_input', 'cancel'] };
  },
  async submit(ctx, params, input): Promise<StepResult> {
    const key = params.formDataKey || ctx.stepId;
    if (input.clientResponseOptionId === 'cancel') {
      await ctx.port.pages.revoke(ctx.tenantId, ctx.instanceId, ctx.stepId);
      return { kind: 'outcome', outcome: 'cancel', updates: [{ path: [key], value: { cancelled: true } }] };
    }
    const answer = objectData(input.data);
    if (Buffer.byteLength(JSON.stringify(answer), 'utf8') > MAX_PAGE_ANSWER_BYTES)
      throw validationError('data', `must be at most ${MAX_PAGE_ANSWER_BYTES} bytes of JSON`);
    await ctx.port.pages.revoke(ctx.tenantId, ctx.instanceId, ctx.stepId);
    return { kind: 'outcome', outcome: 'success', updates: [{ path: [key], value: answer }] };
  },
});
