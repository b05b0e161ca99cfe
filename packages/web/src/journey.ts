// The journey client: start a journey, answer each client-facing step, until `success`
// (the user and an ID token) or `rejection` (a problem code). Every answer of the server becomes a
// typed step object that offers only the actions its step accepts and can be answered once; the
// passkey steps run their WebAuthn part in the browser (a NotAllowedError — the user dismissed the
// prompt — is answered as the step's `cancel` option).
import { isAutofillAvailable, isWebAuthnAvailable } from './capabilities.ts';
import { fromWebAuthnError, KeywayCancelledError, KeywayServerError, KeywayUnsupportedError, KeywayWebError } from './errors.ts';
import { requestJSON } from './http.ts';
import { validateJourneyForm, type JourneyFieldError, type JourneyForm } from './journey-forms.ts';
// `@keyway/web/journey` is self-contained: the form types and check, and the errors a caller branches on.
export { isFormInput, validateJourneyForm } from './journey-forms.ts';
export type { JourneyFieldError, JourneyFieldErrorCode, JourneyForm, JourneyFormInput, JourneyFormParagraph } from './journey-forms.ts';
export { KeywayCancelledError, KeywayNetworkError, KeywayNotAllowedError, KeywayServerError, KeywayUnsupportedError, KeywayWebError } from './errors.ts';
import { KeywayPageCeremonyRefusedError, pageCeremonies, pageCeremonyRequest, type PageCeremony } from './page-ceremony.ts';
export { KeywayPageCeremonyRefusedError };
export type { PageCeremony } from './page-ceremony.ts';
import { credentialToJSON, parseCreationOptions, parseRequestOptions, type CredentialJSON } from './webauthn-json.ts';
import { proveDeviceBinding, proveKnownDevice } from './device-key.ts';
export { deviceKeyId, isDeviceBindingAvailable } from './device-key.ts';

export interface JourneyClientOptions {
  /** The tenant's base URL, absolute or relative: `https://id.example.com/acme`. */
  baseUrl: string;
  /** Sent as Accept-Language: the steps localize their texts with it (default: the browser's). */
  locale?: string;
}

interface Ceremony {
  signal?: AbortSignal;
}

/** A step was answered already (or its answer is on the way): each step object is answered once. */
export class KeywayStepAnsweredError extends KeywayWebError {
  static override readonly code = 'ERR_STEP_ANSWERED';
  readonly journeyStepId: string;
  constructor(journeyStepId: string) {
    super('ERR_STEP_ANSWERED', `Step ${journeyStepId} was already answered; continue with the step its answer returned`);
    this.journeyStepId = journeyStepId;
  }
}

/** The values break the form's rules (checked in the browser, nothing was sent). */
export class KeywayFormInvalidError extends KeywayWebError {
  static override readonly code = 'ERR_FORM_INVALID';
  readonly errors: JourneyFieldError[];
  constructor(errors: JourneyFieldError[]) {
    super('ERR_FORM_INVALID', errors.map((e) => e.message).join(' '));
    this.errors = errors;
  }
}

/** One answer of the runtime protocol as the server sends it. */
export interface StepResponse {
  journeyStepId: string;
  data: unknown;
  sessionId: string;
  stepType?: string;
  clientResponseOptions?: string[];
  expiresAt: string;
  /** When the current step times out, if it has a timeout. */
  stepExpiresAt?: string;
}

export interface JourneyUser {
  id: string;
  storeName: string;
  userKey?: string;
  externalId?: string;
  [member: string]: unknown;
}

export interface JourneySuccess {
  kind: 'success';
  journeyStepId: 'success';
  /** The user the journey identified; absent when the starter only named a user. */
  user?: JourneyUser;
  /** ES256 ID token, only when the journey authenticated its user; the application's backend verifies it against the tenant's JWKS. */
  idToken?: string;
  tokenType: string;
  issuer: string;
}

export interface JourneyRejection {
  kind: 'rejection';
  journeyStepId: 'rejection';
  /** The problem code, e.g. `USER_CANCELLED` or `JOURNEY_STEP_TIMEOUT`. */
  code: string;
  stepId?: string;
  detail?: string;
}

