import type { PublicKeyCredentialCreationOptionsJSON, PublicKeyCredentialRequestOptionsJSON, RegistrationResponseJSON } from '@simplewebauthn/server';
import { isSignInBarred } from '../../identity/user-record.ts';
import type { Selectable } from 'kysely';
import type { Actor } from '../../audit/audit-log.ts';
import { KeywayError } from '../../errors/keyway-error.ts';
import type { User } from '../../identity/user-schemas.ts';
import type { AuthenticationResult, CompleteAuthenticationInput, StartAuthenticationInput, StartedCeremony } from '../../passkeys/ceremony-service.ts';
import { creationOptions, requestOptions } from '../../passkeys/ceremony-options.ts';
import type { CompleteRegistrationInput, StartRegistrationInput } from '../../passkeys/ceremony-service.ts';
import { newCredentialRow, type CredentialDescriptor } from '../../passkeys/credential-store.ts';
import type { RegistrationPolicy, RelyingParty } from '../../passkeys/passkey-config.ts';
import { toPasskey, type Passkey } from '../../passkeys/passkey-record.ts';
import type { PolicyService } from '../../passkeys/policy-service.ts';
import type { RelyingPartyService } from '../../passkeys/relying-party-service.ts';
import { authenticationVerifier, registrationVerifier } from '../../passkeys/verifiers.ts';
import { canonicalBase64url, fromBase64url, newCeremonySessionId, newChallenge, newUserHandle } from '../../passkeys/webauthn-encoding.ts';
import type { SoftAuthenticator } from '../../passkeys/soft-authenticator.ts';
import type { Clock } from '../../shared/clock.ts';
import type { CredentialsTable } from '../../storage/schema.ts';
import type { IdentityReads, SandboxIdentity } from './sandbox-identity.ts';

/** What a registration is verified against: a registration policy's settings. */
type RegistrationExpectations = Pick<RegistrationPolicy, 'userVerification' | 'algorithms' | 'allowSyncedPasskeys' | 'attestationTrust'>;

/** The software authenticator's own passkey (`enrol`): ES256, user verified, no attestation. */
const ENROLMENT: RegistrationExpectations = {
  userVerification: 'required',
  algorithms: [-7],
  allowSyncedPasskeys: true,
  attestationTrust: { requireTrustedAttestation: false, rootCertificates: [] },
};

interface SandboxSession {
  ceremony: 'registration' | 'authentication';
  storeName: string;
  userId: string | null;
  rpId: string;
  policyName: string;
  challenge: string;
  options: PublicKeyCredentialCreationOptionsJSON | PublicKeyCredentialRequestOptionsJSON;
  expiresAt: number;
  consumed: boolean;
}

export interface SandboxCeremoniesDeps {
  clock: Clock;
  identity: SandboxIdentity;
  stores: Pick<IdentityReads, 'findStore'>;
  relyingParties: Pick<RelyingPartyService, 'findForStore'>;
  policies: Pick<PolicyService, 'findRegistrationPolicyForStore' | 'findAuthenticationPolicyForStore'>;
  /** The run's software authenticator: it holds every passkey the run registers or enrols. */
  authenticator: SoftAuthenticator;
}

/**
 * The passkey ceremonies of a dry-run. Options come from the real relying party and policy (`creationOptions`,
 * `requestOptions`) and every response is checked by the real WebAuthn verifiers (§7.1, §7.2) with the real
 * expectations, so a response that a server would refuse is refused here too. Sessions, user handles and credentials
 * live in this object only: nothing is stored, audited or signed (a dry-run issues no ID token: `idToken` is empty).
 */
export class SandboxCeremonies {
  readonly #deps: SandboxCeremoniesDeps;
  readonly #sessions = new Map<string, SandboxSession>();
  readonly #handles = new Map<string, string>();
  readonly #credentials = new Map<string, Selectable<CredentialsTable>>();
  /** Each challenge's relying party origins: the software authenticator answers as a page of the first. */
  readonly #origins = new Map<string, readonly string[]>();

  constructor(deps: SandboxCeremoniesDeps) {
    this.#deps = deps;
  }

  /** The origin a browser answering this challenge would be on. */
  originOf(challenge: string): string | undefined {
    return this.#origins.get(challenge)?.[0];
  }

