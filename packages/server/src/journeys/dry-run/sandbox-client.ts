import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import type {
  AuthenticationResponseJSON,
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON,
  RegistrationResponseJSON,
} from '@simplewebauthn/server';
import { DEVICE_PROOF_PREFIX } from '../../passkeys/device-key-proof.ts';
import type { DeviceStatus } from '../../passkeys/device-key-service.ts';
import { SoftAuthenticator } from '../../passkeys/soft-authenticator.ts';
import { OTP_DIGITS } from '../steps/general/email-otp.ts';
import type { ClientInput } from '../step-type.ts';
import type { SandboxCeremonies } from './sandbox-ceremonies.ts';
import { SANDBOX_DEVICE_KEY_ID, type SandboxServices } from './sandbox-services.ts';

/** How the software authenticator (or, at other steps, the user) behaves at a waiting step. */
export const PASSKEY_BEHAVIOURS = ['succeeds', 'userCancels', 'timesOut', 'failsUserVerification', 'unknownCredential'] as const;
export type PasskeyBehaviour = (typeof PASSKEY_BEHAVIOURS)[number];
/** Every behaviour a script may name: the passkey ones, and `wrongCode` for an e-mail code. */
export const BEHAVIOURS = [...PASSKEY_BEHAVIOURS, 'wrongCode'] as const;
export type Behaviour = (typeof BEHAVIOURS)[number];

/**
 * A step's answer: a behaviour; form data to submit; or the runtime's own submit body
 * `{clientResponseOptionId, data}` (a custom branch, an e-mail code's `resend`).
 */
export type ScriptAnswer = Behaviour | Record<string, unknown>;

/** What the script's answer becomes: a submit, the step's timeout, or the run stopped because the script cannot be answered. */
export type ClientAction = { kind: 'timeout' } | { kind: 'submit'; input: ClientInput } | { kind: 'stop'; code: string; detail: string };

interface PasskeyStep {
  ceremony: 'registration' | 'authentication';
  /** The WebAuthn options in the step's presented data (undefined: the step offers no passkey, e.g. a Login Form without passkeys). */
  request: (data: Record<string, unknown>) => Record<string, unknown> | undefined;
  /** The submit a client sends with the credential. */
  submit: (data: Record<string, unknown>, formData: Record<string, unknown>, credential: unknown) => ClientInput;
}

const clientRequestOf = (data: Record<string, unknown>) => data.clientRequest as Record<string, unknown> | undefined;

/** Passkey steps the software authenticator answers: which ceremony each runs, where its options are, how the client answers. */
const PASSKEY_STEPS: Record<string, PasskeyStep> = {
  'trustx.passkeyRegistrationForm': {
    ceremony: 'registration',
    request: clientRequestOf,
    submit: (_data, formData, credential) => ({ clientResponseOptionId: 'client_input', data: { formData, browserResponse: credential } }),
  },
  'trustx.passkeyAuthenticationForm': {
    ceremony: 'authentication',
    request: clientRequestOf,
    submit: (_data, formData, credential) => ({ clientResponseOptionId: 'client_input', data: { formData, browserResponse: credential } }),
  },
  'mosaic.registerPasskeys': {
    ceremony: 'registration',
    request: clientRequestOf,
    submit: (_data, _formData, credential) => ({ clientResponseOptionId: 'client_input', data: { webauthn_encoded_result: credential } }),
  },
  // The Login Form's passkeys branch: a discoverable sign-in whose result goes to Passkey Authentication.
  'mosaic.loginForm': {
    ceremony: 'authentication',
    request: (data) => (data.passkeys as { clientRequest?: Record<string, unknown> } | undefined)?.clientRequest,
    submit: (data, _formData, credential) => ({
      clientResponseOptionId: (data.passkeys as { branchId: string }).branchId,
      data: { webauthn_encoded_result: credential },
    }),
  },
};

const EMAIL_CODE_STEP = 'general.emailOtp';
const DEVICE_STATUS_STEP = 'mosaic.knownDeviceStatus';
const DEVICE_STATUSES = ['knownForThisUser', 'knownForAnotherUser', 'unknown'];

