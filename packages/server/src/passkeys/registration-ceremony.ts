import type { PublicKeyCredentialCreationOptionsJSON, RegistrationResponseJSON } from '@simplewebauthn/server';
import type { Kysely, Selectable } from 'kysely';
import { appendAuditEvent, type Actor } from '../audit/audit-log.ts';
import { KeywayError, validationError } from '../errors/keyway-error.ts';
import type { UserRef } from '../identity/identity-service.ts';
import type { Schema, StoresTable } from '../storage/schema.ts';
import { uniqueViolation } from '../storage/unique-violation.ts';
import type { CeremonyAdmission, CeremonyCompletionHook } from './authentication-ceremony.ts';
import type { CeremonyDeps, CeremonyStartAdmission, CeremonyStartHook, StartedCeremony } from './ceremony-deps.ts';
import { creationOptions } from './ceremony-options.ts';
import { checkUsableSession, consumeSession, findUsableSession, insertSession, type CeremonySessionRow } from './ceremony-session-store.ts';
import { assertMayUsePasskeys, findUserInStore, getUserInStore, type ResolvedUser, type UserRow } from './ceremony-user.ts';
import { credentialDescriptors, insertCredential, newCredentialRow } from './credential-store.ts';
import { toPasskey, type Passkey } from './passkey-record.ts';
import { registrationVerifier } from './verifiers.ts';
import { canonicalBase64url, fromBase64url, newCeremonySessionId, newChallenge, newUserHandle, toBase64url } from './webauthn-encoding.ts';
import { relaxCommit } from '../storage/relaxed-commit.ts';
import { isOneLineText, ONE_LINE_TEXT_MESSAGE } from '../shared/one-line-text.ts';
import { recordingRefusals } from './ceremony-refusal.ts';
import { inSmallTransaction } from '../storage/small-transaction.ts';

/** WebAuthn §5.4.3: a user handle is at most 64 bytes. */
export const MAX_USER_HANDLE_BYTES = 64;

export interface StartRegistrationInput {
  storeName: string;
  /** The store row when the caller already resolved `storeName` in the actor's tenant (saves reading it again) */
  store?: Selectable<StoresTable> | undefined;
  /** The user, by Keyway id or by external id; or already looked up by the caller, with its credentials for this RP */
  user: UserRef | ResolvedUser;
  rpId: string;
  policyName: string;
  /** user.name in the options (default: the user's e-mail, else userKey) */
  userName?: string | undefined;
  /** user.displayName in the options (default: first and last name, else userName) */
  userDisplayName?: string | undefined;
  /** base64url, 1–64 bytes: used as the user handle when the user has none yet */
  userHandle?: string | undefined;
  /** With a user named by external id: create the user when absent (TrustX "Create User") */
  createUser?: boolean | undefined;
  /** Who started the ceremony and for what (API, self-service, journey); stored with the session */
  context?: Record<string, unknown> | undefined;
  /** Runs inside the transaction that stores the session */
  inTransaction?: CeremonyStartHook | undefined;
  /** Runs first inside that transaction (CeremonyStartAdmission) */
  admit?: CeremonyStartAdmission | undefined;
  /** Runs next inside that transaction, before the session is stored (self-service stores the account it signs up) */
  prepare?: ((trx: Kysely<Schema>) => Promise<void>) | undefined;
}

export interface CompleteRegistrationInput {
  storeName: string;
  /** The store row when the caller already resolved `storeName` in the actor's tenant (saves reading it again) */
  store?: Selectable<StoresTable> | undefined;
  sessionId: string;
  /** The session as the caller read it (self-service reads it with its flow: one statement); checked like one read here */
  session?: CeremonySessionRow | undefined;
  /** The user the completion names (the API path always does); the session must be this user's */
  userId?: string | undefined;
  /** The browser's `PublicKeyCredential.toJSON()` */
  response: RegistrationResponseJSON;
  /** The device the browser says it runs on ("Chrome on Android"), when the caller knows it */
  device?: string | undefined;
  /** Runs once the attestation is verified, before the credential is stored: a refusal stores nothing */
  admit?: CeremonyAdmission | undefined;
  /** Runs last inside the transaction that stores the credential (e.g. self-service activates the user, opens a session) */
  inTransaction?: CeremonyCompletionHook | undefined;
}

function userHandleOf(input: string | undefined): string | undefined {
  if (input === undefined) return undefined;
  const bytes = fromBase64url(input);
  if (bytes === undefined || bytes.length === 0 || bytes.length > MAX_USER_HANDLE_BYTES) {
    throw validationError('userHandle', `must be base64url of 1 to ${MAX_USER_HANDLE_BYTES} bytes`);
  }
  return toBase64url(bytes);
}

/** WebAuthn registration (§7.1): start builds options and a session from the policy; complete verifies and stores the credential. */
export class RegistrationCeremony {
  readonly #deps: CeremonyDeps;