  async #config(tenantId: string, storeName: string, rpId: string) {
    const store = await this.#deps.stores.findStore(tenantId, storeName);
    return { store, rp: await this.#deps.relyingParties.findForStore(store, rpId) };
  }

  #descriptors(userId: string, rpId: string): CredentialDescriptor[] {
    return [...this.#credentials.values()]
      .filter((row) => row.user_id === userId && row.rp_id === rpId)
      .map((row) => ({ id: row.credential_id, transports: JSON.parse(row.transports) as string[] }));
  }

  #open(sessionId: string, session: SandboxSession, rp: RelyingParty): void {
    this.#sessions.set(sessionId, session);
    this.#origins.set(session.challenge, rp.origins);
  }

  #usable(sessionId: string, ceremony: SandboxSession['ceremony'], userId: string | undefined): SandboxSession {
    const session = this.#sessions.get(sessionId);
    if (!session || session.ceremony !== ceremony || (userId !== undefined && session.userId !== userId))
      throw new KeywayError('SESSION_NOT_FOUND', `No ${ceremony} session ${sessionId}`);
    if (session.consumed) throw new KeywayError('SESSION_ALREADY_USED', 'The ceremony session was already used');
    if (this.#deps.clock.now().getTime() > session.expiresAt) throw new KeywayError('CHALLENGE_EXPIRED', 'The ceremony session has expired; start a new one');
    return session;
  }

  async startRegistration(actor: Actor, input: StartRegistrationInput): Promise<StartedCeremony<PublicKeyCredentialCreationOptionsJSON>> {
    const { store, rp } = await this.#config(actor.tenantId, input.storeName, input.rpId);
    const policy = await this.#deps.policies.findRegistrationPolicyForStore(store, input.policyName);
    const user = await this.#deps.identity.getUser(actor.tenantId, input.storeName, 'row' in input.user ? { id: input.user.row.id } : input.user);
    assertMayUsePasskeys(user);
    const handle = this.#handles.get(user.id) ?? input.userHandle ?? newUserHandle();
    this.#handles.set(user.id, handle);
    const userName = input.userName ?? user.email ?? user.userKey;
    const displayName = input.userDisplayName ?? ([user.firstName, user.lastName].filter((n) => n !== undefined).join(' ') || userName);
    const challenge = newChallenge();
    const options = creationOptions({ rp, policy, challenge, user: { id: handle, name: userName, displayName }, existing: this.#descriptors(user.id, rp.id) });
    const now = this.#deps.clock.now();
    const sessionId = newCeremonySessionId(now);
    const expiresAt = now.getTime() + policy.timeout;
    this.#open(
      sessionId,
      {
        ceremony: 'registration',
        storeName: input.storeName,
        userId: user.id,
        rpId: rp.id,
        policyName: policy.name,
        challenge,
        options,
        expiresAt,
        consumed: false,
      },
      rp,
    );
    return { clientRequest: options, sessionId, expiresAt: new Date(expiresAt).toISOString() };
  }

  async completeRegistration(actor: Actor, input: CompleteRegistrationInput): Promise<Passkey> {
    const session = this.#usable(input.sessionId, 'registration', input.userId);
    const { store } = await this.#config(actor.tenantId, input.storeName, session.rpId);
    const policy = await this.#deps.policies.findRegistrationPolicyForStore(store, session.policyName);
    // The caller's `inTransaction` hook writes to the database (e.g. activates a pending account): never run here.
    return this.#register(actor, session, input.storeName, input.response, policy, input.admit);
  }

  async #register(
    actor: Actor,
    session: SandboxSession,
    storeName: string,
    response: RegistrationResponseJSON,
    policy: RegistrationExpectations,
    admit?: CompleteRegistrationInput['admit'],
  ): Promise<Passkey> {
    const { store, rp } = await this.#config(actor.tenantId, storeName, session.rpId);
    const issued = session.options as PublicKeyCredentialCreationOptionsJSON;
    const offered = new Set(issued.pubKeyCredParams.map((p) => p.alg));
    const now = this.#deps.clock.now();
    const { verifyRegistration } = await registrationVerifier();
    // The expectations of RegistrationCeremony.complete, unchanged.
    const verified = await verifyRegistration(response, {
      challenge: session.challenge,
      origins: rp.origins,
      crossOrigin: { topOrigins: rp.topOrigins },
      rpId: session.rpId,
      requireUserVerification: policy.userVerification === 'required' || issued.authenticatorSelection?.userVerification === 'required',
      algorithms: policy.algorithms.filter((alg) => offered.has(alg)),
      allowSyncedPasskeys: policy.allowSyncedPasskeys,
      attestationTrust: policy.attestationTrust,
      now,
    });
    if (this.#credentials.has(verified.credentialId)) throw new KeywayError('CREDENTIAL_ALREADY_REGISTERED', 'This credential ID is already registered');
    // An organization's policy, as in RegistrationCeremony.complete (it only reads).
    await admit?.({ userId: session.userId!, aaguid: verified.aaguid, backupEligible: verified.backupEligible, attested: verified.attestationVerified });
    session.consumed = true;
    const row = newCredentialRow(verified, { tenantId: actor.tenantId, storeId: store.id, userId: session.userId!, rpId: session.rpId, device: null }, now);
    this.#credentials.set(row.credential_id, row);
    // What activateOnFirstPasskey does to a pending account, done to the run's own copy.
    this.#deps.identity.activate(row.user_id);
    return toPasskey(row);
  }

  async startAuthentication(actor: Actor, input: StartAuthenticationInput): Promise<StartedCeremony<PublicKeyCredentialRequestOptionsJSON>> {
    const { store, rp } = await this.#config(actor.tenantId, input.storeName, input.rpId);
    const policy = await this.#deps.policies.findAuthenticationPolicyForStore(store, input.policyName);
    let userId: string | null = null;
    let allowed: CredentialDescriptor[] = [];
    if (input.user) {
      const ref = 'row' in input.user ? { id: input.user.row.id } : input.user;
      const user = await this.#deps.identity.getUser(actor.tenantId, input.storeName, ref);
      assertMayUsePasskeys(user);
      userId = user.id;
      // The run cannot sign with the user's real passkeys: its authenticator brings one of its own.
      if (!this.hasPasskey(user.id, rp.id)) await this.#enrol(actor, { storeName: input.storeName, userId: user.id, rp });
      allowed = this.#descriptors(user.id, rp.id);
      if (allowed.length === 0) throw new KeywayError('PASSKEY_NOT_FOUND', `User ${user.id} has no passkey for relying party ${rp.id}; register one first`);
    } else if (!policy.allowDiscoverable) {
      throw new KeywayError('DISCOVERABLE_NOT_ALLOWED', `The authentication policy ${policy.name} requires naming the user`);
    }
    const challenge = newChallenge();
    const options = requestOptions({ rpId: rp.id, policy, challenge, allowed });
    const now = this.#deps.clock.now();
    const sessionId = newCeremonySessionId(now);
    const expiresAt = now.getTime() + policy.timeout;
    this.#open(
      sessionId,
      { ceremony: 'authentication', storeName: input.storeName, userId, rpId: rp.id, policyName: policy.name, challenge, options, expiresAt, consumed: false },
      rp,
    );
    return { clientRequest: options, sessionId, expiresAt: new Date(expiresAt).toISOString() };
  }

  async completeAuthentication(actor: Actor, input: CompleteAuthenticationInput): Promise<AuthenticationResult> {
    const session = this.#usable(input.sessionId, 'authentication', input.userId);
    const { store, rp } = await this.#config(actor.tenantId, input.storeName, session.rpId);
    const policy = await this.#deps.policies.findAuthenticationPolicyForStore(store, session.policyName);
    const issued = session.options as PublicKeyCredentialRequestOptionsJSON;
    const allowCredentialIds = (issued.allowCredentials ?? []).map((d) => d.id);
    const credentialId = canonicalBase64url((input.response as { rawId?: unknown } | undefined)?.rawId);
    if (credentialId === undefined || credentialId === '') throw new KeywayError('RESPONSE_MALFORMED', 'rawId must be the base64url credential ID');
    if (allowCredentialIds.length > 0 && !allowCredentialIds.includes(credentialId))
      throw new KeywayError('CREDENTIAL_NOT_ALLOWED', 'The credential is not one this session allows');
    const record = this.#credentials.get(credentialId);
    if (!record || record.rp_id !== session.rpId || (session.userId !== null && record.user_id !== session.userId))
      throw new KeywayError('CREDENTIAL_NOT_ALLOWED', 'The credential is not a passkey of this user for this relying party');
    const user = await this.#deps.identity.getUser(actor.tenantId, input.storeName, { id: record.user_id });
    assertMayUsePasskeys(user);
    const { verifyAuthentication } = await authenticationVerifier();
    const verified = await verifyAuthentication(input.response, {
      challenge: session.challenge,
      origins: rp.origins,
      crossOrigin: { topOrigins: rp.topOrigins },
      rpId: session.rpId,
      requireUserVerification: policy.userVerification === 'required' || issued.userVerification === 'required',
      allowCredentialIds,
      account: { identified: session.userId !== null, userHandle: this.#handles.get(record.user_id) ?? null },
      credential: {
        id: record.credential_id,
        publicKey: fromBase64url(record.public_key)!,
        counter: Number(record.sign_count),
        backupEligible: record.backup_eligible === 1,
      },
    });
    await input.admit?.({ userId: user.id, aaguid: record.aaguid, backupEligible: verified.backupEligible, attested: record.attestation_verified === 1 });
    session.consumed = true;
    const now = this.#deps.clock.now();
    const updated = {
      ...record,
      sign_count: verified.newCounter,
      backed_up: verified.backedUp ? 1 : 0,
      last_used_at: now.getTime(),
      updated_at: now.getTime(),
    };
    this.#credentials.set(credentialId, updated);
    const seconds = Math.floor(now.getTime() / 1000);
    return {
      user,
      credential: toPasskey(updated),
      // Nothing is signed in a dry-run: the claims a sign-in would carry, with no token.
      idToken: '',
      idTokenClaims: {
        iss: 'dry-run',
        sub: user.id,
        aud: session.rpId,
        iat: seconds,
        exp: seconds,
        jti: session.challenge,
        auth_time: seconds,
        amr: verified.userVerified ? ['hwk', 'user'] : ['hwk'],
        store: input.storeName,
        external_id: user.externalId,
        cred_id: credentialId,
      },
    };
  }

  /**
   * The software authenticator's own passkey for a user (a dry-run has no private key of the user's real passkeys):
   * registered through this sandbox's own registration, verified like any other, stored nowhere else.
   */
  async #enrol(actor: Actor, target: { storeName: string; userId: string; rp: RelyingParty }): Promise<void> {
    const { rp } = target;
    const handle = this.#handles.get(target.userId) ?? newUserHandle();
    this.#handles.set(target.userId, handle);
    const challenge = newChallenge();
    const options: PublicKeyCredentialCreationOptionsJSON = {
      rp: { id: rp.id, name: rp.name },
      user: { id: handle, name: target.userId, displayName: target.userId },
      challenge,
      pubKeyCredParams: [{ type: 'public-key', alg: -7 }],
      authenticatorSelection: { residentKey: 'required', userVerification: 'required' },
    };
    const session: SandboxSession = {
      ceremony: 'registration',
      storeName: target.storeName,
      userId: target.userId,
      rpId: rp.id,
      policyName: '',
      challenge,
      options,
      expiresAt: Number.POSITIVE_INFINITY,
      consumed: false,
    };
    this.#open(newCeremonySessionId(this.#deps.clock.now()), session, rp);
    const response = this.#deps.authenticator.register(options, { origin: rp.origins[0] ?? `https://${rp.id}` });
    await this.#register(actor, session, target.storeName, response, ENROLMENT);
  }

  /** Gives a (real, read-only) user of the store a passkey of the run's authenticator, e.g. the user the run is started as. */
  async enrol(tenantId: string, storeName: string, userId: string, rpId: string): Promise<void> {
    const { rp } = await this.#config(tenantId, storeName, rpId);
    if (!this.hasPasskey(userId, rp.id)) await this.#enrol({ tenantId, actor: 'dry-run', requestId: 'dry-run' }, { storeName, userId, rp });
  }

  /** Whether the user already has a passkey of the sandbox for the relying party. */
  hasPasskey(userId: string, rpId: string): boolean {
    return this.#descriptors(userId, rpId).length > 0;
  }

  /** The session a started ceremony's challenge belongs to (the answerer reads whom it is for). */
  sessionOf(challenge: string): SandboxSession | undefined {
    for (const session of this.#sessions.values()) if (session.challenge === challenge) return session;
    return undefined;
  }
}

/** The status rule of ceremony-user.ts (a disabled or locked user may not use passkeys), for sandbox users. */
function assertMayUsePasskeys(user: User): void {
  if (isSignInBarred(user.status)) throw new KeywayError('USER_DISABLED', `User ${user.id} is ${user.status}`);
}
