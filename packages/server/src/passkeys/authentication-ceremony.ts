import type { AuthenticationResponseJSON, PublicKeyCredentialRequestOptionsJSON } from '@simplewebauthn/server';
import type { Kysely, Selectable } from 'kysely';
import { appendAuditEvent, type Actor } from '../audit/audit-log.ts';
import { KeywayError } from '../errors/keyway-error.ts';
import type { UserRef } from '../identity/identity-service.ts';
import { toUser } from '../identity/user-record.ts';
import type { User } from '../identity/user-schemas.ts';
import type { Schema, StoresTable } from '../storage/schema.ts';
import { amrFor, type IdTokenPayload } from '../tokens/signing-key-service.ts';
import type { CeremonyDeps, CeremonyStartAdmission, CeremonyStartHook, StartedCeremony } from './ceremony-deps.ts';
import { requestOptions } from './ceremony-options.ts';
import type { CredentialKeyCache } from './credential-key-cache.ts';
import { checkUsableSession, consumeSession, findUsableSession, insertSession, type CeremonySessionRow } from './ceremony-session-store.ts';
import { assertMayUsePasskeys, getUserInStore, type ResolvedUser } from './ceremony-user.ts';
import { credentialDescriptors, findCredentialWithOwner, recordCredentialUse, type CredentialDescriptor } from './credential-store.ts';
import { toPasskey, type Passkey } from './passkey-record.ts';
import { authenticationVerifier } from './verifiers.ts';
import { canonicalBase64url, fromBase64url, newCeremonySessionId, newChallenge } from './webauthn-encoding.ts';
import { relaxCommit } from '../storage/relaxed-commit.ts';
import { recordingRefusals } from './ceremony-refusal.ts';
import { inSmallTransaction } from '../storage/small-transaction.ts';

export interface StartAuthenticationInput {
  storeName: string;
  /** The store row when the caller already resolved `storeName` in the actor's tenant (saves reading it again) */
  store?: Selectable<StoresTable> | undefined;
  /** The user signing in; absent for a discoverable (usernameless) sign-in, which the policy must allow */
  user?: UserRef | ResolvedUser | undefined;
  rpId: string;
  policyName: string;
  /** Who started the ceremony and for what (API, self-service, journey); stored with the session */
  context?: Record<string, unknown> | undefined;
  /**
   * Without `user`: send these descriptors as allowCredentials instead of a discoverable request (self-service's
   * decoys for an unknown identifier, so it answers like a known one; the caller runs the user and credential
   * lookups a known identifier costs). The session names no user and allows only these IDs, which no credential
   * has, so it cannot complete.
   */
  decoyCredentials?: readonly CredentialDescriptor[] | undefined;
  /** Runs inside the transaction that stores the session */
  inTransaction?: CeremonyStartHook | undefined;
  /** Runs first inside that transaction (CeremonyStartAdmission) */
  admit?: CeremonyStartAdmission | undefined;
}

/** A caller's own change, made inside the transaction that records the ceremony's outcome (commits or rolls back with it). */
export type CeremonyCompletionHook = (trx: Kysely<Schema>, outcome: { userId: string; credentialId: string }) => Promise<void>;

/**
 * A caller's own rule on the verified passkey, checked before anything is stored (e.g. an organization's policy): it
 * throws a coded KeywayError to refuse, and the ceremony then changes nothing (the refusal is audited with its code).
 */
export type CeremonyAdmission = (passkey: { userId: string; aaguid: string; backupEligible: boolean; attested: boolean }) => Promise<void>;

export interface CompleteAuthenticationInput {
  storeName: string;
  /** The store row when the caller already resolved `storeName` in the actor's tenant (saves reading it again) */
  store?: Selectable<StoresTable> | undefined;
  sessionId: string;
  /** The session as the caller read it (self-service reads it with its flow: one statement); checked like one read here */
  session?: CeremonySessionRow | undefined;
  /** The user the completion names (the API path always does); the session must be this user's */
  userId?: string | undefined;
  /** The browser's `PublicKeyCredential.toJSON()` */
  response: AuthenticationResponseJSON;
  /** OpenID Connect nonce to echo in the ID token */
  nonce?: string | undefined;
  /** Runs once the assertion is verified, before its use is recorded: a refusal leaves the credential untouched */
  admit?: CeremonyAdmission | undefined;
  /** Runs last inside the completion's transaction (e.g. self-service opens a browser session) */
  inTransaction?: CeremonyCompletionHook | undefined;
}

export interface AuthenticationResult {
  user: User;
  credential: Passkey;
  /** ES256 JWT: sub = user id, aud = RP ID, amr from the credential's facts */
  idToken: string;
  /** The claims of `idToken`, as signed (read these; never decode the token) */
  idTokenClaims: IdTokenPayload;
}

