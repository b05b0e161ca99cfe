import type { Actor } from '../../../audit/audit-log.ts';
import { KeywayError } from '../../../errors/keyway-error.ts';
import type { UserRef } from '../../../identity/identity-service.ts';
import type { AuthenticationResult } from '../../../passkeys/ceremony-service.ts';
import type { Passkey } from '../../../passkeys/passkey-record.ts';
import { amrFor } from '../../../tokens/signing-key-service.ts';
import { authenticatedUser } from '../../journey-identity.ts';
import type { ContextUpdate, StepContext } from '../../step-type.ts';

/**
 * What the TrustX step types share: the audit actor of a journey, the `_identityStore` paths the
 * TrustX expressions read (`_identityStore.passkeys.registrations["passkeyReg1"].currentPasskeyRegistrationRecord…`),
 * the process's record of failed checks (read by Simple Decider), and how a step names a user.
 */

/** Ceremonies and user changes made by a journey are audited as the journey, with its instance as the request. */
export function journeyActor(ctx: StepContext): Actor {
  return { tenantId: ctx.tenantId, actor: `journey:${ctx.journeyId}`, requestId: ctx.instanceId };
}

/** Stored with ceremony sessions a journey starts: who started it, for what. */
export function journeyContext(ctx: StepContext): Record<string, unknown> {
  return { journey: ctx.journeyId, instance: ctx.instanceId, step: ctx.stepId };
}

export type CeremonyKind = 'registration' | 'authentication';

const RECORD = {
  registration: ['registrations', 'currentPasskeyRegistrationRecord'],
  authentication: ['authentications', 'currentPasskeyAuthenticationRecord'],
} as const;

/** `['_identityStore','passkeys','registrations', key, 'currentPasskeyRegistrationRecord']` (or the authentication twin). */
export function recordPath(kind: CeremonyKind, key: string): string[] {
  return ['_identityStore', 'passkeys', RECORD[kind][0], key, RECORD[kind][1]];
}

/** The state of one passkey ceremony of the journey, kept in its variables under recordPath(). */
export interface CeremonyRecord {
  storeName: string;
  userId: string | null;
  relyingPartyId: string;
  policy: string;
  status: 'started' | 'responded' | 'cancelled' | 'completed' | 'failed';
  /** startPasskeyRegistrationResponse / startPasskeyAuthenticationResponse: the API's start answer */
  startPasskeyRegistrationResponse?: { clientRequest: unknown; sessionId: string };
  startPasskeyAuthenticationResponse?: { clientRequest: unknown; sessionId: string };
  expiresAt: string;
  /** The browser's credential JSON, from a passkey form */
  browserResponse?: unknown;
  completePasskeyRegistrationResponse?: unknown;
  completePasskeyAuthenticationResponse?: unknown;
  error?: { code: string; detail: string };
}

export function readPath(vars: Readonly<Record<string, unknown>>, path: readonly (string | number)[]): unknown {
  let at: unknown = vars;
  for (const key of path) {
    if (typeof at !== 'object' || at === null || !Object.hasOwn(at, key)) return undefined;
    at = (at as Record<string | number, unknown>)[key];
  }
  return at;
}

export function readRecord(ctx: StepContext, kind: CeremonyKind, key: string): CeremonyRecord | undefined {
  const record = readPath(ctx.vars, recordPath(kind, key));
  return typeof record === 'object' && record !== null ? (record as CeremonyRecord) : undefined;
}

export function sessionOf(record: CeremonyRecord, kind: CeremonyKind): { clientRequest: unknown; sessionId: string } | undefined {
  return kind === 'registration' ? record.startPasskeyRegistrationResponse : record.startPasskeyAuthenticationResponse;
}

export interface ProcessFailure {
  stepId: string;
  outcome: string;
  code?: string;
}

/**
 * Records a failed check of the process (TrustX: what “Decision on Any Failure” of Simple Decider
 * reacts to). Kept under `_process.failures`, appended in order.
 */
export function failureUpdate(ctx: StepContext, outcome: string, code?: string): ContextUpdate {
  const previous = readPath(ctx.vars, ['_process', 'failures']);
  const failures = Array.isArray(previous) ? previous : [];
  return { path: ['_process', 'failures'], value: [...failures, { stepId: ctx.stepId, outcome, ...(code === undefined ? {} : { code }) }] };
}