  constructor(deps: CeremonyDeps) {
    this.#deps = deps;
  }

  async start(actor: Actor, input: StartRegistrationInput): Promise<StartedCeremony<PublicKeyCredentialCreationOptionsJSON>> {
    const { db, clock, identity, relyingParties, policies } = this.#deps;
    const now = clock.now();
    const requestedHandle = userHandleOf(input.userHandle);
    const store = input.store ?? (await identity.findStore(actor.tenantId, input.storeName));
    const rp = await relyingParties.findForStore(store, input.rpId);
    const policy = await policies.findRegistrationPolicyForStore(store, input.policyName);
    const user = 'row' in input.user ? input.user.row : await this.#userForRegistration(actor, store.id, input.user, input);
    assertMayUsePasskeys(user);
    if (user.user_handle !== null && requestedHandle !== undefined && requestedHandle !== user.user_handle) {
      throw new KeywayError('USER_HANDLE_CONFLICT', 'userHandle: the user already has a different user handle; omit userHandle or send the one it has');
    }
    const existing = 'row' in input.user ? input.user.credentials : await credentialDescriptors(db, user.id, rp.id);
    const userName = input.userName ?? user.email ?? user.user_key;
    const displayName = input.userDisplayName ?? ([user.first_name, user.last_name].filter((n) => n !== null).join(' ') || userName);
    // The names the authenticator shows in its account picker, when the caller gives them: the typed APIs refuse such
    // names already, but a journey builds them from expressions over form input. (Names taken from the user record
    // were checked when they were written; a legacy one does not keep its user from registering.)
    if (input.userName !== undefined && !isOneLineText(input.userName)) throw validationError('userName', ONE_LINE_TEXT_MESSAGE);
    if (input.userDisplayName !== undefined && !isOneLineText(input.userDisplayName)) throw validationError('userDisplayName', ONE_LINE_TEXT_MESSAGE);
    const challenge = newChallenge();
    const sessionId = newCeremonySessionId(now);
    const expiresAt = now.getTime() + policy.timeout;

    let refusal: KeywayError | undefined;
    try {
      const started = await inSmallTransaction(db, async (trx) => {
        // Serves only this ceremony (a user handle settled here is settled again by a next attempt): its outcome
        // commit makes it durable (relaxed-commit.ts).
        await relaxCommit(trx);
        refusal = await input.admit?.(trx);
        if (refusal) return undefined;
        await input.prepare?.(trx);
        const handle = await this.#settleUserHandle(trx, user, requestedHandle);
        const options = creationOptions({ rp, policy, challenge, user: { id: handle, name: userName, displayName }, existing });
        await insertSession(trx, {
          id: sessionId,
          tenant_id: actor.tenantId,
          store_id: store.id,
          user_id: user.id,
          rp_id: rp.id,
          policy_name: policy.name,
          ceremony: 'registration',
          challenge,
          user_handle: handle,
          options: JSON.stringify(options),
          context: input.context === undefined ? null : JSON.stringify(input.context),
          expires_at: expiresAt,
          consumed_at: null,
          created_at: now.getTime(),
        });
        await appendAuditEvent(
          trx,
          actor,
          {
            action: 'passkey.registration.start',
            targetType: 'user',
            targetId: user.id,
            details: { store: input.storeName, rpId: rp.id, policy: policy.name, sessionId },
          },
          now,
        );
        await input.inTransaction?.(trx, { sessionId, challenge, expiresAt: new Date(expiresAt).toISOString() });
        return { clientRequest: options, sessionId, expiresAt: new Date(expiresAt).toISOString() };
      });
      if (refusal) throw refusal;
      return started!;
    } catch (error) {
      // users (store_id, user_handle) is unique: the caller's handle is another user's.
      if (uniqueViolation(error)?.includes('user_handle'))
        throw new KeywayError('USER_HANDLE_CONFLICT', 'userHandle: another user of this store has this user handle');
      throw error;
    }
  }