interface StepBase {
  journeyStepId: string;
  stepType: string;
  sessionId: string;
  expiresAt: string;
  /** When the step times out, if it has a timeout: the server then takes its timeout branch by itself (`resumeJourney` shows where it went). */
  stepExpiresAt?: string;
  /** The response options the step accepts. */
  options: readonly string[];
  /** Answered (or being answered): every action now throws KeywayStepAnsweredError. */
  readonly answered: boolean;
}

/** TrustX Custom Data Form. */
export interface FormStep extends StepBase {
  kind: 'form';
  form: JourneyForm | null;
  hideButtons: boolean;
  delaySeconds: number;
  /** The server's rules, checked here: the errors the server would answer (empty when valid). */
  validate(values: Readonly<Record<string, unknown>>): JourneyFieldError[];
  /** Checks and submits `client_input`; KeywayFormInvalidError (nothing sent) when the rules refuse. */
  submit(values: Readonly<Record<string, string>>, options?: Ceremony): Promise<JourneyStep>;
  cancel(options?: Ceremony): Promise<JourneyStep>;
}

interface PasskeyFormBase extends StepBase {
  form: JourneyForm | null;
  hideButtons: boolean;
  delaySeconds: number;
  validate(values: Readonly<Record<string, unknown>>): JourneyFieldError[];
  /** Submits `cancel` (Complete Passkey Registration/Authentication then takes `User cancelled`). */
  cancel(options?: Ceremony): Promise<JourneyStep>;
}

/** TrustX Passkey Registration Form: the form plus the started registration. */
export interface PasskeyRegistrationFormStep extends PasskeyFormBase {
  kind: 'passkeyRegistrationForm';
  passkeyRegistrationKey: string;
  clientRequest: PublicKeyCredentialCreationOptionsJSON;
  /** Checks the form, runs navigator.credentials.create and submits; NotAllowedError → `cancel`. */
  register(options?: { formData?: Readonly<Record<string, string>> } & Ceremony): Promise<JourneyStep>;
}

/** TrustX Passkey Authentication Form: the form plus the started authentication. */
export interface PasskeyAuthenticationFormStep extends PasskeyFormBase {
  kind: 'passkeyAuthenticationForm';
  passkeyAuthenticationKey: string;
  clientRequest: PublicKeyCredentialRequestOptionsJSON;
  /** Checks the form, runs navigator.credentials.get and submits; NotAllowedError → `cancel`. */
  authenticate(options?: { formData?: Readonly<Record<string, string>> } & Ceremony): Promise<JourneyStep>;
}

/** Mosaic Register Passkeys. */
export interface RegisterPasskeysStep extends StepBase {
  kind: 'registerPasskeys';
  username: string;
  displayName: string;
  allowCrossPlatformAuthenticators: boolean;
  registerAsDiscoverable: boolean;
  clientRequest: PublicKeyCredentialCreationOptionsJSON;
  /** The custom branches the step offers (besides client_input, cancel, fail). */
  branches: readonly string[];
  /**
   * With Bind Device: the challenge this browser's device key signs, and the key's scope ("<tenant>/<store>"); null
   * when the step does not bind the device.
   */
  deviceBinding: { challenge: string; scope: string } | null;
  /**
   * Runs navigator.credentials.create and submits `{webauthn_encoded_result}` (with Bind Device also
   * `device_key`: the public key of this browser's non-extractable key and its signature over the challenge);
   * NotAllowedError → `cancel`.
   */
  register(options?: Ceremony): Promise<JourneyStep>;
  cancel(options?: Ceremony): Promise<JourneyStep>;
  fail(options?: Ceremony): Promise<JourneyStep>;
  branch(id: string, data?: unknown, options?: Ceremony): Promise<JourneyStep>;
}