export function errorOf(error: unknown): { code: string; detail: string } {
  if (error instanceof KeywayError) return { code: error.code, detail: error.detail };
  throw error;
}

export interface UserParameters {
  userId?: string | undefined;
  userExternalId?: string | undefined;
  userKey?: string | undefined;
}

/**
 * The user a step names: by User ID, else User External ID, else User Key (looked up in the
 * store), else the journey's identified user when it is in this store; undefined when none.
 */
export async function resolveUser(ctx: StepContext, storeName: string, params: UserParameters): Promise<UserRef | undefined> {
  if (params.userId) return { id: params.userId };
  if (params.userExternalId) return { externalId: params.userExternalId };
  if (params.userKey) {
    const found = await ctx.port.identity.listUsers(ctx.tenantId, storeName, { userKey: params.userKey, limit: 1 });
    const user = found.items[0];
    if (!user) throw new KeywayError('USER_NOT_FOUND', `No user with userKey ${params.userKey} in store ${storeName}`);
    return { id: user.id };
  }
  if (ctx.user && ctx.user.storeName === storeName) return { id: ctx.user.userId };
  return undefined;
}

/** An optional text parameter left blank in the designer counts as not given. */
export const blankToUndefined = (value: string | undefined) => (value === undefined || value.trim() === '' ? undefined : value);

/** `user.id` of a user named any way, for the journey's `user` variable. */
export async function userIdOf(ctx: StepContext, storeName: string, ref: UserRef): Promise<string> {
  return 'id' in ref ? ref.id : (await ctx.port.identity.getUser(ctx.tenantId, storeName, ref)).id;
}

/** A step's parameter for “the form/page version”: an integer, or digits as a string (TrustX types it String). */
export function versionNumber(value: number | string | undefined): number | undefined {
  if (value === undefined || value === '') return undefined;
  return typeof value === 'number' ? value : Number.parseInt(value, 10);
}

/**
 * A browser response given to a step: the credential JSON as an object, as JSON text, or as
 * base64url of JSON text (an SDK's “encoded result”). `cancelled` when the browser reported that
 * the user cancelled (NotAllowedError) or nothing was given; `malformed` when it is not a credential.
 */
export function decodeBrowserResponse(
  value: unknown,
): { kind: 'credential'; credential: Record<string, unknown> } | { kind: 'cancelled' } | { kind: 'malformed' } {
  if (value === undefined || value === null || value === '') return { kind: 'cancelled' };
  let decoded: unknown = value;
  if (typeof value === 'string') {
    const text = value.trim().startsWith('{') ? value : Buffer.from(value, 'base64url').toString('utf8');
    try {
      decoded = JSON.parse(text);
    } catch {
      return { kind: 'malformed' };
    }
  }
  if (typeof decoded !== 'object' || decoded === null || Array.isArray(decoded)) return { kind: 'malformed' };
  const object = decoded as Record<string, unknown>;
  if (object.cancelled === true || object.name === 'NotAllowedError' || object.error === 'NotAllowedError') return { kind: 'cancelled' };
  if (typeof object.id !== 'string' || typeof object.response !== 'object' || object.response === null) return { kind: 'malformed' };
  return { kind: 'credential', credential: object };
}

/**
 * How the journey's user proved themselves, for the ID token the journey's end issues (the engine
 * reads `_authentication`): after a sign-in, the amr the ceremony service signed into its own ID
 * token (it knows the assertion's UV flag); after a registration, the amr of the new credential's facts.
 */
export function authenticatedBySignIn(result: AuthenticationResult, now: Date): ContextUpdate {
  return authenticatedUser({
    userId: result.user.id,
    amr: [...result.idTokenClaims.amr],
    credentialId: result.credential.credentialId,
    attested: result.credential.attestationVerified,
    deviceBound: !result.credential.backupEligible,
    authTime: now.toISOString(),
  });
}

export function authenticatedByRegistration(passkey: Passkey, now: Date): ContextUpdate {
  return authenticatedUser({
    userId: passkey.userId,
    amr: amrFor({ userVerified: passkey.userVerified, backupEligible: passkey.backupEligible, attestationVerified: passkey.attestationVerified }),
    credentialId: passkey.credentialId,
    attested: passkey.attestationVerified,
    deviceBound: !passkey.backupEligible,
    authTime: now.toISOString(),
  });
}
