// The self-service client: one instance per store (`/{tenantId}/identity/{storeName}`), the same API
// the hosted pages use. Ceremonies: begin/options on the server, the browser's
// WebAuthn call, finish on the server.
import { isAutofillAvailable, isWebAuthnAvailable } from './capabilities.ts';
import { fromWebAuthnError, KeywayCancelledError, KeywayNotAllowedError, KeywayServerError, KeywayUnsupportedError } from './errors.ts';
import { requestJSON } from './http.ts';
import { signalAllAcceptedCredentials, signalCurrentUserDetails, signalUnknownCredential } from './signals.ts';
import { credentialToJSON, parseCreationOptions, parseRequestOptions } from './webauthn-json.ts';
import { solveSignUpChallenge, type SignUpChallenge } from './sign-up-challenge.ts';

export interface KeywayOptions {
  /** The store's self-service base URL, absolute or relative: `https://id.example.com/acme/identity/customers`. */
  baseUrl: string;
}

/** A user as the self-service API answers it (the members the SDK reads; the server may send more). */
export interface KeywayUser {
  id: string;
  userKey: string;
  displayName?: string | null;
  [member: string]: unknown;
}

export interface RegistrationResult {
  user: KeywayUser;
  credential: Record<string, unknown>;
}

export interface SignInResult {
  user: KeywayUser;
  credential: Record<string, unknown>;
  /** The ES256 ID token (the application's backend verifies it against the tenant's JWKS). */
  idToken: string;
}

export interface CurrentSession {
  user: KeywayUser;
  session: { createdAt: string; expiresAt: string; authenticatedAt: string };
}

export interface Passkey {
  id: string;
  name: string | null;
  authenticatorName: string | null;
  /** A `data:` URI from the authenticator metadata, or null. */
  authenticatorIcon: string | null;
  /** Backed up (synced passkey) rather than bound to one device. */
  synced: boolean;
  backupEligible: boolean;
  transports: string[];
  createdAt: string;
  lastUsedAt: string | null;
  /** The passkey this session signed in with. */
  current: boolean;
  /** Where it was created ("Chrome on Android"), when the registering browser said. */
  device: string | null;
}

export interface PasskeyList {
  items: Passkey[];
  rpId: string;
  /** The WebAuthn user handle, base64url (for the Signal API). */
  userId: string;
  allCredentialIds: string[];
}

/** A browser bound to the user at passkey registration (device binding). */
export interface BoundDevice {
  id: string;
  /** RFC 7638 thumbprint of the device key: the value in the ID token's `device_keys` */
  keyId: string;
  credentialId: string | null;
  createdAt: string;
  lastSeenAt: string | null;
  revokedAt: string | null;
}

export interface BoundDeviceList {
  items: BoundDevice[];
  nextCursor: string | null;
}

export interface RecoveryDetails {
  user: { userKey: string; displayName?: string | null };
}

/** What an e-mail verification link is about (`emailVerificationDetails`). */
export interface EmailVerificationDetails {
  /** The address the link was sent to (still the account's) */
  email: string;
  /** The account's identifier */
  userKey: string;
  /** When the account was created (ISO 8601) */
  createdAt: string;
  /** Verified already: then only `verifyEmail` is left (`disownEmail` refuses) */
  emailVerified: boolean;
  /** The account's identifier is this address: `disownEmail` deletes the account (else it removes the address from it) */
  userKeyIsEmail: boolean;
}

/** What `disownEmail` did: deleted the account named after the address, or removed the address from an account named otherwise. */
export interface DisownedEmail {
  email: string;
  outcome: 'accountDeleted' | 'emailRemoved';
}

interface CeremonyOptions {
  signal?: AbortSignal;
}

// WebAuthn allows one outstanding request per page; a pending autofill request is shared by every client. It stays
// pending through its finish: once the user has picked a passkey the sign-in cannot be aborted, only waited for.
let pendingAutofill: { controller: AbortController; signingIn: Promise<SignInResult> } | undefined;
const REFRESH = Symbol('refresh');
/** Re-arm a waiting autofill request this long before its challenge expires. */
const REFRESH_MARGIN_MS = 5_000;

