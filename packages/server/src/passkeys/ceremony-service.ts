import type { PublicKeyCredentialCreationOptionsJSON, PublicKeyCredentialRequestOptionsJSON } from '@simplewebauthn/server';
import type { Actor } from '../audit/audit-log.ts';
import {
  AuthenticationCeremony,
  type AuthenticationResult,
  type CompleteAuthenticationInput,
  type StartAuthenticationInput,
} from './authentication-ceremony.ts';
import type { CeremonyDeps, StartedCeremony } from './ceremony-deps.ts';
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

/**
 * The passkey ceremonies: registration and authentication, each a start
 * (options + a database session) and a completion (verification by WebAuthn §7.1 / §7.2, then one
 * transaction that consumes the session, records the credential or its use, and audits). The API
 * routes, self-service and journeys all go through here; `actor` says who is calling.
 */
export class CeremonyService {
  readonly #registration: RegistrationCeremony;
  readonly #authentication: AuthenticationCeremony;

  constructor(deps: CeremonyDeps) {
    this.#registration = new RegistrationCeremony(deps);
    this.#authentication = new AuthenticationCeremony(deps);
  }

  startRegistration(actor: Actor, input: StartRegistrationInput): Promise<StartedCeremony<PublicKeyCredentialCreationOptionsJSON>> {
    return this.#registration.start(actor, input);
  }

  completeRegistration(actor: Actor, input: CompleteRegistrationInput): Promise<Passkey> {
    return this.#registration.complete(actor, input);
  }

  startAuthentication(actor: Actor, input: StartAuthenticationInput): Promise<StartedCeremony<PublicKeyCredentialRequestOptionsJSON>> {
    return this.#authentication.start(actor, input);
  }

  completeAuthentication(actor: Actor, input: CompleteAuthenticationInput): Promise<AuthenticationResult> {
    return this.#authentication.complete(actor, input);
  }
}
