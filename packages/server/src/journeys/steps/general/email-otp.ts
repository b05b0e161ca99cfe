import { createHmac, randomInt, timingSafeEqual } from 'node:crypto';
import { Type } from '@sinclair/typebox';
import { KeywayError } from '../../../errors/keyway-error.ts';
import { normaliseEmail } from '../../../identity/user-record.ts';
import type { User } from '../../../identity/user-schemas.ts';
import { authenticatedUser, identifiedUser, type JourneyAuthentication } from '../../journey-identity.ts';
import { defineStepType, type ContextUpdate, type JourneyUser, type StepContext, type StepResult } from '../../step-type.ts';
import { storeOf } from '../mosaic/mosaic-support.ts';
import { errorOf, journeyActor, readPath } from '../trustx/trustx-support.ts';
import { randomBytes } from '../../../shared/random-bytes.ts';

export const OTP_DIGITS = 6;

const EmailOtpParameters = Type.Object(
  {
    emailAddress: Type.Optional(
      Type.String({ format: 'email', maxLength: 254, description: 'Where the code goes, e.g. ${loginData.email}; default the journey user’s e-mail address' }),
    ),
    storeName: Type.Optional(Type.String({ description: 'The identity store whose branding the e-mail uses; default the journey’s store' })),
    codeLifetimeSeconds: Type.Optional(Type.Integer({ minimum: 60, maximum: 3600, default: 300, description: 'How long a code is valid (default 300 s)' })),
    maxAttempts: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 10, default: 3, description: 'Wrong codes allowed in all before the `failed` outcome (default 3)' }),
    ),
    maxResends: Type.Optional(Type.Integer({ minimum: 0, maximum: 5, default: 2, description: 'New codes the user may ask for (default 2)' })),
  },
  { additionalProperties: false },
);

/** The step's state in the instance's variables: the code only as an HMAC under a random key of its own. */
interface OtpState {
  to: string;
  /** The store's user whose e-mail address `to` is, whom a right code authenticates (none: the code proves the address only). */
  user?: JourneyUser;
  codeKey: string;
  codeHash: string;
  expiresAt: number;
  attempts: number;
  resends: number;
}

const statePath = (ctx: StepContext) => ['_emailOtp', ctx.stepId];

function hashCode(key: string, code: string): string {
  return createHmac('sha256', Buffer.from(key, 'base64url')).update(code).digest('base64url');
}

/** `ada@example.com` → `a••@example.com`: enough for the user to recognise, not enough to harvest. */
export function maskEmail(address: string): string {
  const at = address.lastIndexOf('@');
  const local = address.slice(0, at);
  return `${local.slice(0, 1)}${'•'.repeat(Math.min(Math.max(local.length - 1, 2), 6))}${address.slice(at)}`;
}

interface Settings {
  lifetimeSeconds: number;
  maxAttempts: number;
  maxResends: number;
}

/**
 * The user a right code authenticates: the one whose e-mail address the code goes to. A journey that has a user
 * authenticates only that user, and only if it is their address (an `emailAddress` expression may name any address;
 * the journey never switches to another account); one without a user authenticates the one user of the journey's
 * store with that address, and none when several users share it.
 */
async function ownerOf(ctx: StepContext, to: string): Promise<JourneyUser | undefined> {
  const address = normaliseEmail(to);
  let owner: { storeName: string; user: User } | undefined;
  if (ctx.user) {
    const user = await ctx.port.identity.getUser(ctx.tenantId, ctx.user.storeName, { id: ctx.user.userId });
    if (user.email === address) owner = { storeName: ctx.user.storeName, user };
  } else {
    const store = storeOf(ctx, undefined);
    const found = await ctx.port.identity.listUsers(ctx.tenantId, store, { email: address, limit: 2 });
    if (found.items.length === 1) owner = { storeName: store, user: found.items[0]! };
  }
  if (!owner || !(await mayOpenByCode(ctx, owner.user))) return undefined;
  return { storeName: owner.storeName, userId: owner.user.id };
}

/**
 * An address nobody has proven is only what whoever created the account typed: someone may sign up with another
 * person's address and a passkey of their own, and wait for that person to sign in by e-mail code into an account
 * they still hold (account pre-hijacking). A code therefore opens an account whose address is verified, or one that
 * holds no passkey yet (nobody else can get in); otherwise it proves the address only.
 */
async function mayOpenByCode(ctx: StepContext, user: User): Promise<boolean> {
  return user.emailVerified === true || !(await ctx.port.identity.hasPasskeys(ctx.tenantId, user.id));
}

/**
 * A right code authenticates the address's owner (RFC 8176 `otp`). After a passkey of the same user in this journey it
 * is a second factor: both methods and `mfa`, the passkey's facts kept (RFC 8176 §2).
 */
function authenticatedByCode(ctx: StepContext, user: JourneyUser): ContextUpdate[] {
  const previous = readPath(ctx.vars, ['_authentication']) as JourneyAuthentication | null | undefined;
  const authTime = ctx.clock.now().toISOString();
  const authentication: JourneyAuthentication =
    previous?.userId === user.userId && previous.credentialId !== undefined
      ? { ...previous, amr: [...new Set([...previous.amr.filter((m) => m !== 'mfa'), 'otp', 'mfa'])], authTime }
      : { userId: user.userId, amr: ['otp'], authTime };
  return [identifiedUser(user), authenticatedUser(authentication)];
}

