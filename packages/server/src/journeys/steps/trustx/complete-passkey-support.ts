import { Type } from '@sinclair/typebox';
import { anyObject } from '../parameter-schemas.ts';
import { identifiedUser } from '../../journey-identity.ts';
import type { ContextUpdate, StepContext, StepResult } from '../../step-type.ts';
import { decodeBrowserResponse, errorOf, failureUpdate, readRecord, recordPath, sessionOf, type CeremonyKind, type CeremonyRecord } from './trustx-support.ts';

/**
 * What Complete Passkey Registration and Complete Passkey Authentication
 * share. The browser response is the step's “Browser Response” parameter when the definition sets
 * it (the Custom Page path), else what the passkey form stored in the ceremony's record. Then:
 * - the user cancelled (a cancel, NotAllowedError, or an empty response from a page) → `User cancelled`;
 *   with Fail Check on Cancel the cancel also counts as a failed check of the process (Simple Decider);
 * - the ceremony service refused it (any verification failure, expired or used session, …) →
 *   `Failed ID Store Service Call`, with `{code, detail}` in the record's `error`;
 * - otherwise `success`: the record holds the service's answer, the user becomes the journey's user and
 *   `_authentication` says how they proved themselves (for the tokens of the journey's end).
 * Verification is entirely the ceremony service's (CeremonyService.complete*), never redone here.
 */

export const COMPLETE_OUTCOMES = { success: 'success', cancelled: 'User cancelled', failed: 'Failed ID Store Service Call' } as const;

export interface CompleteParameters {
  failCheckOnCancel?: boolean;
  key: string;
  /** Whether the definition sets the browser response parameter (even to something empty) */
  responseGiven: boolean;
  response?: unknown;
}

export type Completion = (
  record: CeremonyRecord,
  sessionId: string,
  credential: Record<string, unknown>,
) => Promise<{ userId: string; answer: unknown; authentication: ContextUpdate }>;

export async function completeCeremony(kind: CeremonyKind, ctx: StepContext, params: CompleteParameters, complete: Completion): Promise<StepResult> {
  const path = recordPath(kind, params.key);
  const record = readRecord(ctx, kind, params.key);
  const failed = (error: { code: string; detail: string }): StepResult => ({
    kind: 'outcome',
    outcome: COMPLETE_OUTCOMES.failed,
    updates: [{ path, value: { ...(record ?? {}), status: 'failed', error } }, failureUpdate(ctx, COMPLETE_OUTCOMES.failed, error.code)],
  });
  const session = record ? sessionOf(record, kind) : undefined;
  if (!record || !session) return failed({ code: 'SESSION_NOT_FOUND', detail: `No passkey ${kind} was started under the key ${params.key}` });

  let decoded: ReturnType<typeof decodeBrowserResponse>;
  if (params.responseGiven) decoded = decodeBrowserResponse(params.response);
  else if (record.status === 'cancelled') decoded = { kind: 'cancelled' };
  else if (record.browserResponse === undefined || record.browserResponse === null)
    return failed({ code: 'RESPONSE_MALFORMED', detail: 'No browser response: put a passkey form or a custom page before this step' });
  else decoded = decodeBrowserResponse(record.browserResponse);

  if (decoded.kind === 'cancelled') {
    return {
      kind: 'outcome',
      outcome: COMPLETE_OUTCOMES.cancelled,
      updates: [
        { path, value: { ...record, status: 'cancelled', browserResponse: null } },
        ...(params.failCheckOnCancel ? [failureUpdate(ctx, COMPLETE_OUTCOMES.cancelled, 'USER_CANCELLED')] : []),
      ],
    };
  }
  if (decoded.kind === 'malformed') return failed({ code: 'RESPONSE_MALFORMED', detail: 'The browser response is not a WebAuthn credential’s JSON' });
  try {
    const { userId, answer, authentication } = await complete(record, session.sessionId, decoded.credential);
    const answerKey = kind === 'registration' ? 'completePasskeyRegistrationResponse' : 'completePasskeyAuthenticationResponse';
    const { error: _previous, ...rest } = record;
    return {
      kind: 'outcome',
      outcome: COMPLETE_OUTCOMES.success,
      updates: [
        // The response has served its purpose; only the verified answer is kept.
        { path, value: { ...rest, status: 'completed', browserResponse: null, [answerKey]: answer } },
        identifiedUser({ storeName: record.storeName, userId }),
        authentication,
      ],
    };
  } catch (error) {
    return failed(errorOf(error));
  }
}

export const browserResponse = () =>
  Type.Union([Type.String({ maxLength: 200_000 }), anyObject(), Type.Null()], {
    description:
      'The browser’s credential JSON (object, JSON text, or base64url of JSON) when a Custom Page collected it, e.g. ${pageOutput.credential}; empty means the user cancelled',
  });