/** The behaviours a client-facing step of this type can be given (server-side steps take none). */
export function behavioursFor(type: string): readonly Behaviour[] {
  const passkey = PASSKEY_STEPS[type];
  if (passkey?.ceremony === 'authentication') return PASSKEY_BEHAVIOURS;
  if (passkey) return PASSKEY_BEHAVIOURS.filter((b) => b !== 'unknownCredential');
  if (type === EMAIL_CODE_STEP) return ['succeeds', 'wrongCode', 'userCancels', 'timesOut'];
  return ['succeeds', 'userCancels', 'timesOut'];
}

/** Why an object answer does not fit the step, or undefined when it does. */
export function objectAnswerProblem(type: string, answer: Record<string, unknown>): string | undefined {
  if ('clientResponseOptionId' in answer && typeof answer.clientResponseOptionId !== 'string') return 'clientResponseOptionId must be a string';
  if (type === DEVICE_STATUS_STEP && answer.deviceStatus !== undefined && !DEVICE_STATUSES.includes(answer.deviceStatus as string))
    return `deviceStatus must be one of ${DEVICE_STATUSES.join(', ')}`;
  return undefined;
}

/** The user a dry-run runs as: the software authenticator offers this user's passkey where a sign-in names nobody. */
export interface StartUser {
  tenantId: string;
  storeName: string;
  userId: string;
}

/**
 * The client of a dry-run: what a browser (or app) would send at each waiting step, given the operator's answer.
 * Passkeys come from one software authenticator per run, whose passkeys the sandbox ceremonies registered or enrolled;
 * a device key is made per run for Bind Device; an e-mail code is read from the sandbox's unsent mail.
 */
export class SandboxClient {
  readonly #ceremonies: SandboxCeremonies;
  readonly #services: SandboxServices;
  readonly #authenticator: SoftAuthenticator;
  readonly #startUser: StartUser | undefined;
  #deviceKey: { publicJwk: Record<string, unknown>; privateKey: KeyObject } | undefined;

  constructor(deps: { ceremonies: SandboxCeremonies; services: SandboxServices; authenticator: SoftAuthenticator; startUser?: StartUser | undefined }) {
    this.#ceremonies = deps.ceremonies;
    this.#services = deps.services;
    this.#authenticator = deps.authenticator;
    this.#startUser = deps.startUser;
  }

  async answer(type: string, presented: unknown, answer: ScriptAnswer): Promise<ClientAction> {
    if (answer === 'timesOut') return { kind: 'timeout' };
    if (answer === 'userCancels') return { kind: 'submit', input: { clientResponseOptionId: 'cancel', data: null } };
    if (typeof answer === 'object' && typeof answer.clientResponseOptionId === 'string')
      return { kind: 'submit', input: { clientResponseOptionId: answer.clientResponseOptionId, data: answer.data ?? null } };
    const data = (presented !== null && typeof presented === 'object' ? presented : {}) as Record<string, unknown>;
    const passkey = PASSKEY_STEPS[type];
    if (passkey) return this.#passkey(passkey, data, answer);
    if (type === EMAIL_CODE_STEP && typeof answer === 'string') return this.#emailCode(answer);
    if (type === DEVICE_STATUS_STEP) return this.#deviceStatus(data, answer);
    return { kind: 'submit', input: { clientResponseOptionId: 'client_input', data: typeof answer === 'string' ? {} : answer } };
  }

  async #passkey(step: PasskeyStep, data: Record<string, unknown>, answer: Exclude<ScriptAnswer, 'timesOut' | 'userCancels'>): Promise<ClientAction> {
    const options = step.request(data) as (PublicKeyCredentialCreationOptionsJSON & PublicKeyCredentialRequestOptionsJSON) | undefined;
    if (!options) return { kind: 'stop', code: 'DRY_RUN_INPUT_REFUSED', detail: 'the step offers no passkey (answer it with a custom branch)' };
    const origin = this.#ceremonies.originOf(options.challenge) ?? '';
    const behaviour: Behaviour = typeof answer === 'string' ? answer : 'succeeds';
    const formData = typeof answer === 'string' ? {} : answer;
    if (step.ceremony === 'authentication' && behaviour !== 'unknownCredential') {
      const missing = await this.#offerStartUsersPasskey(options);
      if (missing) return missing;
    }
    let credential: RegistrationResponseJSON | AuthenticationResponseJSON;
    try {
      credential =
        step.ceremony === 'registration'
          ? this.#authenticator.register(options, { origin }, behaviour === 'failsUserVerification' ? { userVerified: false } : {})
          : authenticate(this.#authenticator, options, origin, behaviour);
    } catch {
      // The authenticator refused (one already registered): a browser reports NotAllowedError, which clients send as cancel.
      return { kind: 'submit', input: { clientResponseOptionId: 'cancel', data: null } };
    }
    const input = step.submit(data, formData, credential);
    // Bind Device: the run's device key signs the presented challenge, as the browser's non-extractable key would.
    const binding = data.device_binding as { challenge?: string } | undefined;
    if (typeof binding?.challenge === 'string') (input.data as Record<string, unknown>).device_key = this.#deviceProof(binding.challenge);
    return { kind: 'submit', input };
  }