/** Mosaic Login Form. */
export interface LoginFormStep extends StepBase {
  kind: 'loginForm';
  /** The passkeys method, when the form offers it; `autofill`: the journey also offers it in the username field's autofill. */
  passkeys: { branchId: string; clientRequest: PublicKeyCredentialRequestOptionsJSON; autofill: boolean } | null;
  branches: readonly { id: string; displayName?: string }[];
  /** Why the journey came back to this form: the code of the passkey it refused last (e.g. CREDENTIAL_NOT_FOUND), else null. */
  previousError: { code: string } | null;
  /**
   * Runs a discoverable navigator.credentials.get and submits the passkeys branch with
   * `{webauthn_encoded_result}`. A NotAllowedError is thrown (KeywayNotAllowedError) and the step
   * stays open: dismissing the passkey prompt is not leaving the login form (`cancel()` is).
   */
  signInWithPasskey(options?: Ceremony): Promise<JourneyStep>;
  /**
   * Passkey autofill (`passkeys.autofill`): a conditional navigator.credentials.get on the step's request, for a
   * page with `<input autocomplete="username webauthn">`. Waits without claiming the step; when the user picks a
   * passkey it submits the passkeys branch as `signInWithPasskey()` does. Every other action of the step first
   * aborts it (one WebAuthn request at a time), and it then rejects with KeywayCancelledError, as it does when
   * `signal` aborts. KeywayUnsupportedError when the browser has no conditional mediation (show the plain form).
   */
  autofill(options?: Ceremony): Promise<JourneyStep>;
  branch(id: string, data?: unknown, options?: Ceremony): Promise<JourneyStep>;
  cancel(options?: Ceremony): Promise<JourneyStep>;
}

/** Mosaic Known Device Status: proves (or not) that this browser is a bound device. */
export interface KnownDeviceStatusStep extends StepBase {
  kind: 'knownDeviceStatus';
  challenge: string;
  /** The store whose device key counts ("<tenant>/<store>"). */
  scope: string;
  /**
   * Signs the challenge with this browser's device key for the scope and submits `{challenge, device_key_id,
   * signature}`, or `{}` when the browser keeps no key (the journey then takes `unknown`). Never makes a key.
   */
  prove(options?: Ceremony): Promise<JourneyStep>;
}

/** TrustX Custom Page V2: an admin page shown in a sandboxed iframe. */
export interface CustomPageStep extends StepBase {
  kind: 'customPage';
  page: { url: string; name: string; version: number; expiresAt?: string };
  sessionData: Record<string, unknown>;
  constants: Record<string, unknown>;
  /** The passkey ceremonies the journey started (Start Passkey Registration / Authentication): the only ones the page may run. */
  ceremonies: readonly PageCeremony[];
  /**
   * Serves the page's postMessage bridge for `iframe` (which must show `page.url`, sandboxed
   * `allow-scripts allow-forms`): runs the WebAuthn request of one of `ceremonies` when the page asks for it (by its
   * options, or with none when the step has one of the kind), refuses any other (the page gets a `SecurityError` with
   * code `ERR_PAGE_CEREMONY_REFUSED`, and nothing runs), and submits its answer or cancel. Resolves with the next step.
   */
  attach(iframe: HTMLIFrameElement, options?: Ceremony): Promise<JourneyStep>;
  submit(data: Readonly<Record<string, unknown>>, options?: Ceremony): Promise<JourneyStep>;
  cancel(options?: Ceremony): Promise<JourneyStep>;
}

/** A step type this client has no helpers for: answer it with one of its options. */
export interface OtherStep extends StepBase {
  kind: 'other';
  data: unknown;
  respond(clientResponseOptionId: string, data?: unknown, options?: Ceremony): Promise<JourneyStep>;
}

export type ClientStep =
  | FormStep
  | PasskeyRegistrationFormStep
  | PasskeyAuthenticationFormStep
  | RegisterPasskeysStep
  | LoginFormStep
  | KnownDeviceStatusStep
  | CustomPageStep
  | OtherStep;
export type JourneyStep = ClientStep | JourneySuccess | JourneyRejection;

// ── HTTP ──

function base(options: JourneyClientOptions): string {
  if (typeof options?.baseUrl !== 'string' || options.baseUrl === '') throw new TypeError('Keyway journeys: options.baseUrl is required');
  return options.baseUrl.replace(/\/+$/, '');
}