  /** Verifies and stores the passkey; a refusal (any coded error once the store is known) reaches the audit log with its code. */
  async complete(actor: Actor, input: CompleteRegistrationInput): Promise<Passkey> {
    const store = input.store ?? (await this.#deps.identity.findStore(actor.tenantId, input.storeName));
    const now = this.#deps.clock.now();
    const refusal = { action: 'passkey.register' as const, storeName: input.storeName, sessionId: input.sessionId, now };
    return recordingRefusals(this.#deps.db, actor, refusal, () => this.#complete(actor, input, store, now));
  }

  async #complete(actor: Actor, input: CompleteRegistrationInput, store: Selectable<StoresTable>, now: Date): Promise<Passkey> {
    const { db, relyingParties, policies } = this.#deps;
    const lookup = { id: input.sessionId, tenantId: actor.tenantId, storeId: store.id, ceremony: 'registration' as const, userId: input.userId };
    const session = input.session ? checkUsableSession(input.session, lookup, now) : await findUsableSession(db, lookup, now);
    const user = await getUserInStore(db, store.id, input.storeName, { id: session.user_id! });
    assertMayUsePasskeys(user);
    // The RP and policy as they are now: an origin removed or a policy tightened since the start applies at once.
    const rp = await relyingParties.findForStore(store, session.rp_id);
    const policy = await policies.findRegistrationPolicyForStore(store, session.policy_name);
    const issued = JSON.parse(session.options) as PublicKeyCredentialCreationOptionsJSON;
    const offered = new Set(issued.pubKeyCredParams.map((p) => p.alg));

    const { verifyRegistration } = await registrationVerifier();
    const verified = await verifyRegistration(input.response, {
      challenge: session.challenge,
      origins: rp.origins,
      crossOrigin: { topOrigins: rp.topOrigins },
      rpId: session.rp_id,
      // The stricter of what was asked at the start and what the policy says now; never the client's say.
      requireUserVerification: policy.userVerification === 'required' || issued.authenticatorSelection?.userVerification === 'required',
      algorithms: policy.algorithms.filter((alg) => offered.has(alg)),
      allowSyncedPasskeys: policy.allowSyncedPasskeys,
      attestationTrust: policy.attestationTrust,
      metadata: this.#deps.metadata,
      now,
    });

    await input.admit?.({ userId: user.id, aaguid: verified.aaguid, backupEligible: verified.backupEligible, attested: verified.attestationVerified });

    const row = newCredentialRow(
      verified,
      { tenantId: actor.tenantId, storeId: store.id, userId: user.id, rpId: session.rp_id, device: input.device ?? null },
      now,
    );
    try {
      await inSmallTransaction(db, async (trx) => {
        await consumeSession(trx, session.id, now);
        // §7.1 step 27: a credential ID registers once across the whole database (unique index).
        await insertCredential(trx, row);
        await appendAuditEvent(
          trx,
          actor,
          {
            action: 'passkey.register',
            targetType: 'passkey',
            targetId: verified.credentialId,
            details: {
              store: input.storeName,
              userId: user.id,
              rpId: session.rp_id,
              policy: session.policy_name,
              sessionId: session.id,
              aaguid: verified.aaguid,
              attestationFormat: verified.attestationFormat,
              attestationVerified: verified.attestationVerified,
              ...(verified.attestationReason === undefined ? {} : { attestationReason: verified.attestationReason }),
              backupEligible: verified.backupEligible,
            },
          },
          now,
        );
        await input.inTransaction?.(trx, { userId: user.id, credentialId: verified.credentialId });
      });
    } catch (error) {
      if (uniqueViolation(error)?.includes('credential_id')) throw new KeywayError('CREDENTIAL_ALREADY_REGISTERED', 'This credential ID is already registered');
      throw error;
    }
    return toPasskey(row);
  }

  /** The user to register for; with createUser and an external id, created when absent. */
  async #userForRegistration(actor: Actor, storeId: string, ref: UserRef, input: StartRegistrationInput): Promise<UserRow> {
    const { db, identity } = this.#deps;
    const found = await findUserInStore(db, storeId, ref);
    if (found) return found;
    if (input.createUser && 'externalId' in ref) {
      try {
        await identity.createUser(actor, input.storeName, { userKey: input.userName ?? ref.externalId, externalId: ref.externalId });
      } catch (error) {
        // A concurrent start created the same user first: use it.
        if (!(error instanceof KeywayError && error.code === 'EXT_ID_NOT_UNIQUE')) throw error;
      }
    }
    return getUserInStore(db, storeId, input.storeName, ref);
  }

  /**
   * The user's WebAuthn user handle, set on first use and stable afterwards: random 32 bytes (never
   * PII, WebAuthn §14.6.1), or the caller's handle when the user has none yet. Set by compare-and-set,
   * so concurrent first starts agree on one handle.
   */
  async #settleUserHandle(trx: Kysely<Schema>, user: UserRow, requested: string | undefined): Promise<string> {
    if (user.user_handle !== null) return user.user_handle;
    const handle = requested ?? newUserHandle();
    const result = await trx.updateTable('users').set({ user_handle: handle }).where('id', '=', user.id).where('user_handle', 'is', null).executeTakeFirst();
    if (Number(result.numUpdatedRows) === 1) return handle;
    const stored = (await trx.selectFrom('users').select('user_handle').where('id', '=', user.id).executeTakeFirstOrThrow()).user_handle;
    const current = canonicalBase64url(stored);
    if (current === undefined) throw new Error(`User ${user.id} has no usable user handle`);
    if (requested !== undefined && requested !== current) {
      throw new KeywayError('USER_HANDLE_CONFLICT', 'userHandle: the user already has a different user handle; omit userHandle or send the one it has');
    }
    return current;
  }
}