  /**
   * A sign-in that names no user (the Login Form's discoverable request) is answered with a passkey the run's
   * authenticator holds: one registered earlier in the run, else the start user's (enrolled in the sandbox).
   */
  async #offerStartUsersPasskey(options: PublicKeyCredentialRequestOptionsJSON): Promise<ClientAction | undefined> {
    if ((options.allowCredentials ?? []).length > 0) return undefined;
    const rpId = options.rpId ?? '';
    if (this.#authenticator.credentials().some((c) => c.rpId === rpId)) return undefined;
    if (!this.#startUser)
      return {
        kind: 'stop',
        code: 'DRY_RUN_NO_PASSKEY',
        detail: `the sign-in names no user and the run holds no passkey for ${rpId}: choose a user to run as (startUser)`,
      };
    await this.#ceremonies.enrol(this.#startUser.tenantId, this.#startUser.storeName, this.#startUser.userId, rpId);
    return undefined;
  }

  #emailCode(answer: Behaviour): ClientAction {
    const sent = this.#services.lastCode();
    if (sent === undefined) return { kind: 'stop', code: 'DRY_RUN_INPUT_REFUSED', detail: 'no code was sent in this run' };
    // A wrong code: the sent one with its last digit changed, so it never matches by chance.
    const code = answer === 'wrongCode' ? sent.slice(0, OTP_DIGITS - 1) + String((Number(sent.at(-1)) + 1) % 10) : sent;
    return { kind: 'submit', input: { clientResponseOptionId: 'client_input', data: { code } } };
  }

  /** Known Device Status: `{deviceStatus}` chooses how the sandbox judges the run's device key; unknown sends no key. */
  #deviceStatus(data: Record<string, unknown>, answer: ScriptAnswer): ClientAction {
    const status = typeof answer === 'object' && typeof answer.deviceStatus === 'string' ? answer.deviceStatus : 'unknown';
    if (status === 'unknown') return { kind: 'submit', input: { clientResponseOptionId: 'client_input', data: {} } };
    this.#services.deviceStatus = status as DeviceStatus;
    return {
      kind: 'submit',
      input: { clientResponseOptionId: 'client_input', data: { challenge: data.challenge, device_key_id: SANDBOX_DEVICE_KEY_ID, signature: '' } },
    };
  }

  #deviceProof(challenge: string): { publicKey: Record<string, unknown>; signature: string } {
    if (!this.#deviceKey) {
      const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      this.#deviceKey = { publicJwk: publicKey.export({ format: 'jwk' }) as Record<string, unknown>, privateKey };
    }
    const signature = sign('sha256', Buffer.from(DEVICE_PROOF_PREFIX + challenge, 'utf8'), { key: this.#deviceKey.privateKey, dsaEncoding: 'ieee-p1363' });
    return { publicKey: this.#deviceKey.publicJwk, signature: signature.toString('base64url') };
  }
}

function authenticate(
  authenticator: SoftAuthenticator,
  options: PublicKeyCredentialRequestOptionsJSON,
  origin: string,
  behaviour: Behaviour,
): AuthenticationResponseJSON {
  if (behaviour === 'unknownCredential') {
    // A passkey the server never registered: another authenticator's, for the same relying party.
    const stranger = new SoftAuthenticator();
    const rpId = options.rpId ?? new URL(origin).hostname;
    stranger.register(
      {
        rp: { id: rpId, name: rpId },
        user: { id: 'c3RyYW5nZXI', name: 'stranger', displayName: 'stranger' },
        challenge: options.challenge,
        pubKeyCredParams: [{ type: 'public-key', alg: -7 }],
      },
      { origin },
    );
    return stranger.authenticate({ ...options, allowCredentials: [] }, { origin });
  }
  return authenticator.authenticate(options, { origin }, behaviour === 'failsUserVerification' ? { userVerified: false } : {});
}