/** WebAuthn authentication (§7.2): start builds request options and a session; complete verifies, advances the counter and issues an ID token. */
export class AuthenticationCeremony {
  readonly #deps: CeremonyDeps;
  /** Imported credential public keys, so a sign-in verifies without decoding and importing the key (made with the verifier) */
  #credentialKeys: CredentialKeyCache | undefined;

  constructor(deps: CeremonyDeps) {
    this.#deps = deps;
    this.#credentialKeys = deps.credentialKeys;
  }

  async start(actor: Actor, input: StartAuthenticationInput): Promise<StartedCeremony<PublicKeyCredentialRequestOptionsJSON>> {
    const { db, clock, identity, relyingParties, policies } = this.#deps;
    const now = clock.now();
    const store = input.store ?? (await identity.findStore(actor.tenantId, input.storeName));
    const rp = await relyingParties.findForStore(store, input.rpId);
    const policy = await policies.findAuthenticationPolicyForStore(store, input.policyName);

    let userId: string | null = null;
    let userHandle: string | null = null;
    let allowed: CredentialDescriptor[] = [];
    if (input.user) {
      const user = 'row' in input.user ? input.user.row : await getUserInStore(db, store.id, input.storeName, input.user);
      assertMayUsePasskeys(user);
      allowed = 'row' in input.user ? [...input.user.credentials] : await credentialDescriptors(db, user.id, rp.id);
      // An empty allowCredentials would turn this into a discoverable sign-in for anyone.
      if (allowed.length === 0) throw new KeywayError('PASSKEY_NOT_FOUND', `User ${user.id} has no passkey for relying party ${rp.id}; register one first`);
      userId = user.id;
      userHandle = user.user_handle;
    } else if (input.decoyCredentials !== undefined && input.decoyCredentials.length > 0) {
      allowed = [...input.decoyCredentials];
    } else if (!policy.allowDiscoverable) {
      throw new KeywayError('DISCOVERABLE_NOT_ALLOWED', `The authentication policy ${policy.name} requires naming the user`);
    }

    const challenge = newChallenge();
    const sessionId = newCeremonySessionId(now);
    const expiresAt = now.getTime() + policy.timeout;
    const options = requestOptions({ rpId: rp.id, policy, challenge, allowed });
    let refusal: KeywayError | undefined;
    await inSmallTransaction(db, async (trx) => {
      // Serves only this ceremony: its outcome commit makes it durable (relaxed-commit.ts).
      await relaxCommit(trx);
      refusal = await input.admit?.(trx);
      if (refusal) return;
      await insertSession(trx, {
        id: sessionId,
        tenant_id: actor.tenantId,
        store_id: store.id,
        user_id: userId,
        rp_id: rp.id,
        policy_name: policy.name,
        ceremony: 'authentication',
        challenge,
        user_handle: userHandle,
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
          action: 'passkey.authentication.start',
          targetType: 'user',
          targetId: userId,
          details: { store: input.storeName, rpId: rp.id, policy: policy.name, sessionId, discoverable: userId === null },
        },
        now,
      );
      await input.inTransaction?.(trx, { sessionId, challenge, expiresAt: new Date(expiresAt).toISOString() });
    });
    if (refusal) throw refusal;
    return { clientRequest: options, sessionId, expiresAt: new Date(expiresAt).toISOString() };
  }