function call(options: JourneyClientOptions, method: string, path: string, body: unknown, signal: AbortSignal | undefined): Promise<StepResponse> {
  return requestJSON<StepResponse>(method, `${base(options)}${path}`, body, signal, {
    credentials: 'same-origin',
    ...(options.locale ? { headers: { 'accept-language': options.locale } } : {}),
  });
}

/** Starts journey `journeyId` (a public one, from the browser). */
export async function startJourney(
  options: JourneyClientOptions & { journeyId: string; variables?: Record<string, unknown>; organization?: string } & Ceremony,
): Promise<JourneyStep> {
  // `organization`: the id of the organization the sign-in is for (the server checks membership when the journey ends).
  const body = {
    ...(options.variables ? { variables: options.variables } : {}),
    ...(options.organization ? { organization: options.organization } : {}),
  };
  return toStep(options, await call(options, 'POST', `/journeys/${encodeURIComponent(options.journeyId)}/start`, body, options.signal));
}

/** The current step of a session again: after a reload, or for a journey an API client started (its sessionId). */
export async function resumeJourney(options: JourneyClientOptions & { sessionId: string } & Ceremony): Promise<JourneyStep> {
  return toStep(options, await call(options, 'GET', `/journeys/sessions/${encodeURIComponent(options.sessionId)}`, undefined, options.signal));
}

/** The protocol's submit as is: answers the step of `sessionId` with one of its options. Step objects call it for you. */
export async function submitClientResponse(
  options: JourneyClientOptions & { sessionId: string; journeyStepId?: string; clientResponseOptionId: string; data?: unknown } & Ceremony,
): Promise<JourneyStep> {
  const body = {
    clientResponseOptionId: options.clientResponseOptionId,
    data: options.data ?? null,
    ...(options.journeyStepId ? { journeyStepId: options.journeyStepId } : {}),
  };
  return toStep(options, await call(options, 'POST', `/journeys/sessions/${encodeURIComponent(options.sessionId)}/submit`, body, options.signal));
}

// ── WebAuthn ──

const isNotAllowed = (error: unknown) => (error as { name?: unknown } | null)?.name === 'NotAllowedError';
const CANCELLED = Symbol('cancelled');

function requireWebAuthn(): void {
  if (!isWebAuthnAvailable()) throw new KeywayUnsupportedError('This browser cannot use passkeys here (WebAuthn needs a secure context)');
}

/** Runs the ceremony; the user's NotAllowedError becomes CANCELLED, other failures typed errors. */
async function webauthn(
  kind: 'create' | 'get',
  json: unknown,
  signal: AbortSignal | undefined,
  mediation?: 'conditional',
): Promise<CredentialJSON | typeof CANCELLED> {
  requireWebAuthn();
  if (signal?.aborted) throw new KeywayCancelledError(undefined, { cause: signal.reason });
  try {
    const credential =
      kind === 'create'
        ? await navigator.credentials.create({ publicKey: parseCreationOptions(json as PublicKeyCredentialCreationOptionsJSON), ...(signal ? { signal } : {}) })
        : await navigator.credentials.get({
            publicKey: parseRequestOptions(json as PublicKeyCredentialRequestOptionsJSON),
            ...(signal ? { signal } : {}),
            ...(mediation ? { mediation } : {}),
          });
    if (!credential) throw new KeywayCancelledError('The browser returned no credential');
    return credentialToJSON(credential as PublicKeyCredential);
  } catch (error) {
    if (signal?.aborted) throw new KeywayCancelledError(undefined, { cause: error });
    if (isNotAllowed(error)) return CANCELLED;
    throw fromWebAuthnError(error);
  }
}

/**
 * The Login Form's waiting conditional request. Browsers run one WebAuthn request at a time, so any other answer
 * of the step aborts it and waits until it has settled before prompting or sending.
 */
class WaitingAutofill {
  #waiting: { controller: AbortController; settled: Promise<unknown> } | undefined;