/**
 * Stops a waiting autofill request. When the user already picked a passkey from the suggestions, its sign-in is
 * finishing and goes on: this waits for it and answers it (undefined when there was none or it failed).
 */
async function cancelAutofill(): Promise<SignInResult | undefined> {
  const pending = pendingAutofill;
  if (!pending) return undefined;
  pending.controller.abort(new DOMException('A modal passkey request replaced autofill', 'AbortError'));
  return pending.signingIn.catch(() => undefined);
}

/** Modal ceremonies under way, counted from their first step (before any await). */
let modalCeremonies = 0;

/**
 * Runs a modal ceremony (sign-up, sign-in, recovery, adding a passkey): stops a waiting autofill request first, and
 * while the ceremony runs autofill does not start. An autofill call still in its first awaits when the ceremony
 * began would otherwise start its conditional request beside the modal one, out of `cancelAutofill`'s reach.
 * `run` is given the sign-in of an autofill request the user had already picked, if any.
 */
async function modalCeremony<T>(run: (autofillSignIn: SignInResult | undefined) => Promise<T>): Promise<T> {
  modalCeremonies++;
  try {
    return await run(await cancelAutofill());
  } finally {
    modalCeremonies--;
  }
}

function requireWebAuthn(): void {
  if (!isWebAuthnAvailable()) throw new KeywayUnsupportedError('This browser cannot use passkeys here (WebAuthn needs a secure context)');
}

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new KeywayCancelledError(undefined, { cause: signal.reason });
}

/** The name a passkey provider should show for the account. */
export function displayNameOf(user: KeywayUser): string {
  const attributes = user.attributes as Record<string, unknown> | undefined;
  for (const candidate of [user.displayName, attributes?.displayName]) if (typeof candidate === 'string' && candidate !== '') return candidate;
  return user.userKey;
}

export class Keyway {
  readonly baseUrl: string;

  constructor(options: KeywayOptions) {
    if (typeof options?.baseUrl !== 'string' || options.baseUrl === '') throw new TypeError('Keyway: options.baseUrl is required');
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
  }