  /** Verifies and records the outcome; a refusal (any coded error once the store is known) reaches the audit log with its code. */
  async complete(actor: Actor, input: CompleteAuthenticationInput): Promise<AuthenticationResult> {
    const store = input.store ?? (await this.#deps.identity.findStore(actor.tenantId, input.storeName));
    const now = this.#deps.clock.now();
    const refusal = { action: 'passkey.authenticate' as const, storeName: input.storeName, sessionId: input.sessionId, now };
    return recordingRefusals(this.#deps.db, actor, refusal, () => this.#complete(actor, input, store, now));
  }

  async #complete(actor: Actor, input: CompleteAuthenticationInput, store: Selectable<StoresTable>, now: Date): Promise<AuthenticationResult> {
    const { db, relyingParties, policies, signingKeys } = this.#deps;
    const lookup = { id: input.sessionId, tenantId: actor.tenantId, storeId: store.id, ceremony: 'authentication' as const, userId: input.userId };
    const session = input.session ? checkUsableSession(input.session, lookup, now) : await findUsableSession(db, lookup, now);
    const rp = await relyingParties.findForStore(store, session.rp_id);
    const policy = await policies.findAuthenticationPolicyForStore(store, session.policy_name);
    const issued = JSON.parse(session.options) as PublicKeyCredentialRequestOptionsJSON;
    const allowCredentialIds = (issued.allowCredentials ?? []).map((d) => d.id);

    // §7.2 steps 5–6: the credential named by rawId must be in allowCredentials (checked in
    // verifyAuthentication) and a credential record of the session's user (or, for a discoverable
    // sign-in, of some user of this store) for this RP. Anything else — unknown, another user's,
    // another store's or tenant's — is the same CREDENTIAL_NOT_ALLOWED, revealing nothing.
    const credentialId = canonicalBase64url((input.response as { rawId?: unknown } | undefined)?.rawId);
    if (credentialId === undefined || credentialId === '') throw new KeywayError('RESPONSE_MALFORMED', 'rawId must be the base64url credential ID');
    if (allowCredentialIds.length > 0 && !allowCredentialIds.includes(credentialId)) {
      throw new KeywayError('CREDENTIAL_NOT_ALLOWED', 'The credential is not one this session allows');
    }
    const found = await findCredentialWithOwner(db, { tenantId: actor.tenantId, storeId: store.id, rpId: session.rp_id }, credentialId);
    if (!found || (session.user_id !== null && found.record.user_id !== session.user_id)) {
      throw new KeywayError('CREDENTIAL_NOT_ALLOWED', 'The credential is not a passkey of this user for this relying party');
    }
    const { record, owner: user } = found;
    if (!user) throw new KeywayError('USER_NOT_FOUND', `No user ${record.user_id} in store ${input.storeName}`);
    assertMayUsePasskeys(user);

    const { verifyAuthentication, CredentialKeyCache } = await authenticationVerifier();
    const credentialKeys = (this.#credentialKeys ??= new CredentialKeyCache());
    const verified = await verifyAuthentication(
      input.response,
      {
        challenge: session.challenge,
        origins: rp.origins,
        crossOrigin: { topOrigins: rp.topOrigins },
        rpId: session.rp_id,
        requireUserVerification: policy.userVerification === 'required' || issued.userVerification === 'required',
        allowCredentialIds,
        account: { identified: session.user_id !== null, userHandle: user.user_handle },
        credential: {
          id: record.credential_id,
          publicKey: fromBase64url(record.public_key)!,
          counter: Number(record.sign_count),
          backupEligible: record.backup_eligible === 1,
        },
      },
      (credential) => credentialKeys.publicKey({ tenantId: actor.tenantId, credentialId: credential.id }, credential.publicKey),
    );

    await input.admit?.({ userId: user.id, aaguid: record.aaguid, backupEligible: verified.backupEligible, attested: record.attestation_verified === 1 });

    const attested = record.attestation_verified === 1;
    // Signed before the transaction (signing may create the tenant's first key in a transaction of
    // its own) and returned only if the transaction commits.
    const { idToken, claims: idTokenClaims } = await signingKeys.signIdToken(actor.tenantId, {
      sub: user.id,
      aud: session.rp_id,
      authTime: now,
      amr: amrFor({ userVerified: verified.userVerified, backupEligible: verified.backupEligible, attestationVerified: attested }),
      store: input.storeName,
      externalId: user.external_id,
      credentialId,
      attested,
      deviceBound: !verified.backupEligible,
      ...(input.nonce === undefined ? {} : { nonce: input.nonce }),
    });

    await inSmallTransaction(db, async (trx) => {
      await consumeSession(trx, session.id, now);
      // §7.2 steps 23 and 25, atomically: the counter still advances over what is stored now.
      const recorded = await recordCredentialUse(trx, record.id, { counter: verified.newCounter, backedUp: verified.backedUp, at: now.getTime() });
      if (!recorded) {
        const still = await trx.selectFrom('credentials').select('sign_count').where('id', '=', record.id).executeTakeFirst();
        if (!still) throw new KeywayError('CREDENTIAL_NOT_ALLOWED', 'The passkey was deleted during the sign-in');
        throw new KeywayError(
          'COUNTER_REGRESSION',
          `The signature counter is ${verified.newCounter}, not above the stored ${Number(still.sign_count)}: the authenticator may have been cloned`,
        );
      }
      await appendAuditEvent(
        trx,
        actor,
        {
          action: 'passkey.authenticate',
          targetType: 'passkey',
          targetId: credentialId,
          details: {
            store: input.storeName,
            userId: user.id,
            rpId: session.rp_id,
            policy: session.policy_name,
            sessionId: session.id,
            counter: verified.newCounter,
            userVerified: verified.userVerified,
            backedUp: verified.backedUp,
          },
        },
        now,
      );
      await input.inTransaction?.(trx, { userId: user.id, credentialId });
    });

    const updated = {
      ...record,
      sign_count: verified.newCounter,
      backed_up: verified.backedUp ? 1 : 0,
      last_used_at: now.getTime(),
      updated_at: now.getTime(),
    };
    return { user: toUser(user), credential: toPasskey(updated), idToken, idTokenClaims };
  }
}