  /**
   * Starts the conditional request once any earlier one has settled. `assertOpen` runs in the same task as the
   * request starts: another answer of the step may have claimed it during the waits before, and a request started
   * after that claim would run beside the button's prompt (which `stop` could no longer reach).
   */
  async wait(
    request: PublicKeyCredentialRequestOptionsJSON,
    signal: AbortSignal | undefined,
    assertOpen: () => void,
  ): Promise<CredentialJSON | typeof CANCELLED> {
    while (this.#waiting) await this.stop();
    assertOpen();
    const controller = new AbortController();
    const forward = () => controller.abort(signal?.reason);
    if (signal?.aborted) forward();
    signal?.addEventListener('abort', forward, { once: true });
    const attempt = webauthn('get', request, controller.signal, 'conditional');
    const mine = { controller, settled: attempt.catch(() => undefined) };
    this.#waiting = mine;
    try {
      return await attempt;
    } finally {
      signal?.removeEventListener('abort', forward);
      if (this.#waiting === mine) this.#waiting = undefined;
    }
  }

  async stop(): Promise<void> {
    const waiting = this.#waiting;
    if (!waiting) return;
    waiting.controller.abort(new DOMException('Another answer of the step replaced passkey autofill', 'AbortError'));
    await waiting.settled;
  }
}

// ── step objects ──

const record = (value: unknown): Record<string, unknown> =>
  value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};

/** The one-answer rule: a step is open until an answer is sent; a refused or failed answer (not a 409) reopens it. */
class Answer {
  #state: 'open' | 'sending' | 'answered' = 'open';
  readonly #options: JourneyClientOptions;
  readonly #response: StepResponse;

  constructor(options: JourneyClientOptions, response: StepResponse) {
    this.#options = { baseUrl: options.baseUrl, ...(options.locale ? { locale: options.locale } : {}) };
    this.#response = response;
  }

  get answered(): boolean {
    return this.#state !== 'open';
  }