  #url(path: string): string {
    return `${this.baseUrl}${path}`;
  }

  /** Sign-up: creates the user `identifier` with a new passkey and signs them in. */
  async register({ identifier, displayName, signal }: { identifier: string; displayName?: string } & CeremonyOptions): Promise<RegistrationResult> {
    requireWebAuthn();
    return modalCeremony(async () => {
      const body: Record<string, string> = displayName ? { identifier, displayName } : { identifier };
      const begin = () => requestJSON<{ publicKey: PublicKeyCredentialCreationOptionsJSON }>('POST', this.#url('/register/webauthn/begin'), body, signal);
      let started: { publicKey: PublicKeyCredentialCreationOptionsJSON };
      try {
        started = await begin();
      } catch (error) {
        // The store asks for a solved sign-up challenge (its self-hosted CAPTCHA): solve one, then begin again.
        if (!(error instanceof KeywayServerError && error.problem.code === 'SIGN_UP_CHALLENGE_REQUIRED')) throw error;
        const challenge = await requestJSON<SignUpChallenge>('POST', this.#url('/register/challenge'), undefined, signal);
        body.challenge = await solveSignUpChallenge(challenge, signal);
        started = await begin();
      }
      const { publicKey } = started;
      const credential = await this.#create(publicKey, signal);
      return requestJSON<RegistrationResult>('POST', this.#url('/register/webauthn/finish'), credentialToJSON(credential));
    });
  }

  /**
   * Modal sign-in. With `identifier`: its passkeys (identifier-first). Without: any passkey of this
   * site the user picks (usernameless, discoverable credentials).
   */
  async signIn({ identifier, signal }: { identifier?: string } & CeremonyOptions = {}): Promise<SignInResult> {
    requireWebAuthn();
    return modalCeremony(async (autofillSignIn) => {
      // The user signed in through autofill meanwhile: that is this sign-in. A second one would end the first's session
      // (the server rotates it) while the page may already be leaving with the first's cookie, signed out.
      if (autofillSignIn) return autofillSignIn;
      const body = identifier === undefined || identifier === '' ? {} : { identifier };
      const { publicKey } = await requestJSON<{ publicKey: PublicKeyCredentialRequestOptionsJSON }>('POST', this.#url('/login/webauthn/options'), body, signal);
      const credential = await this.#get(publicKey, signal, undefined);
      return this.#finishSignIn(credential, publicKey.rpId);
    });
  }

  /**
   * Passkey autofill (conditional mediation): the browser offers passkeys in the username field's
   * suggestions (`autocomplete="username webauthn"`). Resolves when the user picks one; rejects with
   * KeywayUnsupportedError where the browser cannot, KeywayCancelledError when aborted or replaced
   * by a modal request. The request is re-armed before its challenge expires.
   */
  async autofill({ signal }: CeremonyOptions = {}): Promise<SignInResult> {
    if (!(await isAutofillAvailable())) throw new KeywayUnsupportedError('Passkey autofill is not available in this browser');
    await cancelAutofill();
    for (;;) {
      throwIfAborted(signal);
      // A modal ceremony began while this call awaited: it has the browser's one WebAuthn request.
      if (modalCeremonies > 0) throw new KeywayCancelledError('A modal passkey request replaced autofill');
      const controller = new AbortController();
      const forward = () => controller.abort(signal?.reason);
      signal?.addEventListener('abort', forward, { once: true });
      let timer: ReturnType<typeof setTimeout> | undefined;
      const signingIn = (async () => {
        const { publicKey } = await requestJSON<{ publicKey: PublicKeyCredentialRequestOptionsJSON }>(
          'POST',
          this.#url('/login/webauthn/options'),
          {},
          controller.signal,
        );
        if (publicKey.timeout && publicKey.timeout > 2 * REFRESH_MARGIN_MS)
          timer = setTimeout(() => controller.abort(REFRESH), publicKey.timeout - REFRESH_MARGIN_MS);
        const credential = await this.#get(publicKey, controller.signal, 'conditional');
        clearTimeout(timer);
        // Picked: from here on an abort changes nothing; the finish is not given the signal.
        return this.#finishSignIn(credential, publicKey.rpId);
      })();
      const mine = { controller, signingIn };
      pendingAutofill = mine;
      try {
        return await signingIn;
      } catch (error) {
        if (controller.signal.reason === REFRESH) continue;
        throw error;
      } finally {
        clearTimeout(timer);
        signal?.removeEventListener('abort', forward);
        if (pendingAutofill === mine) pendingAutofill = undefined;
      }
    }
  }

  /** Stops a waiting autofill request (e.g. when leaving the page); a sign-in the user already picked finishes first. */
  async cancelAutofill(): Promise<void> {
    await cancelAutofill();
  }

  /** Checks a recovery link (token from the URL fragment) without using it: whose account it recovers. */
  async recoveryDetails(token: string): Promise<RecoveryDetails> {
    const { user } = await requestJSON<RecoveryDetails>('POST', this.#url('/recovery/begin'), { token });
    return { user };
  }

  /** Registers a new passkey through a one-time recovery link; `revokeOthers` deletes every other passkey. Signs the user in. */
  async recover({ token, revokeOthers, signal }: { token: string; revokeOthers: boolean } & CeremonyOptions): Promise<RegistrationResult> {
    requireWebAuthn();
    return modalCeremony(async () => {
      const { publicKey } = await requestJSON<{ publicKey: PublicKeyCredentialCreationOptionsJSON }>('POST', this.#url('/recovery/begin'), { token }, signal);
      const credential = await this.#create(publicKey, signal);
      return requestJSON<RegistrationResult>('POST', this.#url('/recovery/finish'), { token, credential: credentialToJSON(credential), revokeOthers });
    });
  }

  /**
   * “I lost my passkey”: asks the server to e-mail a one-time recovery link to the account with this address. It
   * resolves the same whether or not there is such an account (the server does not tell).
   */
  async requestRecoveryEmail({ email, language }: { email: string; language?: string }): Promise<void> {
    await requestJSON<{ accepted: true }>('POST', this.#url('/recovery/email'), { email, ...(language ? { language } : {}) });
  }

  /**
   * What an e-mail verification link (its one-time token, from the URL fragment) is about, without using it: the
   * account it was sent for and whether its address is verified already. Show this and let the reader choose
   * `verifyEmail` ("yes, I created this account") or `disownEmail` ("I did not sign up"): verifying as soon as the
   * link is opened would let anyone who signs up with someone else's address have it verified by a click on the
   * unexpected e-mail, or by a mail scanner.
   */
  async emailVerificationDetails(token: string): Promise<EmailVerificationDetails> {
    return requestJSON<EmailVerificationDetails>('POST', this.#url('/email/verify/inspect'), { token });
  }

  /** "Yes, I created this account": uses the one-time link; the account's address becomes verified. */
  async verifyEmail(token: string): Promise<{ email: string }> {
    return requestJSON<{ email: string }>('POST', this.#url('/email/verify'), { token });
  }

  /**
   * "I did not sign up": uses the one-time link to say the account that bears the address is not the reader's. Only
   * while the address is not verified (else KeywayServerError `EMAIL_ALREADY_VERIFIED`). The server deletes the
   * account when its identifier is the address (`accountDeleted`: the address can then sign up), and otherwise only
   * removes the address from it (`emailRemoved`).
   */
  async disownEmail(token: string): Promise<DisownedEmail> {
    return requestJSON<DisownedEmail>('POST', this.#url('/email/disown'), { token });
  }

  /** Ends the session on the server (the cookie is cleared). */
  async signOut(): Promise<void> {
    await requestJSON<void>('POST', this.#url('/logout'));
  }

  /** The signed-in user and session; KeywayServerError `SESSION_REQUIRED` (401) when there is none. */
  me(): Promise<CurrentSession> {
    return requestJSON<CurrentSession>('GET', this.#url('/me'));
  }

  passkeys(): Promise<PasskeyList> {
    return requestJSON<PasskeyList>('GET', this.#url('/me/passkeys'));
  }

  /** My bound devices, oldest first, a page at a time (`cursor`: the previous page's `nextCursor`). */
  devices(cursor?: string): Promise<BoundDeviceList> {
    return requestJSON<BoundDeviceList>('GET', this.#url(`/me/devices${cursor ? `?cursor=${encodeURIComponent(cursor)}` : ''}`));
  }

  /** Revokes one of my bound devices: it is no longer recognised as mine. */
  async revokeDevice(id: string): Promise<void> {
    await requestJSON<void>('DELETE', this.#url(`/me/devices/${encodeURIComponent(id)}`));
  }

  /** Adds a passkey to the signed-in account (needs a recent sign-in: `REAUTHENTICATION_REQUIRED`). */
  async addPasskey({ signal }: CeremonyOptions = {}): Promise<Passkey> {
    requireWebAuthn();
    return modalCeremony(async () => {
      const { publicKey } = await requestJSON<{ publicKey: PublicKeyCredentialCreationOptionsJSON }>(
        'POST',
        this.#url('/me/passkeys/register/begin'),
        {},
        signal,
      );
      const credential = await this.#create(publicKey, signal);
      return requestJSON<Passkey>('POST', this.#url('/me/passkeys/register/finish'), credentialToJSON(credential));
    });
  }

  /** Renames a passkey, then tells the passkey provider the account's current name (Signal API). */
  async renamePasskey(id: string, name: string): Promise<Passkey> {
    const passkey = await requestJSON<Passkey>('PATCH', this.#url(`/me/passkeys/${encodeURIComponent(id)}`), { name });
    await this.syncPasskeyProvider({ accepted: false });
    return passkey;
  }

  /**
   * Deletes a passkey (needs a sign-in within the last minutes: `REAUTHENTICATION_REQUIRED`; never the
   * last one: `LAST_PASSKEY`), then signals the remaining list so the provider can drop the deleted one.
   */
  async deletePasskey(id: string): Promise<PasskeyList> {
    await requestJSON<void>('DELETE', this.#url(`/me/passkeys/${encodeURIComponent(id)}`));
    const list = await this.passkeys();
    await signalAllAcceptedCredentials(list.rpId, list.userId, list.allCredentialIds);
    return list;
  }

  /**
   * Deletes the signed-in user's own account, for good: its passkeys, its sessions in every browser (this one's cookie
   * is cleared) and its sign-ins at the store's applications. Needs a sign-in within the last 5 minutes
   * (KeywayServerError `REAUTHENTICATION_REQUIRED`: sign in again with `signIn({ identifier })`, then call it again);
   * `ACCOUNT_DELETION_DISABLED` (403) when the store lets only its administrators delete accounts, `SESSION_REQUIRED`
   * (401) when no one is signed in. Afterwards the passkey provider is told the account has no passkeys left (Signal
   * API, best effort), so it can remove them. `list`: the account's passkeys if already loaded (else they are read first).
   */
  async deleteAccount({ list }: { list?: PasskeyList } = {}): Promise<void> {
    // The RP ID and user handle to signal must be read while the account still exists.
    const known = list ?? (await this.passkeys().catch(() => undefined));
    await requestJSON<void>('DELETE', this.#url('/me'));
    if (known?.userId) await signalAllAcceptedCredentials(known.rpId, known.userId, []);
  }

  /**
   * Brings the user's passkey provider in line with the server (Signal API): the current user name
   * and display name and, unless `accepted: false`, the complete list of accepted credentials.
   */
  async syncPasskeyProvider({ accepted = true, list }: { accepted?: boolean; list?: PasskeyList } = {}): Promise<void> {
    const [{ user }, passkeys] = await Promise.all([this.me(), list ? Promise.resolve(list) : this.passkeys()]);
    await signalCurrentUserDetails(passkeys.rpId, passkeys.userId, user.userKey, displayNameOf(user));
    if (accepted) await signalAllAcceptedCredentials(passkeys.rpId, passkeys.userId, passkeys.allCredentialIds);
  }

  async #create(json: PublicKeyCredentialCreationOptionsJSON, signal: AbortSignal | undefined): Promise<PublicKeyCredential> {
    throwIfAborted(signal);
    let credential: Credential | null;
    try {
      credential = await navigator.credentials.create({ publicKey: parseCreationOptions(json), ...(signal ? { signal } : {}) });
    } catch (error) {
      throw signal?.aborted ? new KeywayCancelledError(undefined, { cause: error }) : fromWebAuthnError(error);
    }
    if (!credential) throw new KeywayNotAllowedError();
    return credential as PublicKeyCredential;
  }

  async #get(json: PublicKeyCredentialRequestOptionsJSON, signal: AbortSignal | undefined, mediation: 'conditional' | undefined): Promise<PublicKeyCredential> {
    throwIfAborted(signal);
    let credential: Credential | null;
    try {
      credential = await navigator.credentials.get({
        publicKey: parseRequestOptions(json),
        ...(signal ? { signal } : {}),
        ...(mediation ? { mediation } : {}),
      });
    } catch (error) {
      // Aborted by a signal: the browser rejects with the signal's reason (AbortError, TimeoutError, anything).
      throw signal?.aborted ? new KeywayCancelledError(undefined, { cause: error }) : fromWebAuthnError(error);
    }
    if (!credential) throw new KeywayNotAllowedError();
    return credential as PublicKeyCredential;
  }

  async #finishSignIn(credential: PublicKeyCredential, rpId: string | undefined): Promise<SignInResult> {
    const json = credentialToJSON(credential);
    try {
      return await requestJSON<SignInResult>('POST', this.#url('/login/webauthn/finish'), json);
    } catch (error) {
      // The provider offered a passkey the server no longer has: let it hide it (Signal API).
      if (error instanceof KeywayServerError && error.problemCode === 'CREDENTIAL_NOT_FOUND') {
        await signalUnknownCredential(rpId ?? location.hostname, json.id);
      }
      throw error;
    }
  }
}