async function sendCode(ctx: StepContext, storeName: string, to: string, previous: OtpState | undefined, settings: Settings): Promise<OtpState> {
  const code = String(randomInt(0, 10 ** OTP_DIGITS)).padStart(OTP_DIGITS, '0');
  const codeKey = randomBytes(32).toString('base64url');
  const user = previous ? previous.user : await ownerOf(ctx, to);
  await ctx.port.email.sendOneTimeCode(journeyActor(ctx), {
    storeName,
    to,
    code,
    expiresInMinutes: Math.round(settings.lifetimeSeconds / 60),
    languages: [ctx.locale],
    userId: user?.userId,
  });
  return {
    to,
    ...(user ? { user } : {}),
    codeKey,
    codeHash: hashCode(codeKey, code),
    expiresAt: ctx.clock.now().getTime() + settings.lifetimeSeconds * 1000,
    attempts: previous?.attempts ?? 0,
    resends: previous ? previous.resends + 1 : 0,
  };
}

function present(ctx: StepContext, state: OtpState, settings: Settings, previousError?: string, notice?: 'resent'): StepResult {
  return {
    kind: 'present',
    data: {
      destination: maskEmail(state.to),
      codeLength: OTP_DIGITS,
      expiresAt: new Date(state.expiresAt).toISOString(),
      attemptsLeft: settings.maxAttempts - state.attempts,
      resendsLeft: settings.maxResends - state.resends,
      ...(previousError ? { previousError: { code: previousError } } : {}),
      ...(notice ? { notice } : {}),
    },
    options: state.resends < settings.maxResends ? ['client_input', 'resend', 'cancel'] : ['client_input', 'cancel'],
    updates: [{ path: statePath(ctx), value: state }],
  };
}

const settingsOf = (params: { codeLifetimeSeconds?: number; maxAttempts?: number; maxResends?: number }): Settings => ({
  lifetimeSeconds: params.codeLifetimeSeconds ?? 300,
  maxAttempts: params.maxAttempts ?? 3,
  maxResends: params.maxResends ?? 2,
});

const cleared = (ctx: StepContext): ContextUpdate[] => [{ path: statePath(ctx), value: null }];

/**
 * E-mail one-time code: sends a 6-digit code to an address (the parameter, else the journey user's e-mail) and waits
 * for it. The code is kept only as an HMAC under a random key; wrong codes count against `maxAttempts` across every
 * code sent (a resend does not reset them); a code past its lifetime leads to `expired`. Submit `client_input` with
 * `{code}`, `resend` for a new code (at most `maxResends`), or `cancel`. Outcomes: `success` (the address is proven,
 * and the user whose address it is, if the store has one, is the journey's authenticated user: amr `otp`, as Mosaic's
 * e-mail OTP authentication; the end's ID token and an OIDC login's browser session carry it),
 * `failed` (too many wrong codes), `expired`, `cancel`. Without an address the journey is rejected with
 * EMAIL_ADDRESS_MISSING, without SMTP with EMAIL_NOT_CONFIGURED.
 */
export const emailOtpStep = defineStepType({
  type: 'general.emailOtp',
  title: 'E-mail One-Time Code',
  family: 'general',
  parameterSchema: EmailOtpParameters,
  outcomes: ['success', 'failed', 'expired', 'cancel'],
  clientFacing: true,
  async run(ctx, params): Promise<StepResult> {
    const settings = settingsOf(params);
    try {
      const storeName = storeOf(ctx, params.storeName);
      let to = params.emailAddress;
      if (to === undefined && ctx.user) to = (await ctx.port.identity.getUser(ctx.tenantId, ctx.user.storeName, { id: ctx.user.userId })).email;
      if (to === undefined)
        throw new KeywayError('EMAIL_ADDRESS_MISSING', 'general.emailOtp: no emailAddress parameter and the journey’s user has no e-mail address');
      return present(ctx, await sendCode(ctx, storeName, to, undefined, settings), settings);
    } catch (error) {
      return { kind: 'end', result: 'rejection', code: errorOf(error).code };
    }
  },
  async submit(ctx, params, input): Promise<StepResult> {
    if (input.clientResponseOptionId === 'cancel') return { kind: 'outcome', outcome: 'cancel', updates: cleared(ctx) };
    const settings = settingsOf(params);
    const state = readPath(ctx.vars, statePath(ctx)) as OtpState | null | undefined;
    if (!state) return { kind: 'end', result: 'rejection', code: 'JOURNEY_STEP_FAILED' };
    if (input.clientResponseOptionId === 'resend') {
      if (state.resends >= settings.maxResends) return present(ctx, state, settings, 'OTP_RESEND_LIMIT');
      try {
        return present(ctx, await sendCode(ctx, storeOf(ctx, params.storeName), state.to, state, settings), settings, undefined, 'resent');
      } catch (error) {
        // Too many codes to this address just now: the code already sent still works; the user may ask again later.
        if (errorOf(error).code === 'RATE_LIMITED') return present(ctx, state, settings, 'RATE_LIMITED');
        return { kind: 'end', result: 'rejection', code: errorOf(error).code };
      }
    }
    if (ctx.clock.now().getTime() > state.expiresAt) return { kind: 'outcome', outcome: 'expired', updates: cleared(ctx) };
    const code = (input.data as { code?: unknown } | null)?.code;
    const given = typeof code === 'string' && /^\d{6}$/.test(code.trim()) ? code.trim() : '';
    const expected = Buffer.from(state.codeHash, 'base64url');
    if (given !== '' && timingSafeEqual(Buffer.from(hashCode(state.codeKey, given), 'base64url'), expected))
      return { kind: 'outcome', outcome: 'success', updates: [...cleared(ctx), ...(state.user ? authenticatedByCode(ctx, state.user) : [])] };
    const attempts = state.attempts + 1;
    if (attempts >= settings.maxAttempts) return { kind: 'outcome', outcome: 'failed', updates: cleared(ctx) };
    return present(ctx, { ...state, attempts }, settings, 'OTP_INVALID');
  },
});