  /** Throws KeywayStepAnsweredError unless the step is open. */
  assertOpen(): void {
    if (this.#state !== 'open') throw new KeywayStepAnsweredError(this.#response.journeyStepId);
  }

  /** Claims the step for an answer (before any WebAuthn prompt, so two clicks cannot both prompt). */
  claim(): void {
    this.assertOpen();
    this.#state = 'sending';
  }

  release(): void {
    if (this.#state === 'sending') this.#state = 'open';
  }

  offered(option: string): void {
    if (!(this.#response.clientResponseOptions ?? []).includes(option)) {
      this.release();
      throw new TypeError(
        `Step ${this.#response.journeyStepId} does not accept ${JSON.stringify(option)}; it accepts ${JSON.stringify(this.#response.clientResponseOptions ?? [])}`,
      );
    }
  }

  /** Sends an answer for a claimed step. */
  async send(option: string, data: unknown, signal: AbortSignal | undefined): Promise<JourneyStep> {
    this.offered(option);
    try {
      const next = await submitClientResponse({
        ...this.#options,
        sessionId: this.#response.sessionId,
        journeyStepId: this.#response.journeyStepId,
        clientResponseOptionId: option,
        data,
        ...(signal ? { signal } : {}),
      });
      this.#state = 'answered';
      return next;
    } catch (error) {
      // 409: the session moved on (answered elsewhere, or by a request whose answer was lost): never reopen.
      if (error instanceof KeywayServerError && error.status === 409) this.#state = 'answered';
      else this.release();
      throw error;
    }
  }

  /** Claims and sends in one go. */
  async answer(option: string, data: unknown, signal: AbortSignal | undefined): Promise<JourneyStep> {
    this.claim();
    return this.send(option, data, signal);
  }

  /** Claims, runs `prepare` (e.g. a WebAuthn ceremony), sends what it returns; a throw reopens the step. */
  async answerAfter(prepare: () => Promise<{ option: string; data: unknown }>, signal: AbortSignal | undefined): Promise<JourneyStep> {
    this.claim();
    let answer: { option: string; data: unknown };
    try {
      answer = await prepare();
    } catch (error) {
      this.release();
      throw error;
    }
    return this.send(answer.option, answer.data, signal);
  }
}

function formChecker(form: JourneyForm | null) {
  return (values: Readonly<Record<string, unknown>>) => (form ? validateJourneyForm(form, values) : []);
}

function checked(form: JourneyForm | null, values: Readonly<Record<string, string>>): void {
  const errors = form ? validateJourneyForm(form, values) : [];
  if (errors.length > 0) throw new KeywayFormInvalidError(errors);
}

/** Turns an answer of the server into its step object. */
export function toStep(options: JourneyClientOptions, response: StepResponse): JourneyStep {
  if (response.journeyStepId === 'success') {
    const data = record(response.data);
    return {
      kind: 'success',
      journeyStepId: 'success',
      ...(data.user ? { user: data.user as JourneyUser } : {}),
      ...(typeof data.idToken === 'string' ? { idToken: data.idToken } : {}),
      tokenType: String(data.tokenType ?? 'id_token'),
      issuer: String(data.issuer ?? ''),
    };
  }
  if (response.journeyStepId === 'rejection') {
    const data = record(response.data);
    return {
      kind: 'rejection',
      journeyStepId: 'rejection',
      code: typeof data.code === 'string' ? data.code : 'JOURNEY_REJECTED',
      ...(typeof data.stepId === 'string' ? { stepId: data.stepId } : {}),
      ...(typeof data.detail === 'string' ? { detail: data.detail } : {}),
    };
  }
  const answer = new Answer(options, response);
  const step = clientStep(response, answer);
  Object.defineProperty(step, 'answered', { get: () => answer.answered, enumerable: true });
  return step;
}

function clientStep(response: StepResponse, answer: Answer): ClientStep {
  const data = record(response.data);
  const common = {
    journeyStepId: response.journeyStepId,
    stepType: response.stepType ?? '',
    sessionId: response.sessionId,
    expiresAt: response.expiresAt,
    ...(response.stepExpiresAt === undefined ? {} : { stepExpiresAt: response.stepExpiresAt }),
    options: Object.freeze([...(response.clientResponseOptions ?? [])]),
    // Replaced by a live getter below (a getter here would be copied as a value by the spreads).
    answered: false,
  };
  const form = (data.form ?? null) as JourneyForm | null;
  const display = {
    form,
    hideButtons: data.hideButtons === true,
    delaySeconds: typeof data.delaySeconds === 'number' ? data.delaySeconds : 0,
    validate: formChecker(form),
  };
  const cancel = (o: Ceremony = {}) => answer.answer('cancel', null, o.signal);

  switch (response.stepType) {
    case 'trustx.customDataForm':
      return {
        ...common,
        ...display,
        kind: 'form',
        submit: async (values, o = {}) => {
          answer.claim();
          try {
            checked(form, values);
          } catch (error) {
            answer.release();
            throw error;
          }
          return answer.send('client_input', { ...values }, o.signal);
        },
        cancel,
      } satisfies FormStep;
    case 'trustx.passkeyRegistrationForm':
      return {
        ...common,
        ...display,
        kind: 'passkeyRegistrationForm',
        passkeyRegistrationKey: String(data.passkeyRegistrationKey ?? ''),
        clientRequest: data.clientRequest as PublicKeyCredentialCreationOptionsJSON,
        register: ({ formData = {}, signal } = {}) =>
          answer.answerAfter(async () => {
            checked(form, formData);
            const credential = await webauthn('create', data.clientRequest, signal);
            return credential === CANCELLED
              ? { option: 'cancel', data: null }
              : { option: 'client_input', data: { formData: { ...formData }, browserResponse: credential } };
          }, signal),
        cancel,
      } satisfies PasskeyRegistrationFormStep;
    case 'trustx.passkeyAuthenticationForm':
      return {
        ...common,
        ...display,
        kind: 'passkeyAuthenticationForm',
        passkeyAuthenticationKey: String(data.passkeyAuthenticationKey ?? ''),
        clientRequest: data.clientRequest as PublicKeyCredentialRequestOptionsJSON,
        authenticate: ({ formData = {}, signal } = {}) =>
          answer.answerAfter(async () => {
            checked(form, formData);
            const credential = await webauthn('get', data.clientRequest, signal);
            return credential === CANCELLED
              ? { option: 'cancel', data: null }
              : { option: 'client_input', data: { formData: { ...formData }, browserResponse: credential } };
          }, signal),
        cancel,
      } satisfies PasskeyAuthenticationFormStep;
    case 'mosaic.registerPasskeys': {
      const binding = record(data.device_binding);
      const deviceBinding =
        typeof binding.challenge === 'string' && typeof binding.scope === 'string' ? { challenge: binding.challenge, scope: binding.scope } : null;
      return {
        ...common,
        kind: 'registerPasskeys',
        username: String(data.username ?? ''),
        displayName: String(data.display_name ?? ''),
        allowCrossPlatformAuthenticators: data.allow_cross_platform_authenticators !== false,
        registerAsDiscoverable: data.register_as_discoverable !== false,
        clientRequest: data.clientRequest as PublicKeyCredentialCreationOptionsJSON,
        deviceBinding,
        branches: Object.freeze(common.options.filter((o) => !['client_input', 'cancel', 'fail'].includes(o))),
        register: ({ signal } = {}) =>
          answer.answerAfter(async () => {
            const credential = await webauthn('create', data.clientRequest, signal);
            if (credential === CANCELLED) return { option: 'cancel', data: null };
            const device_key = deviceBinding ? await proveDeviceBinding(deviceBinding.scope, deviceBinding.challenge) : undefined;
            return { option: 'client_input', data: { webauthn_encoded_result: credential, ...(device_key ? { device_key } : {}) } };
          }, signal),
        cancel,
        fail: (o = {}) => answer.answer('fail', null, o.signal),
        branch: (id, branchData, o = {}) => answer.answer(id, branchData ?? {}, o.signal),
      } satisfies RegisterPasskeysStep;
    }
    case 'mosaic.knownDeviceStatus': {
      const challenge = String(data.challenge ?? '');
      const scope = String(data.scope ?? '');
      return {
        ...common,
        kind: 'knownDeviceStatus',
        challenge,
        scope,
        prove: ({ signal } = {}) =>
          answer.answerAfter(async () => ({ option: 'client_input', data: (await proveKnownDevice(scope, challenge)) ?? {} }), signal),
      } satisfies KnownDeviceStatusStep;
    }
    case 'mosaic.loginForm': {
      const passkeys = record(data.passkeys);
      const offered =
        typeof passkeys.branchId === 'string'
          ? {
              branchId: passkeys.branchId,
              clientRequest: passkeys.clientRequest as PublicKeyCredentialRequestOptionsJSON,
              autofill: passkeys.autofill === true,
            }
          : null;
      const autofill = new WaitingAutofill();
      /** Claims the step, stops a waiting autofill request, then prepares the answer. */
      const answerAfterAutofill = (prepare: () => Promise<{ option: string; data: unknown }>, signal: AbortSignal | undefined) =>
        answer.answerAfter(async () => {
          await autofill.stop();
          return prepare();
        }, signal);
      return {
        ...common,
        kind: 'loginForm',
        passkeys: offered,
        branches: Object.freeze(Array.isArray(data.branches) ? (data.branches as { id: string; displayName?: string }[]) : []),
        previousError: typeof record(data.previousError).code === 'string' ? { code: record(data.previousError).code as string } : null,
        signInWithPasskey: ({ signal } = {}) =>
          answerAfterAutofill(async () => {
            if (!offered) throw new TypeError(`Step ${response.journeyStepId} offers no passkey sign-in`);
            const credential = await webauthn('get', offered.clientRequest, signal);
            if (credential === CANCELLED) throw fromWebAuthnError(new DOMException('The passkey prompt was dismissed', 'NotAllowedError'));
            return { option: offered.branchId, data: { webauthn_encoded_result: credential } };
          }, signal),
        autofill: async ({ signal } = {}) => {
          if (!offered?.autofill) throw new TypeError(`Step ${response.journeyStepId} offers no passkey autofill`);
          answer.assertOpen();
          if (!(await isAutofillAvailable())) throw new KeywayUnsupportedError('Passkey autofill is not available in this browser');
          const credential = await autofill.wait(offered.clientRequest, signal, () => answer.assertOpen());
          if (credential === CANCELLED) throw fromWebAuthnError(new DOMException('The passkey was not used', 'NotAllowedError'));
          // The step is claimed only now: while autofill waited, the button, a branch or cancel could answer it instead.
          return answer.answer(offered.branchId, { webauthn_encoded_result: credential }, signal);
        },
        branch: (id, branchData, o = {}) => answerAfterAutofill(async () => ({ option: id, data: branchData ?? {} }), o.signal),
        cancel: (o = {}) => answerAfterAutofill(async () => ({ option: 'cancel', data: null }), o.signal),
      } satisfies LoginFormStep;
    }
    case 'trustx.customPageV2': {
      const step: CustomPageStep = {
        ...common,
        kind: 'customPage',
        page: data.page as CustomPageStep['page'],
        sessionData: record(data.sessionData),
        constants: record(data.constants),
        ceremonies: Object.freeze(pageCeremonies(data.ceremonies)),
        attach: (iframe, o = {}) => bridge(step, iframe, o.signal),
        submit: (pageData, o = {}) => answer.answer('client_input', pageData, o.signal),
        cancel,
      };
      return step;
    }
    default:
      return {
        ...common,
        kind: 'other',
        data: response.data,
        respond: (option, value, o = {}) => answer.answer(option, value ?? null, o.signal),
      } satisfies OtherStep;
  }
}

/**
 * The runner side of the custom page bridge (journeys/pages/page-document.ts is the page side):
 * only messages from this iframe's window with `keyway: 1` count. The page is sandboxed (opaque
 * origin), so replies go to '*'; the page accepts messages from its parent only.
 */
function bridge(step: CustomPageStep, iframe: HTMLIFrameElement, signal: AbortSignal | undefined): Promise<JourneyStep> {
  return new Promise((resolve, reject) => {
    const reply = (message: Record<string, unknown>) => iframe.contentWindow?.postMessage({ keyway: 1, ...message }, '*');
    const stop = () => {
      window.removeEventListener('message', onMessage);
      signal?.removeEventListener('abort', onAbort);
    };
    const onAbort = () => {
      stop();
      reject(new KeywayCancelledError(undefined, { cause: signal?.reason }));
    };
    const settle = (next: Promise<JourneyStep>) => {
      stop();
      next.then(resolve, reject);
    };
    const onMessage = (event: MessageEvent) => {
      if (event.source !== iframe.contentWindow || event.source === null) return;
      const message = record(event.data);
      if (message.keyway !== 1) return;
      switch (message.type) {
        case 'keyway:submit':
          if (!step.answered) settle(step.submit(record(message.data), signal ? { signal } : {}));
          break;
        case 'keyway:cancel':
          if (!step.answered) settle(step.cancel(signal ? { signal } : {}));
          break;
        case 'keyway:webauthn:create':
        case 'keyway:webauthn:get': {
          const id = message.id;
          const kind = message.type === 'keyway:webauthn:create' ? 'create' : 'get';
          // The page names a ceremony; what runs is the server's request for it (page-ceremony.ts says why), never the
          // page's options, and without a mediation: no conditional (autofill) request waits on the page's behalf.
          let request: PublicKeyCredentialCreationOptionsJSON | PublicKeyCredentialRequestOptionsJSON;
          try {
            request = pageCeremonyRequest(step.ceremonies, kind, message.options);
          } catch (error) {
            if (!(error instanceof KeywayPageCeremonyRefusedError)) throw error;
            reply({ type: 'keyway:webauthn:error', id, name: 'SecurityError', code: error.code, message: error.message });
            break;
          }
          // The user's dismissal is reported to the page as NotAllowedError, which then decides.
          webauthn(kind, request, signal).then(
            (credential) =>
              credential === CANCELLED
                ? reply({ type: 'keyway:webauthn:error', id, name: 'NotAllowedError', message: 'The passkey prompt was dismissed' })
                : reply({ type: 'keyway:webauthn:result', id, credential }),
            (error: unknown) => {
              const cause = (error as { cause?: { name?: string; message?: string } }).cause;
              reply({
                type: 'keyway:webauthn:error',
                id,
                name: cause?.name ?? (error as Error).name ?? 'Error',
                message: cause?.message ?? (error as Error).message ?? '',
              });
            },
          );
          break;
        }
      }
    };
    window.addEventListener('message', onMessage);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
