import { Type } from '@sinclair/typebox';
import { validationError } from '../../../errors/keyway-error.ts';
import { defineStepType, type StepResult } from '../../step-type.ts';
import { anyObject } from '../parameter-schemas.ts';
import { objectData } from './form-step-support.ts';
import { versionNumber } from './trustx-support.ts';

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
      Type.String({ pattern: '^[A-Za-z_][A-Za-z0-9_]{0,63}$', description: 'The variable the page’s answer is stored under; default the step id' }),
    ),
    timeoutSeconds: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 86_400, description: 'Time to answer; later leads to `timeout` (and the page is no longer served)' }),
    ),
  },
  { additionalProperties: false },
);

/** A page's answer is stored in the journey's variables: bounded like any step output. */
export const MAX_PAGE_ANSWER_BYTES = 64 * 1024;

/**
 * TrustX “Custom Page V2”: shows a published custom page (admin HTML) in the runner's sandboxed
 * iframe. The page receives Session Data (e.g. `passkeyAuthClientRequest` =
 * `${_identityStore.passkeys.authentications["passkeyAuth1"].currentPasskeyAuthenticationRecord.startPasskeyAuthenticationResponse.clientRequest}`)
 * and Constants as `window.keyway.sessionData` / `.constants`, may ask the runner to run WebAuthn
 * (`keyway.createCredential(options)`), and answers with `keyway.submit(data)` — stored under Form
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
    return { kind: 'present', data: { page, ...data }, options: ['client_input', 'cancel'] };
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
