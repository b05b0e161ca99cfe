import type { PublicKeyCredentialCreationOptionsJSON, PublicKeyCredentialRequestOptionsJSON } from '@simplewebauthn/server';
import type { Actor } from '../audit/audit-log.ts';
import {
  AuthenticationCeremony,
  type AuthenticationResult,
  type CompleteAuthenticationInput,
  type StartAuthenticationInput,
} from './authentication-ceremony.ts';
import type { CeremonyDeps, StartedCeremony } from './ceremony-deps.ts';
import { purgeExpiredSessions } from './ceremony-session-store.ts';
import type { Passkey } from './passkey-record.ts';
import { RegistrationCeremony, type CompleteRegistrationInput, type StartRegistrationInput } from './registration-ceremony.ts';

export type {
  AuthenticationResult,
  CeremonyAdmission,
  CeremonyCompletionHook,
  CompleteAuthenticationInput,
  StartAuthenticationInput,
} from './authentication-ceremony.ts';
export type { CeremonyDeps, StartedCeremony } from './ceremony-deps.ts';
export type { CompleteRegistrationInput, StartRegistrationInput } from './registration-ceremony.ts';

/** How often a node purges long-expired ceremony sessions (measured with the injected clock). */
const PURGE_INTERVAL_MS = 10 * 60 * 1000;

/**
 * The passkey ceremonies: registration and authentication, each a start
 * (options + a database session) and a completion (verification by WebAuthn §7.1 / §7.2, then one
 * transaction that consumes the session, records the credential or its use, and audits). The API
 * routes, self-service and journeys all go through here; `actor` says who is calling.
 */
export class CeremonyService {
  readonly #registration: RegistrationCeremony;
  readonly #authentication: AuthenticationCeremony;
  readonly #deps: CeremonyDeps;
  #lastPurgeMs = Number.NEGATIVE_INFINITY;

  constructor(deps: CeremonyDeps) {
    this.#deps = deps;
    this.#registration = new RegistrationCeremony(deps);
    this.#authentication = new AuthenticationCeremony(deps);
  }

  async startRegistration(actor: Actor, input: StartRegistrationInput): Promise<StartedCeremony<PublicKeyCredentialCreationOptionsJSON>> {
    await this.#purgeNowAndThen();
    return this.#registration.start(actor, input);
  }

  completeRegistration(actor: Actor, input: CompleteRegistrationInput): Promise<Passkey> {
    return this.#registration.complete(actor, input);
  }

  async startAuthentication(actor: Actor, input: StartAuthenticationInput): Promise<StartedCeremony<PublicKeyCredentialRequestOptionsJSON>> {
    await this.#purgeNowAndThen();
    return this.#authentication.start(actor, input);
  }

  completeAuthentication(actor: Actor, input: CompleteAuthenticationInput): Promise<AuthenticationResult> {
    return this.#authentication.complete(actor, input);
  }

  /** Deletes sessions that expired over a day ago; answers how many. Runs by itself every few minutes on each node. */
  purgeExpiredSessions(): Promise<number> {
    return purgeExpiredSessions(this.#deps.db, this.#deps.clock.now());
  }

  async #purgeNowAndThen(): Promise<void> {
    const nowMs = this.#deps.clock.now().getTime();
    if (nowMs - this.#lastPurgeMs < PURGE_INTERVAL_MS) return;
    this.#lastPurgeMs = nowMs;
    await this.purgeExpiredSessions();
  }
}
