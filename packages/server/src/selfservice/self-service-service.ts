import type {
  AuthenticationResponseJSON,
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON,
  RegistrationResponseJSON,
} from '@simplewebauthn/server';
import type { Expression, ExpressionBuilder, Kysely, Selectable, SqlBool } from 'kysely';
import { appendAuditEvent, type Actor } from '../audit/audit-log.ts';
import { KeywayError, validationError } from '../errors/keyway-error.ts';
import type { IdentityService } from '../identity/identity-service.ts';
import { claimPendingAccount, isSignUpOwned, replaceAbandonedAccount } from '../identity/pending-accounts.ts';
import { columnsForUpdate, findUserByKey, isSignInBarred, normaliseEmail, toUser, type SearchedUserFields } from '../identity/user-record.ts';
import type { EmailService } from '../email/email-service.ts';
import { checkSolution, issueChallenge, type SignUpChallenge } from './sign-up-challenge.ts';
import { uniqueViolation } from '../storage/unique-violation.ts';
import type { User } from '../identity/user-schemas.ts';
import { describeAuthenticator } from '../passkeys/authenticator-catalog.ts';
import type { CeremonyService } from '../passkeys/ceremony-service.ts';
import type { CeremonySessionRow } from '../passkeys/ceremony-session-store.ts';
import { findUserInStore, getUserInStore, type ResolvedUser, type UserRow } from '../passkeys/ceremony-user.ts';
import type { CredentialService } from '../passkeys/credential-service.ts';
import type { AuthenticatorDirectory, DescribeAuthenticator } from '../passkeys/authenticator-directory.ts';
import type { PolicyService } from '../passkeys/policy-service.ts';
import type { RelyingPartyService } from '../passkeys/relying-party-service.ts';
import { credentialDescriptors, findCredential, type CredentialRow } from '../passkeys/credential-store.ts';
import { webOrigins } from '../passkeys/origin-rules.ts';
import type { Passkey } from '../passkeys/passkey-record.ts';
import { canonicalBase64url, newUserHandle } from '../passkeys/webauthn-encoding.ts';
import type { Clock } from '../shared/clock.ts';
import { normaliseIdentifier } from '../shared/identifier.ts';
import { decodeCursor, pageSize, toPage, type Page, type PageRequest } from '../shared/pagination.ts';
import { newTimeOrderedId } from '../shared/time-ordered-id.ts';
import { deepFreeze, VersionedCache } from '../shared/versioned-cache.ts';
import { nextEditVersion } from '../storage/edit-version.ts';
import type { EmailVerificationsTable, Schema, StoresTable, UsersTable } from '../storage/schema.ts';
import { findLiveSession, openBrowserSession, revokeSessionByToken, revokeUserSessions, type BrowserSessionRow } from './browser-sessions.ts';
import { hashBrowserToken, isBrowserToken, newBrowserToken } from './browser-tokens.ts';
import { DecoyCredentials } from './decoy-credentials.ts';
import type { MasterKey } from '../secrets/master-key.ts';
import { challengeOf, deleteFlow, findFlow, insertFlow, type FlowPurpose, type FlowRow } from './flows.ts';
import type { CeremonyStartHook } from '../passkeys/ceremony-deps.ts';
import { RateLimiter, rateLimitAddress, type RateLimitCheck } from '../http/rate-limiter.ts';
import { allowsAccountDeletion, parseSelfServiceConfig, type SelfServiceConfig } from './self-service-config.ts';
import { deviceLabel } from './device-label.ts';
import { isEmailAddress } from '../shared/formats.ts';
import { precompiled } from '../storage/precompiled-query.ts';
import { consumeRecoveryLink, EMAILED_LINK_CREATOR, findUsableRecoveryLink, newRecoveryLink, type RecoveryLinkRow } from './recovery-links.ts';
import { revokeRecoveryLinks } from '../identity/recovery-link-revocation.ts';
import { recoveryRecipient } from './recovery-recipient.ts';
import { recoveryEmailCapReached } from './recovery-email-cap.ts';

/** How long an e-mail verification link works. */
export const EMAIL_VERIFICATION_TTL_SECONDS = 24 * 3600;

/** A sign-in counts as fresh for this long: deleting a passkey needs one. */
export const FRESH_SIGN_IN_MS = 5 * 60 * 1000;
export const MAX_IDENTIFIER_LENGTH = 256;
const MAX_PASSKEYS_LISTED = 100;
/** The per-identifier ceiling across all addresses, as a multiple of the per-(identifier, address) limit. */
export const IDENTIFIER_CEILING_FACTOR = 10;

/** A user id no row has: an unknown identifier's credential lookup runs against it, like a known one's. */
const SHADOW_USER_ID = '~no-user~';

/** Resolved stores kept in memory per node. */
const CACHED_STORES = 10_000;

// Every browser request starts by reading its store's config_version (resolve): built once.
const storeVersion = precompiled((db, v: { tenantId: string; storeName: string }) =>
  db.selectFrom('stores').select(['id', 'config_version']).where('tenant_id', '=', v.tenantId).where('name', '=', v.storeName),
);

function identifierTaken(): KeywayError {
  return new KeywayError('IDENTIFIER_TAKEN', 'identifier: an account with this identifier already exists; sign in instead');
}

/** The account of an e-mail verification link no longer has the address it was sent to (changed, or the account is gone). */
function addressGone(): KeywayError {
  return new KeywayError('EMAIL_VERIFICATION_NOT_FOUND', 'The account no longer has the address this link was sent to');
}

function alreadyVerified(): KeywayError {
  return new KeywayError('EMAIL_ALREADY_VERIFIED', 'This address is verified already; the link can no longer disown it');
}

/** Whether the account's userKey is the address `email` (in comparison form, as addresses are stored). */
function identifiedBy(user: { user_key: string; user_key_normalized: string | null }, email: string): boolean {
  return (user.user_key_normalized ?? normaliseIdentifier(user.user_key)) === email;
}

/** Spends an e-mail verification link by compare-and-set, in the transaction of what it does: it works once. */
async function consumeEmailVerification(trx: Kysely<Schema>, id: string, now: Date): Promise<void> {
  const consumed = await trx
    .updateTable('email_verifications')
    .set({ consumed_at: now.getTime() })
    .where('id', '=', id)
    .where('consumed_at', 'is', null)
    .executeTakeFirst();
  if (Number(consumed.numUpdatedRows) !== 1) throw new KeywayError('EMAIL_VERIFICATION_USED', 'This verification link was just used');
}

function selfServiceDisabled(tenantId: string, storeName: string): KeywayError {
  return new KeywayError('SELF_SERVICE_DISABLED', `No self-service at ${tenantId}/${storeName}`);
}

export interface SelfServiceDeps {
  db: Kysely<Schema>;
  clock: Clock;
  identity: Pick<IdentityService, 'findStore' | 'preparePendingUser' | 'endWhatUserDeletionEnds' | 'deleteUser'>;
  ceremonies: Pick<CeremonyService, 'startRegistration' | 'completeRegistration' | 'startAuthentication' | 'completeAuthentication'>;
  credentials: Pick<CredentialService, 'rename'>;
  relyingParties: Pick<RelyingPartyService, 'findForStore'>;
  policies: Pick<PolicyService, 'findRegistrationPolicyForStore'>;
  /** Names and icons of passkey providers (the catalogue and the FIDO metadata a registration policy names) */
  authenticators: Pick<AuthenticatorDirectory, 'forSource'>;
  publicUrl: string;
  rateLimitPerIp: number;
  rateLimitPerIdentifier: number;
  /** Seals the decoy keys at rest */
  masterKey: MasterKey;
  /** The lost-passkey e-mail and address verification; refuses when no SMTP server is configured */
  email: Pick<EmailService, 'configured' | 'requireConfigured' | 'compose' | 'enqueue'>;
  /**
   * Ends, in the caller's transaction, everything the OpenID Provider issued for a user (oidc/oidc-revocation.ts,
   * `revokeIssuedForUser`, which sits above self-service): a recovery that ends the account's other sign-ins ends its
   * applications' sessions too. Answers how many artifacts went.
   */
  endClientSessions: (trx: Kysely<Schema>, actor: Actor, userId: string, details: { store: string; reason: string }, now: Date) => Promise<number>;
}

/** What the public routes know about the browser's request. */
export interface BrowserRequest {
  tenantId: string;
  storeName: string;
  requestId: string;
  clientIp: string;
  userAgent: string | undefined;
  /** The keyway_flow cookie, if any */
  flowToken: string | undefined;
  /** The keyway_session cookie, if any */
  sessionToken: string | undefined;
  /** The store as the routes already resolved it for CORS and CSRF (saves looking it up again) */
  target?: SelfServiceStore | undefined;
}

/** A store whose self-service is enabled: its row, configuration and the RP's web origins (for CORS and CSRF). */
export interface SelfServiceStore {
  store: Selectable<StoresTable>;
  config: SelfServiceConfig;
  origins: string[];
}

/** A started ceremony for the browser, and the flow cookie that binds it to the browser. */
export interface BrowserCeremony<Options> {
  publicKey: Options;
  flowToken: string;
}

/** A browser session just opened: the cookie value and when it ends. */
export interface OpenedSession {
  token: string;
  expiresAt: Date;
  /** For the cookie's Max-Age: the store's session lifetime */
  maxAgeSeconds: number;
}

export interface SignedIn<Body> {
  body: Body;
  session: OpenedSession;
}

export interface MyPasskey {
  id: string;
  name: string | null;
  authenticatorName: string | null;
  authenticatorIcon: string | null;
  synced: boolean;
  backupEligible: boolean;
  transports: string[];
  createdAt: string;
  lastUsedAt: string | null;
  current: boolean;
  device: string | null;
}

/** A finished recovery: the account, its new passkey, and what of the account's other access was revoked and why. */
export interface RecoveryFinished {
  user: SelfServiceUser;
  credential: Passkey;
  revokedPasskeys: number;
  revokedSessions: number;
  /** The account's other outstanding recovery links, revoked by every recovery */
  revokedRecoveryLinks: number;
  /** `requested`: revokeOthers; `emailUnverified`: an e-mailed link to an unverified address (always); null: nothing revoked */
  revokedBecause: 'requested' | 'emailUnverified' | null;
}

export interface BrowserSessionView {
  id: string;
  userId: string;
  credentialId: string | null;
  clientIp: string | null;
  userAgent: string | null;
  createdAt: string;
  authenticatedAt: string;
  expiresAt: string;
}

const iso = (ms: number) => new Date(Number(ms)).toISOString();

/** The user as the browser sees it: the API's user plus the name to greet them by. */
export type SelfServiceUser = User & { displayName: string };

function toSelfServiceUser(user: User): SelfServiceUser {
  return { ...user, displayName: displayNameOf(user) };
}

function displayNameOf(user: User): string {
  return user.attributes.displayName ?? ([user.firstName, user.lastName].filter((n) => n !== undefined).join(' ') || user.userKey);
}

function toMyPasskey(row: CredentialRow, currentCredentialId: string | null, describe: DescribeAuthenticator): MyPasskey {
  const authenticator = describe(row.aaguid);
  return {
    id: row.credential_id,
    name: row.name,
    authenticatorName: authenticator?.name ?? null,
    authenticatorIcon: authenticator?.iconLight ?? null,
    synced: row.backed_up === 1,
    backupEligible: row.backup_eligible === 1,
    transports: JSON.parse(row.transports) as string[],
    createdAt: iso(row.created_at),
    lastUsedAt: row.last_used_at === null ? null : iso(row.last_used_at),
    current: row.credential_id === currentCredentialId,
    device: row.created_device,
  };
}

function toSessionView(row: BrowserSessionRow): BrowserSessionView {
  return {
    id: row.id,
    userId: row.user_id,
    credentialId: row.credential_id,
    clientIp: row.client_ip,
    userAgent: row.user_agent,
    createdAt: iso(row.created_at),
    authenticatedAt: iso(row.authenticated_at),
    expiresAt: iso(row.expires_at),
  };
}

/**
 * The browser-facing self-service API of a store: sign-up, sign-in (identifier-first and
 * usernameless), sessions, the user's passkeys and account recovery. Every WebAuthn check is the ceremony service's;
 * this layer adds the browser binding, sessions, enumeration resistance and rate limits.
 */
/** The condition under which a disown changes an account: it is still as the disown read it. */
type UnchangedAccount = (eb: ExpressionBuilder<Schema, 'users'>) => Expression<SqlBool>;

export class SelfServiceService {
  readonly #deps: SelfServiceDeps;
  readonly #db: Kysely<Schema>;
  readonly #decoys: DecoyCredentials;
  readonly #limiter: RateLimiter;
  /** Resolved stores by id, at their config_version (shared by every request: frozen) */
  readonly #targets = new VersionedCache<SelfServiceStore>(CACHED_STORES);

  constructor(deps: SelfServiceDeps) {
    this.#deps = deps;
    this.#db = deps.db;
    this.#decoys = new DecoyCredentials({ db: deps.db, clock: deps.clock, masterKey: deps.masterKey });
    this.#limiter = new RateLimiter({ db: deps.db, clock: deps.clock });
  }

  /**
   * The store if its self-service is enabled; an unknown tenant or store answers exactly the same 404. Every browser
   * request starts here, so the store's row, settings and origins come from memory while its config_version (read
   * here, once per request) is unchanged.
   */
  async resolve(tenantId: string, storeName: string): Promise<SelfServiceStore> {
    const current = await storeVersion.first(this.#db, { tenantId, storeName });
    if (!current) throw selfServiceDisabled(tenantId, storeName);
    return this.#targets.get(current.id, current.config_version, () => this.#loadTarget(tenantId, storeName));
  }

  async #loadTarget(tenantId: string, storeName: string): Promise<SelfServiceStore> {
    const store = await this.#db.selectFrom('stores').selectAll().where('tenant_id', '=', tenantId).where('name', '=', storeName).executeTakeFirst();
    const config = store ? parseSelfServiceConfig(store.self_service) : undefined;
    if (!store || !config?.enabled) throw selfServiceDisabled(tenantId, storeName);
    const rp = await this.#deps.relyingParties.findForStore(store, config.relyingPartyId).catch((error: unknown) => {
      if (error instanceof KeywayError && error.code === 'RELYING_PARTY_NOT_FOUND') throw selfServiceDisabled(tenantId, storeName);
      throw error;
    });
    return deepFreeze({ store, config, origins: webOrigins(rp.origins) });
  }

  // ── sign-up ─────────────────────────────────────────────────────────────

  /** A sign-up challenge to solve (sign-up-challenge.ts); answered whether or not the store asks for one. */
  async signUpChallenge(request: BrowserRequest): Promise<SignUpChallenge> {
    const target = await this.#target(request);
    await this.#limit(request, undefined);
    if (!target.config.allowSignUp) throw new KeywayError('SIGN_UP_DISABLED', 'Accounts of this store are created by its administrators');
    return issueChallenge(await this.#decoys.challengeKey(request.tenantId), this.#deps.clock.now());
  }

  /**
   * A store with `signUpChallenge` on takes a sign-up only with a solved challenge, once: the solution is recorded as
   * used (until it expires: then the retention sweep deletes the record), and a second use is refused like a wrong one.
   */
  async #requireSolvedChallenge(request: BrowserRequest, payload: string | undefined): Promise<void> {
    if (payload === undefined)
      throw new KeywayError('SIGN_UP_CHALLENGE_REQUIRED', 'challenge: this store asks for a solved sign-up challenge (POST …/register/challenge)');
    const now = this.#deps.clock.now();
    const solved = checkSolution(await this.#decoys.challengeKey(request.tenantId), payload, now);
    try {
      await this.#db
        .insertInto('selfservice_used_challenges')
        .values({ tenant_id: request.tenantId, challenge: solved.challenge, expires_at: solved.expiresAt })
        .execute();
    } catch (error) {
      if (uniqueViolation(error) !== undefined) throw new KeywayError('SIGN_UP_CHALLENGE_INVALID', 'challenge: already used; ask for a new challenge');
      throw error;
    }
  }

  async registerBegin(
    request: BrowserRequest,
    input: { identifier: string; displayName?: string | undefined; challenge?: string | undefined },
  ): Promise<BrowserCeremony<PublicKeyCredentialCreationOptionsJSON>> {
    const target = await this.#target(request);
    const identifier = this.#identifier(input.identifier);
    const limits = this.#limitChecks(request, identifier);
    // Every call is charged, a refused one too, and before its answer can tell whether an account exists. The common
    // case, a new account, is charged in the transaction that stores it and starts its ceremony (one commit); every
    // other way out is charged on its own before it answers (chargeNow).
    let charged = false;
    const chargeNow = async () => {
      if (charged) return;
      charged = true;
      await this.#limiter.hitAll(limits);
    };
    let refused: KeywayError | undefined;
    const admit = async (trx: Kysely<Schema>) => {
      if (!charged) refused = await this.#limiter.charge(trx, limits);
      return refused;
    };
    const actor = this.#actor(request);
    const displayName = input.displayName?.trim() || undefined;
    let user: Selectable<UsersTable> | undefined;
    let account: ReturnType<IdentityService['preparePendingUser']> | undefined;
    try {
      if (!target.config.allowSignUp) throw new KeywayError('SIGN_UP_DISABLED', 'Accounts of this store are created by its administrators');
      if (target.config.signUpChallenge === true) {
        // The solution is checked and recorded as used only once the call is charged.
        await chargeNow();
        await this.#requireSolvedChallenge(request, input.challenge);
      }
      // A store that verifies e-mail addresses signs up with one (the same rule as the admin API's `email`).
      if (target.config.verifyEmail === true && !isEmailAddress(identifier))
        throw validationError('identifier', 'must be an e-mail address: this store verifies e-mail addresses at sign-up');

      // The account is created pending at the start (a ceremony needs its user) and activated by the finish
      // (pending-accounts.ts). Another browser's unfinished sign-up does not hold the identifier: starting again reuses
      // its account. An abandoned pending account (a sign-up's or a journey's) is replaced; a journey's that is still
      // fresh holds it, like a finished account.
      const now = this.#deps.clock.now();
      user = await findUserByKey(this.#db, target.store.id, identifier);
      if (user && (await replaceAbandonedAccount(this.#db, { storeId: target.store.id, userKey: identifier, now }))) user = undefined;
      if (user) {
        const pending = await this.#db.selectFrom('selfservice_pending_signups').select('created_by').where('user_id', '=', user.id).executeTakeFirst();
        const hasPasskey = await this.#db.selectFrom('credentials').select('id').where('user_id', '=', user.id).limit(1).executeTakeFirst();
        if (!pending || !isSignUpOwned(pending.created_by) || hasPasskey) throw identifierTaken();
      } else {
        // A new account is built here and stored by the ceremony's transaction, with its user handle: the ceremony
        // starts from this row. Neither it nor a pending account found above (no passkey at all) has a credential to
        // exclude.
        account = this.#deps.identity.preparePendingUser(
          actor,
          target.store,
          {
            userKey: identifier,
            ...(target.config.verifyEmail === true ? { email: identifier } : {}),
            ...(displayName ? { attributes: { displayName } } : {}),
          },
          'self-service',
          { userHandle: newUserHandle() },
        );
      }
    } catch (error) {
      await chargeNow();
      throw error;
    }

    let userId = (user ?? account!.row).id;
    const binding = this.#flowBinding(request, target, 'sign-up', { identifier, userId: () => userId });
    const start = (ceremonyUser: ResolvedUser | { id: string }, prepare?: (trx: Kysely<Schema>) => Promise<void>) =>
      this.#deps.ceremonies.startRegistration(actor, {
        storeName: request.storeName,
        store: target.store,
        user: ceremonyUser,
        rpId: target.config.relyingPartyId,
        policyName: target.config.registrationPolicy,
        userName: identifier,
        userDisplayName: displayName ?? displayNameOf(toUser('row' in ceremonyUser ? ceremonyUser.row : user!)),
        context: { via: 'self-service', purpose: 'sign-up', requestId: request.requestId },
        admit,
        prepare,
        inTransaction: binding.bind,
      });
    let started;
    try {
      try {
        started = await start({ row: user ?? account!.row, credentials: [] }, account?.write);
      } catch (error) {
        if (!(account && error instanceof KeywayError && error.code === 'USER_KEY_NOT_UNIQUE')) throw error;
        // A concurrent sign-up created the account first: that one's pending account is used, read again by the
        // ceremony (it may have finished meanwhile: then taken).
        const other = await findUserByKey(this.#db, target.store.id, identifier);
        if (!other) throw identifierTaken();
        user = other;
        userId = other.id;
        started = await start({ id: other.id });
      }
    } catch (error) {
      // The admission's refusal was committed with its charge; any other failure rolled the charge back (or came
      // before it).
      if (error !== refused) await chargeNow();
      throw error;
    }
    return { publicKey: started.clientRequest, flowToken: binding.token };
  }

  async registerFinish(request: BrowserRequest, response: RegistrationResponseJSON): Promise<SignedIn<{ user: SelfServiceUser; credential: Passkey }>> {
    const { target, flow, session: ceremonySession } = await this.#finishFlow(request, 'sign-up', response);
    const actor = this.#actor(request);
    const now = this.#deps.clock.now();
    let session: OpenedSession | undefined;
    let activated: Selectable<UsersTable> | undefined;
    // With verification on (and an SMTP server), the new account's address gets a link, queued with the sign-up.
    const verification =
      target.config.verifyEmail === true && this.#deps.email.configured && flow.identifier !== null
        ? await this.#emailVerification(request, target, normaliseEmail(flow.identifier), now)
        : undefined;
    const credential = await this.#deps.ceremonies.completeRegistration(actor, {
      storeName: request.storeName,
      store: target.store,
      sessionId: flow.ceremony_session_id,
      session: ceremonySession,
      device: deviceLabel(request.userAgent),
      ...(flow.user_id === null ? {} : { userId: flow.user_id }),
      response,
      inTransaction: async (trx, { userId, credentialId }) => {
        // The first finish of a sign-up claims the account; a second browser racing for the same identifier is refused.
        activated = await claimPendingAccount(trx, userId, now);
        await deleteFlow(trx, flow.id);
        session = await this.#openSession(trx, request, target, userId, credentialId, now);
        await verification?.queue(trx, userId);
        await appendAuditEvent(
          trx,
          actor,
          {
            action: 'selfservice.signUp',
            targetType: 'user',
            targetId: userId,
            details: { store: request.storeName, credentialId, clientIp: request.clientIp },
          },
          now,
        );
      },
    });
    // The account as its activation left it (read back only if it was no longer pending, e.g. locked meanwhile).
    const user = activated ?? (await getUserInStore(this.#db, target.store.id, request.storeName, { id: credential.userId }));
    return { body: { user: toSelfServiceUser(toUser(user)), credential }, session: session! };
  }

  // ── sign-in ─────────────────────────────────────────────────────────────

  async loginOptions(request: BrowserRequest, input: { identifier?: string | undefined }): Promise<BrowserCeremony<PublicKeyCredentialRequestOptionsJSON>> {
    const target = await this.#target(request);
    const identifier = input.identifier === undefined ? undefined : this.#identifier(input.identifier);
    const limits = this.#limitChecks(request, identifier);
    const actor = this.#actor(request);
    const base = {
      storeName: request.storeName,
      store: target.store,
      rpId: target.config.relyingPartyId,
      policyName: target.config.authenticationPolicy,
      context: { via: 'self-service', purpose: 'sign-in', requestId: request.requestId },
      // Charged in the transaction that starts the ceremony (one commit): a refused call is still counted. The lookups
      // before it are reads; the work a flood can make without being charged is bounded by them.
      admit: (trx: Kysely<Schema>) => this.#limiter.charge(trx, limits),
    };
    let userId: string | undefined;
    let started;
    const binding = this.#flowBinding(request, target, 'sign-in', { identifier, userId: () => userId });
    if (identifier === undefined) {
      started = await this.#deps.ceremonies.startAuthentication(actor, { ...base, inTransaction: binding.bind });
    } else {
      // Known and unknown identifiers do the same work (user lookup, credential lookup, decoys) and answer the same
      // shape and count (DecoyCredentials: padded to the identifier's stable minimum); an account that cannot sign in
      // (no passkey yet, locked, disabled) answers like an unknown identifier. The ceremony is handed what was looked
      // up here, so it reads neither again. (Read in one joined statement, the two took four times as long: measured.)
      const user = await findUserByKey(this.#db, target.store.id, identifier);
      const passkeys = await credentialDescriptors(this.#db, user?.id ?? SHADOW_USER_ID, target.config.relyingPartyId);
      const usable = user !== undefined && passkeys.length > 0 && user.status !== 'locked' && user.status !== 'disabled';
      const decoys = await this.#decoys.paddingFor(
        request.tenantId,
        { storeId: target.store.id, rpId: target.config.relyingPartyId },
        identifier,
        usable ? passkeys.length : 0,
      );
      if (usable) {
        userId = user.id;
        started = await this.#deps.ceremonies.startAuthentication(actor, {
          ...base,
          inTransaction: binding.bind,
          user: { row: user, credentials: [...passkeys, ...decoys] },
        });
      } else {
        started = await this.#deps.ceremonies.startAuthentication(actor, { ...base, inTransaction: binding.bind, decoyCredentials: decoys });
      }
    }
    return { publicKey: started.clientRequest, flowToken: binding.token };
  }

  async loginFinish(
    request: BrowserRequest,
    response: AuthenticationResponseJSON,
  ): Promise<SignedIn<{ user: SelfServiceUser; credential: Passkey; idToken: string }>> {
    const { target, flow, session: ceremonySession } = await this.#finishFlow(request, 'sign-in', response);
    const actor = this.#actor(request);
    const now = this.#deps.clock.now();
    let session: OpenedSession | undefined;
    try {
      const result = await this.#deps.ceremonies.completeAuthentication(actor, {
        storeName: request.storeName,
        store: target.store,
        sessionId: flow.ceremony_session_id,
        session: ceremonySession,
        response,
        inTransaction: async (trx, { userId, credentialId }) => {
          await deleteFlow(trx, flow.id);
          session = await this.#openSession(trx, request, target, userId, credentialId, now);
          await appendAuditEvent(
            trx,
            actor,
            {
              action: 'selfservice.signIn',
              targetType: 'user',
              targetId: userId,
              details: { store: request.storeName, credentialId, discoverable: flow.identifier === null, clientIp: request.clientIp },
            },
            now,
          );
        },
      });
      return { body: { user: toSelfServiceUser(result.user), credential: result.credential, idToken: result.idToken }, session: session! };
    } catch (error) {
      // A credential this store does not know (deleted, or never registered here): the SDK tells the authenticator
      // with signalUnknownCredential. It reveals nothing the holder of the credential does not know.
      if (error instanceof KeywayError && error.code === 'CREDENTIAL_NOT_ALLOWED') {
        const credentialId = canonicalBase64url((response as { rawId?: unknown }).rawId);
        const known =
          credentialId === undefined
            ? undefined
            : await findCredential(this.#db, { tenantId: request.tenantId, storeId: target.store.id, rpId: target.config.relyingPartyId }, credentialId);
        if (!known) throw new KeywayError('CREDENTIAL_NOT_FOUND', 'This passkey is not registered here (it may have been deleted); use another one');
      }
      throw error;
    }
  }

  // ── session ─────────────────────────────────────────────────────────────

  async logout(request: BrowserRequest): Promise<void> {
    await this.#target(request);
    const now = this.#deps.clock.now();
    await this.#db.transaction().execute(async (trx) => {
      const revoked = await revokeSessionByToken(trx, request.tenantId, request.sessionToken, now);
      if (revoked)
        await appendAuditEvent(
          trx,
          this.#actor(request),
          { action: 'selfservice.logout', targetType: 'user', targetId: revoked.user_id, details: { store: request.storeName, sessionId: revoked.id } },
          now,
        );
    });
  }

  async me(request: BrowserRequest): Promise<{ user: SelfServiceUser; session: { createdAt: string; expiresAt: string; authenticatedAt: string } }> {
    const { session, user } = await this.#requireSession(request);
    return {
      user: toSelfServiceUser(toUser(user)),
      session: { createdAt: iso(session.created_at), expiresAt: iso(session.expires_at), authenticatedAt: iso(session.authenticated_at) },
    };
  }

  // ── my account ──────────────────────────────────────────────────────────

  /**
   * The signed-in user deletes their own account (the right to erasure): the same deletion as an administrator's
   * (IdentityService.deleteUser: one transaction; the foreign keys take the passkeys, sessions, flows, links and queued
   * e-mails, the deletion hooks what the OpenID Provider issued, journey instances and ceremony sessions), audited as
   * `user.delete` by the `self-service` actor, i.e. at the user's own request. Needs the store's `accountDeletion`
   * (on unless set false) and a sign-in from the last 5 minutes. A locked or disabled account has no session
   * (SESSION_REQUIRED): its user cannot delete it, its administrators can.
   */
  async deleteAccount(request: BrowserRequest): Promise<void> {
    const { target, session, user } = await this.#requireSession(request);
    if (!allowsAccountDeletion(target.config))
      throw new KeywayError('ACCOUNT_DELETION_DISABLED', 'Accounts of this store are deleted by its administrators; ask them');
    this.#requireFresh(session, 'Deleting your account');
    try {
      await this.#deps.identity.deleteUser(this.#actor(request), request.storeName, { id: user.id });
    } catch (error) {
      // Deleted meanwhile (by an administrator, or by this user in another tab): its sessions went with it.
      if (error instanceof KeywayError && error.code === 'USER_NOT_FOUND')
        throw new KeywayError('SESSION_REQUIRED', 'Sign in first (this account no longer exists)');
      throw error;
    }
  }

  // ── my passkeys ─────────────────────────────────────────────────────────

  async myPasskeys(request: BrowserRequest): Promise<{ items: MyPasskey[]; rpId: string; userId: string | null; allCredentialIds: string[] }> {
    const { target, session, user } = await this.#requireSession(request);
    const rows = await this.#db
      .selectFrom('credentials')
      .selectAll()
      .where('user_id', '=', user.id)
      .where('rp_id', '=', target.config.relyingPartyId)
      .orderBy('id')
      .limit(MAX_PASSKEYS_LISTED)
      .execute();
    const describe = await this.#describeFor(target);
    return {
      items: rows.map((row) => toMyPasskey(row, session.credential_id, describe)),
      rpId: target.config.relyingPartyId,
      userId: user.user_handle,
      allCredentialIds: rows.map((row) => row.credential_id),
    };
  }

  async renamePasskey(request: BrowserRequest, credentialId: string, name: string): Promise<MyPasskey> {
    const { target, session, user } = await this.#requireSession(request);
    const renamed = await this.#deps.credentials.rename(this.#actor(request), { storeName: request.storeName, userId: user.id, credentialId }, name);
    const row = await findCredential(this.#db, { tenantId: request.tenantId, storeId: target.store.id, rpId: renamed.rpId }, renamed.credentialId);
    if (!row) throw new KeywayError('PASSKEY_NOT_FOUND', `You have no passkey ${credentialId}`);
    return toMyPasskey(row, session.credential_id, await this.#describeFor(target));
  }

  async deletePasskey(request: BrowserRequest, credentialId: string): Promise<void> {
    const { session, user } = await this.#requireSession(request);
    const now = this.#deps.clock.now();
    this.#requireFresh(session, 'Deleting a passkey');
    const id = canonicalBase64url(credentialId);
    await this.#db.transaction().execute(async (trx) => {
      // Serialises deletions of one user's passkeys (a row lock on PostgreSQL; SQLite transactions are exclusive),
      // so two concurrent deletions cannot remove the last two passkeys together.
      // The user's updatedAt moves, so it is a new version: an admin's copy loaded before this is stale.
      await trx.updateTable('users').set({ updated_at: now.getTime(), edit_version: nextEditVersion }).where('id', '=', user.id).execute();
      const row =
        id === undefined
          ? undefined
          : await trx.selectFrom('credentials').selectAll().where('user_id', '=', user.id).where('credential_id', '=', id).executeTakeFirst();
      if (!row) throw new KeywayError('PASSKEY_NOT_FOUND', `You have no passkey ${credentialId}`);
      const count = await trx
        .selectFrom('credentials')
        .select((eb) => eb.fn.countAll().as('n'))
        .where('user_id', '=', user.id)
        .where('rp_id', '=', row.rp_id)
        .executeTakeFirstOrThrow();
      if (Number(count.n) <= 1) throw new KeywayError('LAST_PASSKEY', 'This is your only passkey: add another one before deleting it');
      await trx.deleteFrom('credentials').where('id', '=', row.id).execute();
      await appendAuditEvent(
        trx,
        this.#actor(request),
        {
          action: 'passkey.delete',
          targetType: 'passkey',
          targetId: row.credential_id,
          details: { store: request.storeName, userId: user.id, rpId: row.rp_id, aaguid: row.aaguid, via: 'self-service' },
        },
        now,
      );
    });
  }

  /** A new passkey for the signed-in user (my passkeys → add); like deletion it needs a fresh sign-in. */
  async addPasskeyBegin(request: BrowserRequest): Promise<BrowserCeremony<PublicKeyCredentialCreationOptionsJSON>> {
    const { target, session, user } = await this.#requireSession(request);
    await this.#limit(request, user.user_key);
    this.#requireFresh(session, 'Adding a passkey');
    const binding = this.#flowBinding(request, target, 'add-passkey', { identifier: user.user_key, userId: user.id });
    const started = await this.#deps.ceremonies.startRegistration(this.#actor(request), {
      storeName: request.storeName,
      store: target.store,
      user: { id: user.id },
      rpId: target.config.relyingPartyId,
      policyName: target.config.registrationPolicy,
      userName: user.user_key,
      userDisplayName: displayNameOf(toUser(user)),
      context: { via: 'self-service', purpose: 'add-passkey', requestId: request.requestId },
      inTransaction: binding.bind,
    });
    return { publicKey: started.clientRequest, flowToken: binding.token };
  }

  async addPasskeyFinish(request: BrowserRequest, response: RegistrationResponseJSON): Promise<MyPasskey> {
    const { target, session, user } = await this.#requireSession(request);
    await this.#limit(request, user.user_key);
    this.#requireFresh(session, 'Adding a passkey');
    const { flow, session: ceremonySession } = await this.#flow(request, target, 'add-passkey', response);
    if (flow.user_id !== user.id) throw new KeywayError('FLOW_NOT_FOUND', 'This ceremony was started for another account; start again');
    const actor = this.#actor(request);
    const now = this.#deps.clock.now();
    const passkey = await this.#deps.ceremonies.completeRegistration(actor, {
      storeName: request.storeName,
      store: target.store,
      sessionId: flow.ceremony_session_id,
      session: ceremonySession,
      device: deviceLabel(request.userAgent),
      userId: user.id,
      response,
      inTransaction: async (trx, { credentialId }) => {
        await deleteFlow(trx, flow.id);
        await appendAuditEvent(
          trx,
          actor,
          {
            action: 'selfservice.passkey.add',
            targetType: 'passkey',
            targetId: credentialId,
            details: { store: request.storeName, userId: user.id, sessionId: session.id },
          },
          now,
        );
      },
    });
    const row = await findCredential(this.#db, { tenantId: request.tenantId, storeId: target.store.id, rpId: passkey.rpId }, passkey.credentialId);
    if (!row) throw new Error(`The passkey ${passkey.credentialId} was deleted right after it was added`);
    return toMyPasskey(row, session.credential_id, await this.#describeFor(target));
  }

  // ── recovery ────────────────────────────────────────────────────────────

  /** Admin API: a one-time, expiring link that lets the user register a new passkey. */
  async createRecoveryLink(
    actor: Actor,
    storeName: string,
    userId: string,
    ttlSeconds: number | undefined,
  ): Promise<{ id: string; url: string; expiresAt: string }> {
    const store = await this.#deps.identity.findStore(actor.tenantId, storeName);
    const config = parseSelfServiceConfig(store.self_service);
    if (!config?.enabled)
      throw new KeywayError('SELF_SERVICE_DISABLED', `Self-service is not enabled for store ${storeName}; recovery links open its hosted pages`);
    const user = await getUserInStore(this.#db, store.id, storeName, { id: userId });
    const now = this.#deps.clock.now();
    const ttl = ttlSeconds ?? config.recoveryLinkTtlSeconds;
    const link = newRecoveryLink({ publicUrl: this.#deps.publicUrl, tenantId: actor.tenantId, storeName, now, ttlSeconds: ttl });
    await this.#db.transaction().execute(async (trx) => {
      await link.insert(trx, { storeId: store.id, userId: user.id, createdBy: actor.actor });
      await appendAuditEvent(
        trx,
        actor,
        {
          action: 'selfservice.recoveryLink.create',
          targetType: 'user',
          targetId: user.id,
          details: { store: storeName, linkId: link.id, expiresAt: iso(link.expiresAt) },
        },
        now,
      );
    });
    return { id: link.id, url: link.url, expiresAt: iso(link.expiresAt) };
  }

  /** Admin API: revokes the user's outstanding recovery links (a link sent to the wrong person, a suspected leak); audited with the count. */
  async revokeRecoveryLinks(actor: Actor, storeName: string, userId: string): Promise<{ revoked: number }> {
    const now = this.#deps.clock.now();
    return this.#db.transaction().execute(async (trx) => {
      const store = await this.#deps.identity.findStore(actor.tenantId, storeName, trx);
      const user = await getUserInStore(trx, store.id, storeName, { id: userId });
      const revoked = await revokeRecoveryLinks(trx, user.id, now);
      await appendAuditEvent(
        trx,
        actor,
        { action: 'selfservice.recoveryLink.revoke', targetType: 'user', targetId: user.id, details: { store: storeName, reason: 'admin', count: revoked } },
        now,
      );
      return { revoked };
    });
  }

  /**
   * "I lost my passkey": e-mails a one-time recovery link (the admin's kind, to the same recovery page) to the store's
   * user with this address (recovery-recipient.ts: which one, when users share it). The answer is the same whether or
   * not there is one, and both cases take the same path (the lookup, the e-mail rendered, one transaction with its
   * audit event), so neither the answer nor its timing tells whether the address has an account. Rate-limited per
   * client address and per e-mail address; beyond RECOVERY_EMAILS_PER_ADDRESS in 15 minutes the answer is the same and
   * nothing is sent (`capped`, for the log).
   */
  async requestRecoveryEmail(request: BrowserRequest, input: { email: string; language?: string | undefined }): Promise<{ capped: boolean }> {
    const target = await this.#target(request);
    this.#deps.email.requireConfigured();
    const address = normaliseEmail(input.email.trim());
    await this.#limit(request, `recovery-email:${address}`);
    const recipient = await recoveryRecipient(this.#db, target.store.id, address);
    const user = recipient.user;
    // A locked or disabled account is not recovered by e-mail (the administrators decide about it).
    const eligible = user !== undefined && user.status !== 'locked' && user.status !== 'disabled';
    const now = this.#deps.clock.now();
    const ttl = target.config.recoveryLinkTtlSeconds;
    const link = newRecoveryLink({ publicUrl: this.#deps.publicUrl, tenantId: request.tenantId, storeName: request.storeName, now, ttlSeconds: ttl });
    const email = await this.#deps.email.compose({
      store: target.store,
      to: address,
      purpose: 'lost-passkey',
      content: { kind: 'lostPasskey', link: link.url, expiresInMinutes: Math.round(ttl / 60) },
      languages: [user?.locale_language, input.language],
      // The account it is about: a queued e-mail goes with a deleted account (email_outbox.user_id cascades).
      userId: user?.id,
    });
    const actor = this.#actor(request);
    return this.#db.transaction().execute(async (trx) => {
      // Over the address's cap the answer stays the same and nothing is sent (recovery-email-cap.ts).
      const capped = await recoveryEmailCapReached(trx, this.#limiter, {
        tenantId: request.tenantId,
        address,
        userId: eligible ? user.id : undefined,
        now,
      });
      const sent = eligible && !capped;
      let replaced = 0;
      if (sent) {
        // The newest e-mail is the one the reader follows; an older link left in an inbox (or a mailbox someone else
        // reads) must not stay usable beside it.
        replaced = await revokeRecoveryLinks(trx, user.id, now, EMAILED_LINK_CREATOR);
        await link.insert(trx, { storeId: target.store.id, userId: user.id, createdBy: EMAILED_LINK_CREATOR });
        await this.#deps.email.enqueue(trx, email, now);
      }
      await appendAuditEvent(
        trx,
        actor,
        {
          action: 'selfservice.recoveryEmail.request',
          targetType: eligible ? 'user' : 'store',
          targetId: eligible ? user.id : target.store.id,
          outcome: sent ? 'success' : 'failure',
          details: {
            store: request.storeName,
            clientIp: request.clientIp,
            ...(sent
              ? { linkId: link.id, replacedLinks: replaced }
              : { reason: capped ? 'too many recovery e-mails' : user ? 'account not active' : recipient.reason }),
          },
        },
        now,
      );
      return { capped };
    });
  }

  async recoveryBegin(
    request: BrowserRequest,
    token: string,
  ): Promise<BrowserCeremony<PublicKeyCredentialCreationOptionsJSON> & { user: { userKey: string; displayName: string } }> {
    const target = await this.#target(request);
    await this.#limit(request, `recovery:${hashBrowserToken(token)}`);
    const link = await findUsableRecoveryLink(this.#db, target.store.id, token, this.#deps.clock.now());
    const user = await getUserInStore(this.#db, target.store.id, request.storeName, { id: link.user_id });
    const binding = this.#flowBinding(request, target, 'recovery', { userId: user.id, recoveryLinkId: link.id });
    const started = await this.#deps.ceremonies.startRegistration(this.#actor(request), {
      storeName: request.storeName,
      store: target.store,
      user: { id: user.id },
      rpId: target.config.relyingPartyId,
      policyName: target.config.registrationPolicy,
      userName: user.user_key,
      userDisplayName: displayNameOf(toUser(user)),
      context: { via: 'self-service', purpose: 'recovery', requestId: request.requestId, recoveryLinkId: link.id },
      inTransaction: binding.bind,
    });
    return { publicKey: started.clientRequest, flowToken: binding.token, user: { userKey: user.user_key, displayName: displayNameOf(toUser(user)) } };
  }

  /**
   * Registers the new passkey and spends the link in one transaction (it works once), revokes the account's other
   * outstanding links, signs the browser in, and with `revokeOthers` deletes the account's other passkeys and ends its
   * other sessions. An e-mailed link to an account
   * whose address was never verified does that whatever `revokeOthers` says (see #takesOverAlone), and verifies the
   * address; the answer says what was revoked and why.
   */
  async recoveryFinish(
    request: BrowserRequest,
    input: { token: string; credential: RegistrationResponseJSON; revokeOthers: boolean },
  ): Promise<SignedIn<RecoveryFinished>> {
    const target = await this.#target(request);
    await this.#limit(request, `recovery:${hashBrowserToken(input.token)}`);
    const link = await findUsableRecoveryLink(this.#db, target.store.id, input.token, this.#deps.clock.now());
    const { flow, session: ceremonySession } = await this.#flow(request, target, 'recovery', input.credential);
    if (flow.recovery_link_id !== link.id) throw new KeywayError('FLOW_NOT_FOUND', 'This ceremony was started for another recovery link; start again');
    const actor = this.#actor(request);
    const now = this.#deps.clock.now();
    let session: OpenedSession | undefined;
    const revoked: Omit<RecoveryFinished, 'user' | 'credential'> = { revokedPasskeys: 0, revokedSessions: 0, revokedRecoveryLinks: 0, revokedBecause: null };
    const credential = await this.#deps.ceremonies.completeRegistration(actor, {
      storeName: request.storeName,
      store: target.store,
      sessionId: flow.ceremony_session_id,
      session: ceremonySession,
      device: deviceLabel(request.userAgent),
      userId: link.user_id,
      response: input.credential,
      inTransaction: async (trx, { userId, credentialId }) => {
        // The link is consumed by compare-and-set in the transaction that stores the passkey: it works exactly once.
        if (!(await consumeRecoveryLink(trx, link.id, now))) throw new KeywayError('RECOVERY_LINK_USED', 'This recovery link was just used');
        // The account is recovered: any other link of it (a leaked one, an older e-mail) would recover it again, from
        // whoever holds it, after its owner chose what stays.
        revoked.revokedRecoveryLinks = await revokeRecoveryLinks(trx, userId, now);
        // Read in this transaction: the address as it is when the passkey is stored decides.
        const account = await trx.selectFrom('users').select(['email', 'email_verified_at']).where('id', '=', userId).executeTakeFirstOrThrow();
        const takeOver = this.#takesOverAlone(link, account);
        revoked.revokedBecause = takeOver ? 'emailUnverified' : input.revokeOthers ? 'requested' : null;
        if (revoked.revokedBecause !== null) {
          const deleted = await trx.deleteFrom('credentials').where('user_id', '=', userId).where('credential_id', '!=', credentialId).executeTakeFirst();
          revoked.revokedPasskeys = Number(deleted.numDeletedRows);
          revoked.revokedSessions = await revokeUserSessions(trx, userId, now);
          // The applications' sessions too: an OP session, a grant or a refresh token of whoever held the account
          // would otherwise outlive its passkeys (a refresh token by 14 days).
          await this.#deps.endClientSessions(trx, actor, userId, { store: request.storeName, reason: 'accountRecovered' }, now);
        }
        if (takeOver && account.email !== null) {
          // The e-mail was just answered from this address: it is proven, as a verification link would prove it.
          await trx
            .updateTable('users')
            .set({ email_verified_at: now.getTime(), edit_version: nextEditVersion })
            .where('id', '=', userId)
            .where('email', '=', account.email)
            .execute();
          await appendAuditEvent(
            trx,
            actor,
            {
              action: 'selfservice.email.verify',
              targetType: 'user',
              targetId: userId,
              details: { store: request.storeName, via: 'recovery', linkId: link.id },
            },
            now,
          );
        }
        await deleteFlow(trx, flow.id);
        session = await this.#openSession(trx, request, target, userId, credentialId, now);
        await appendAuditEvent(
          trx,
          actor,
          {
            action: 'selfservice.recovery',
            targetType: 'user',
            targetId: userId,
            details: {
              store: request.storeName,
              linkId: link.id,
              credentialId,
              revokeOthers: input.revokeOthers,
              revokedBecause: revoked.revokedBecause,
              revokedPasskeys: revoked.revokedPasskeys,
              revokedSessions: revoked.revokedSessions,
              revokedRecoveryLinks: revoked.revokedRecoveryLinks,
              clientIp: request.clientIp,
            },
          },
          now,
        );
      },
    });
    const user = await getUserInStore(this.#db, target.store.id, request.storeName, { id: credential.userId });
    return { body: { user: toSelfServiceUser(toUser(user)), credential, ...revoked }, session: session! };
  }

  /**
   * Whether a recovery takes the account over alone, whatever its `revokeOthers`: through an e-mailed link, of an
   * account whose address nobody has verified. Such an address is only what whoever created the account typed:
   * someone may sign up with another person's address and a passkey of their own, wait for that person (refused at
   * sign-up: the identifier is taken) to recover "their" account by e-mail, and keep signing in to it
   * (pre-hijacking). The reader of the e-mail has just proven the address, which nobody else has; the journeys' e-mail
   * code rule (mayOpenByCode) therefore opens such an account only while no passkey holds it, and so does this: the
   * others go. Refusing the e-mail instead would leave the address's real owner locked out of an account that bears
   * their address, and leave it to the one who planted it. An admin-issued link is the administrators' decision and
   * keeps `revokeOthers` as chosen.
   */
  #takesOverAlone(link: RecoveryLinkRow, account: { email_verified_at: number | null }): boolean {
    return link.created_by === EMAILED_LINK_CREATOR && account.email_verified_at === null;
  }

  // ── e-mail verification ─────────────────────────────────────────────────
  //
  // The link goes to the address a sign-up typed, which may be someone else's (pre-hijacking: an attacker signs up
  // with the victim's address and a passkey of their own). So following it changes nothing by itself — a click, or a
  // mail scanner that runs the page, must not verify the attacker's account: the page first shows the account
  // (inspectEmailVerification, no side effect) and the reader chooses — "yes, that is my account" (verifyEmail) or
  // "I did not sign up" (disownEmail).

  /**
   * What an e-mail verification link is about, without using it: the account's identifier and creation time, and
   * whether its address is verified already. Refused like verifyEmail (unknown, used, expired, or the account no
   * longer has the address the link went to); rate-limited per client address and per link like it.
   */
  async inspectEmailVerification(
    request: BrowserRequest,
    token: string,
  ): Promise<{ email: string; userKey: string; createdAt: string; emailVerified: boolean; userKeyIsEmail: boolean }> {
    const { target, link } = await this.#usableEmailVerification(request, token);
    const user = await this.#db
      .selectFrom('users')
      .select(['user_key', 'user_key_normalized', 'email', 'email_verified_at', 'created_at'])
      .where('id', '=', link.user_id)
      .where('store_id', '=', target.store.id)
      .executeTakeFirst();
    if (user?.email !== link.email) throw addressGone();
    return {
      email: link.email,
      userKey: user.user_key,
      createdAt: iso(user.created_at),
      emailVerified: user.email_verified_at !== null,
      userKeyIsEmail: identifiedBy(user, link.email),
    };
  }

  /**
   * "Yes, this is my account": marks the account's address verified, if it is still the address the link was sent
   * to. The link is consumed by compare-and-set in the same transaction (it works once).
   */
  async verifyEmail(request: BrowserRequest, token: string): Promise<{ email: string }> {
    const { target, link } = await this.#usableEmailVerification(request, token);
    const now = this.#deps.clock.now();
    await this.#db.transaction().execute(async (trx) => {
      await consumeEmailVerification(trx, link.id, now);
      // Only the address the link went to: an account whose e-mail changed since stays unverified.
      const verified = await trx
        .updateTable('users')
        .set({ email_verified_at: now.getTime(), edit_version: nextEditVersion })
        .where('id', '=', link.user_id)
        .where('store_id', '=', target.store.id)
        .where('email', '=', link.email)
        .executeTakeFirst();
      if (Number(verified.numUpdatedRows) !== 1) throw addressGone();
      await appendAuditEvent(
        trx,
        this.#actor(request),
        { action: 'selfservice.email.verify', targetType: 'user', targetId: link.user_id, details: { store: request.storeName, verificationId: link.id } },
        now,
      );
    });
    return { email: link.email };
  }

  /**
   * "I did not sign up": the reader of the e-mail proves control of the address, and says the account that bears it
   * is not theirs. Allowed only while the account's address is still the one the link went to and nobody has
   * verified it (EMAIL_VERIFICATION_NOT_FOUND, EMAIL_ALREADY_VERIFIED): once verified — by this link's "yes", or by a
   * lost-passkey recovery that took the account over — the account is the address owner's, and a leftover link (or
   * whoever reads the mailbox later) must not delete it.
   *
   * What happens to the account depends on whether the address is what identifies it:
   * - Its userKey is the address (every self-service sign-up of a store that verifies addresses): the account is
   *   deleted — with its passkeys, device keys, memberships, flows, self-service sessions, recovery links and
   *   verification links (the database cascades them), and whatever the OpenID Provider issued for it (OP sessions,
   *   grants, codes, access and refresh tokens: endClientSessions). Kept, it would keep holding the address as an
   *   identifier (the owner could not sign up with it) and keep whoever made it signed in to an account named after
   *   someone else. That holds even if the account has been used meanwhile (signed in to applications, more passkeys
   *   added, locked by an administrator): the address owner says it is not theirs and nobody ever proved otherwise;
   *   an honest person who mistyped their address loses only an account named after someone else's address, and can
   *   sign up again with their own (the audit event records what went).
   * - Its userKey is something else (an administrator renamed it since): the account is someone's account with a
   *   wrong contact address, not an account planted under the owner's name, and the address owner's proof gives them
   *   a say about their address, not about an account identified otherwise. The address is removed from it (and its
   *   outstanding recovery links revoked, as for any change of address); the account, its passkeys and sessions stay.
   *
   * The link is consumed by compare-and-set in the same transaction, and the audit event `selfservice.email.disown`
   * is written there too. (A deleted account takes its links with it: the same token then answers
   * EMAIL_VERIFICATION_NOT_FOUND.)
   */
  async disownEmail(request: BrowserRequest, token: string): Promise<{ email: string; outcome: 'accountDeleted' | 'emailRemoved' }> {
    const { target, link } = await this.#usableEmailVerification(request, token);
    const now = this.#deps.clock.now();
    const actor = this.#actor(request);
    return this.#db.transaction().execute(async (trx) => {
      await consumeEmailVerification(trx, link.id, now);
      const user = await trx
        .selectFrom('users')
        .select(['user_key', 'user_key_normalized', 'email', 'email_verified_at', 'status', 'external_id', 'first_name', 'last_name'])
        .where('id', '=', link.user_id)
        .where('store_id', '=', target.store.id)
        .executeTakeFirst();
      if (user?.email !== link.email) throw addressGone();
      if (user.email_verified_at !== null) throw alreadyVerified();
      // The change below repeats the conditions just read, so that it happens only to the account as it was read: on
      // PostgreSQL a verification, recovery or admin change racing with this either commits first (then nothing
      // happens here: refused below) or waits for this transaction. The account's row is not locked before it (a
      // recovery's passkey insert holds a key-share lock on it, and waits for an update of it: locking it first here
      // and deleting it later would deadlock with that).
      const unchanged: UnchangedAccount = (eb) =>
        eb.and([
          eb('id', '=', link.user_id),
          eb('email', '=', link.email),
          eb('email_verified_at', 'is', null),
          eb('user_key', '=', user.user_key),
          // …and the other searched fields, from which the new search_text is computed below.
          eb('external_id', '=', user.external_id),
          user.first_name === null ? eb('first_name', 'is', null) : eb('first_name', '=', user.first_name),
          user.last_name === null ? eb('last_name', 'is', null) : eb('last_name', '=', user.last_name),
        ]);
      const changedMeanwhile = async () => {
        const current = await trx.selectFrom('users').select(['email', 'email_verified_at']).where('id', '=', link.user_id).executeTakeFirst();
        if (current?.email !== link.email) return addressGone();
        if (current.email_verified_at !== null) return alreadyVerified();
        return new KeywayError('EDIT_CONFLICT', 'The account changed while its address was being disowned; try again');
      };
      const details = { store: request.storeName, verificationId: link.id, userKey: user.user_key, email: link.email, clientIp: request.clientIp };

      const disowned = identifiedBy(user, link.email)
        ? await this.#deleteDisownedAccount(trx, request, target, { id: link.user_id, unchanged, changedMeanwhile }, now)
        : await this.#removeDisownedAddress(trx, { id: link.user_id, row: user, unchanged, changedMeanwhile }, now);
      await appendAuditEvent(
        trx,
        actor,
        {
          action: 'selfservice.email.disown',
          targetType: 'user',
          targetId: link.user_id,
          details: { ...details, outcome: disowned.outcome, ...(disowned.outcome === 'accountDeleted' ? { status: user.status } : {}), ...disowned.counts },
        },
        now,
      );
      return { email: link.email, outcome: disowned.outcome };
    });
  }

  /**
   * Disown, account renamed since: the address goes (with what it voided, as any change of address does) and the
   * account stays.
   */
  async #removeDisownedAddress(
    trx: Kysely<Schema>,
    account: { id: string; row: SearchedUserFields; unchanged: UnchangedAccount; changedMeanwhile: () => Promise<KeywayError> },
    now: Date,
  ): Promise<{ outcome: 'emailRemoved'; counts: Record<string, number> }> {
    const removed = await trx
      .updateTable('users')
      .set({ ...columnsForUpdate({ email: null }, account.row), updated_at: now.getTime(), edit_version: nextEditVersion })
      .where(account.unchanged)
      .executeTakeFirst();
    if (Number(removed.numUpdatedRows) !== 1) throw await account.changedMeanwhile();
    // As for any change of address (identity-service.ts): a recovery link may have gone to the address.
    return { outcome: 'emailRemoved', counts: { revokedRecoveryLinks: await revokeRecoveryLinks(trx, account.id, now) } };
  }

  /**
   * Disown, account named by the address: the account goes, with what every account deletion ends (identity's
   * deletion hooks, the OpenID Provider's artifacts audited with reason `emailDisowned`), counted for the audit event.
   */
  async #deleteDisownedAccount(
    trx: Kysely<Schema>,
    request: BrowserRequest,
    target: SelfServiceStore,
    account: { id: string; unchanged: UnchangedAccount; changedMeanwhile: () => Promise<KeywayError> },
    now: Date,
  ): Promise<{ outcome: 'accountDeleted'; counts: Record<string, number | Record<string, number>> }> {
    const deletedPasskeys = Number(
      (
        await trx
          .selectFrom('credentials')
          .select((eb) => eb.fn.countAll().as('n'))
          .where('user_id', '=', account.id)
          .executeTakeFirstOrThrow()
      ).n,
    );
    // Ended and revoked here so that they are counted; the deletion below takes their rows.
    const endedSessions = await revokeUserSessions(trx, account.id, now);
    const revokedRecoveryLinks = await revokeRecoveryLinks(trx, account.id, now);
    const removed = await this.#deps.identity.endWhatUserDeletionEnds(
      trx,
      this.#actor(request),
      { id: account.id, tenantId: request.tenantId, storeId: target.store.id, storeName: request.storeName, reason: 'emailDisowned' },
      now,
    );
    // The account and, by cascade, its passkeys, device keys, organization memberships, flows, self-service
    // sessions, recovery and verification links (this one included), queued e-mails.
    const deleted = await trx.deleteFrom('users').where(account.unchanged).executeTakeFirst();
    if (Number(deleted.numDeletedRows) !== 1) throw await account.changedMeanwhile();
    return { outcome: 'accountDeleted', counts: { deletedPasskeys, endedSessions, revokedRecoveryLinks, removed } };
  }

  /** The store and an e-mail verification link that may still be used (charged to the link's rate limit first). */
  async #usableEmailVerification(request: BrowserRequest, token: string): Promise<{ target: SelfServiceStore; link: Selectable<EmailVerificationsTable> }> {
    const target = await this.#target(request);
    await this.#limit(request, `verify-email:${hashBrowserToken(token)}`);
    const link = isBrowserToken(token)
      ? await this.#db
          .selectFrom('email_verifications')
          .selectAll()
          .where('token_hash', '=', hashBrowserToken(token))
          .where('store_id', '=', target.store.id)
          .executeTakeFirst()
      : undefined;
    if (!link) throw new KeywayError('EMAIL_VERIFICATION_NOT_FOUND', 'This verification link is not valid');
    if (link.consumed_at !== null) throw new KeywayError('EMAIL_VERIFICATION_USED', 'This verification link was already used');
    if (this.#deps.clock.now().getTime() > Number(link.expires_at)) throw new KeywayError('EMAIL_VERIFICATION_EXPIRED', 'This verification link has expired');
    return { target, link };
  }

  /** A verification link for `address` (rendered now, outside any transaction) and the statements that queue it with a change. */
  async #emailVerification(request: BrowserRequest, target: SelfServiceStore, address: string, now: Date) {
    const token = newBrowserToken();
    const id = newTimeOrderedId(now);
    const expiresAt = now.getTime() + EMAIL_VERIFICATION_TTL_SECONDS * 1000;
    const link = `${this.#deps.publicUrl}/${encodeURIComponent(request.tenantId)}/identity/${encodeURIComponent(request.storeName)}/verify-email#${token}`;
    const email = await this.#deps.email.compose({
      store: target.store,
      to: address,
      purpose: 'email-verification',
      content: { kind: 'verifyEmail', link, expiresInMinutes: EMAIL_VERIFICATION_TTL_SECONDS / 60 },
      languages: [],
    });
    return {
      queue: async (trx: Kysely<Schema>, userId: string) => {
        const user = await trx.selectFrom('users').select('email').where('id', '=', userId).executeTakeFirst();
        if (user?.email !== address) return;
        await trx
          .insertInto('email_verifications')
          .values({
            id,
            token_hash: hashBrowserToken(token),
            tenant_id: request.tenantId,
            store_id: target.store.id,
            user_id: userId,
            email: address,
            expires_at: expiresAt,
            consumed_at: null,
            created_at: now.getTime(),
          })
          .execute();
        await this.#deps.email.enqueue(trx, { ...email, userId }, now);
      },
    };
  }

  // ── admin: a user's browser sessions ────────────────────────────────────

  async listUserSessions(tenantId: string, storeName: string, userId: string, page: PageRequest): Promise<Page<BrowserSessionView>> {
    const store = await this.#deps.identity.findStore(tenantId, storeName);
    const user = await getUserInStore(this.#db, store.id, storeName, { id: userId });
    const limit = pageSize(page);
    const after = decodeCursor(page.cursor);
    let query = this.#db
      .selectFrom('selfservice_sessions')
      .selectAll()
      .where('user_id', '=', user.id)
      .where('revoked_at', 'is', null)
      .where('expires_at', '>', this.#deps.clock.now().getTime());
    if (after) query = query.where('id', '>', after);
    return toPage(
      await query
        .orderBy('id')
        .limit(limit + 1)
        .execute(),
      limit,
      toSessionView,
    );
  }

  async revokeUserSession(actor: Actor, storeName: string, userId: string, sessionId: string): Promise<void> {
    const now = this.#deps.clock.now();
    await this.#db.transaction().execute(async (trx) => {
      const store = await this.#deps.identity.findStore(actor.tenantId, storeName, trx);
      const user = await getUserInStore(trx, store.id, storeName, { id: userId });
      const result = await trx
        .updateTable('selfservice_sessions')
        .set({ revoked_at: now.getTime() })
        .where('id', '=', sessionId)
        .where('user_id', '=', user.id)
        .where('revoked_at', 'is', null)
        .executeTakeFirst();
      if (Number(result.numUpdatedRows) !== 1) throw new KeywayError('BROWSER_SESSION_NOT_FOUND', `User ${userId} has no live session ${sessionId}`);
      await appendAuditEvent(
        trx,
        actor,
        { action: 'selfservice.session.revoke', targetType: 'user', targetId: user.id, details: { store: storeName, sessionId } },
        now,
      );
    });
  }

  // ── internals ───────────────────────────────────────────────────────────

  async #target(request: BrowserRequest): Promise<SelfServiceStore> {
    return request.target ?? this.resolve(request.tenantId, request.storeName);
  }

  #actor(request: BrowserRequest): Actor {
    return { tenantId: request.tenantId, actor: 'self-service', requestId: request.requestId };
  }

  #identifier(raw: string): string {
    const identifier = raw.trim();
    if (identifier.length === 0 || identifier.length > MAX_IDENTIFIER_LENGTH)
      throw validationError('identifier', `must be 1 to ${MAX_IDENTIFIER_LENGTH} characters, not only spaces`);
    return identifier;
  }

  /** Charges the rate limits of one call (#limitChecks) in a transaction of their own; a refusal is thrown. */
  async #limit(request: BrowserRequest, identifier: string | undefined, counted: { address: boolean } = { address: true }): Promise<void> {
    await this.#limiter.hitAll(this.#limitChecks(request, identifier, counted));
  }

  /**
   * The rate limits of one call, narrowest first (see RateLimiter.charge: a refused call is not charged further):
   * per client address; then, with an identifier, per (identifier, address) pair; then a per-identifier ceiling
   * across all addresses, IDENTIFIER_CEILING_FACTOR times higher. A per-identifier limit alone would let anyone
   * lock an account out from everywhere with a handful of calls from one address; keyed by the pair, a flood only
   * stops its own address, and the ceiling still bounds what many addresses together can spend on one account
   * (reaching it takes IDENTIFIER_CEILING_FACTOR addresses each at their own limit).
   */
  #limitChecks(request: BrowserRequest, identifier: string | undefined, counted: { address: boolean } = { address: true }): RateLimitCheck[] {
    const checks: RateLimitCheck[] = [];
    const address = rateLimitAddress(request.clientIp);
    if (counted.address) checks.push({ key: `ip|${request.tenantId}|${address}`, limit: this.#deps.rateLimitPerIp, what: 'from this address' });
    if (identifier !== undefined) {
      // One budget per account: spellings of one identifier (BOB, ｂｏｂ, bob) share it.
      const account = `${request.tenantId}|${hashBrowserToken(normaliseIdentifier(identifier) ?? identifier)}`;
      checks.push({ key: `id-ip|${account}|${address}`, limit: this.#deps.rateLimitPerIdentifier, what: 'for this account from this address' });
      checks.push({ key: `id|${account}`, limit: this.#deps.rateLimitPerIdentifier * IDENTIFIER_CEILING_FACTOR, what: 'for this account' });
    }
    return checks;
  }

  /**
   * The browser's flow binding for a ceremony about to start: `bind` stores it inside the transaction that stores the
   * ceremony session (one commit); `token` is the cookie value the start answers.
   */
  #flowBinding(
    request: BrowserRequest,
    target: SelfServiceStore,
    purpose: FlowPurpose,
    links: { identifier?: string | undefined; userId?: string | (() => string | undefined) | undefined; recoveryLinkId?: string },
  ): { bind: CeremonyStartHook; token: string } {
    const now = this.#deps.clock.now();
    // One binding per browser, reused by its ceremonies (several may be open at once), refreshed by each start.
    const bindingToken = isBrowserToken(request.flowToken) ? request.flowToken : newBrowserToken();
    return {
      bind: async (trx, started) => {
        const userId = typeof links.userId === 'function' ? links.userId() : links.userId;
        await insertFlow(trx, {
          bindingToken,
          challenge: started.challenge,
          tenantId: request.tenantId,
          storeId: target.store.id,
          purpose,
          ceremonySessionId: started.sessionId,
          identifier: links.identifier,
          userId,
          recoveryLinkId: links.recoveryLinkId,
          expiresAt: started.expiresAt,
          now,
        });
      },
      token: bindingToken,
    };
  }

  /** The browser's flow for this response, with its ceremony session (handed to the ceremony, which checks it). */
  async #flow(
    request: BrowserRequest,
    target: SelfServiceStore,
    purpose: FlowPurpose,
    response: unknown,
  ): Promise<{ flow: FlowRow; session: CeremonySessionRow | undefined }> {
    return findFlow(this.#db, { tenantId: request.tenantId, storeId: target.store.id, purpose }, request.flowToken, challengeOf(response));
  }

  /** A sign-up or sign-in finish's flow, rate-limited per address and then per the identifier its begin named. */
  async #finishFlow(
    request: BrowserRequest,
    purpose: 'sign-up' | 'sign-in',
    response: unknown,
  ): Promise<{ target: SelfServiceStore; flow: FlowRow; session: CeremonySessionRow | undefined }> {
    const target = await this.#target(request);
    // The flow is read first (with its ceremony session, which the ceremony then checks instead of reading it) so that
    // one rate-limit transaction charges the address and the identifier; a finish with no flow is still charged (and
    // refused) per address before its FLOW_NOT_FOUND.
    let found: { flow: FlowRow; session: CeremonySessionRow | undefined };
    try {
      found = await this.#flow(request, target, purpose, response);
    } catch (error) {
      await this.#limit(request, undefined);
      throw error;
    }
    await this.#limit(request, found.flow.identifier ?? undefined);
    return { target, ...found };
  }

  /** Opens a session inside the ceremony's transaction; the browser's previous session (if any) ends (rotation). */
  async #openSession(
    trx: Kysely<Schema>,
    request: BrowserRequest,
    target: SelfServiceStore,
    userId: string,
    credentialId: string,
    now: Date,
  ): Promise<OpenedSession> {
    await revokeSessionByToken(trx, request.tenantId, request.sessionToken, now);
    const opened = await openBrowserSession(trx, {
      tenantId: request.tenantId,
      storeId: target.store.id,
      userId,
      credentialId,
      clientIp: request.clientIp,
      userAgent: request.userAgent,
      ttlSeconds: target.config.sessionTtlSeconds,
      now,
    });
    return { token: opened.token, expiresAt: new Date(Number(opened.row.expires_at)), maxAgeSeconds: target.config.sessionTtlSeconds };
  }

  async #requireSession(request: BrowserRequest): Promise<{ target: SelfServiceStore; session: BrowserSessionRow; user: UserRow }> {
    const target = await this.#target(request);
    const session = await findLiveSession(this.#db, { tenantId: request.tenantId, storeId: target.store.id }, request.sessionToken, this.#deps.clock.now());
    const user = session ? await findUserInStore(this.#db, target.store.id, { id: session.user_id }) : undefined;
    if (!session || !user || isSignInBarred(user.status)) throw new KeywayError('SESSION_REQUIRED', 'Sign in first (no live session for this browser)');
    return { target, session, user };
  }

  /**
   * Names and icons of the passkeys' providers: the catalogue, and the FIDO metadata of the store's registration
   * policy when it names a source (authenticator-directory.ts; display only, it never fails the answer).
   */
  async #describeFor(target: SelfServiceStore): Promise<DescribeAuthenticator> {
    try {
      const policy = await this.#deps.policies.findRegistrationPolicyForStore(target.store, target.config.registrationPolicy);
      return await this.#deps.authenticators.forSource(policy.attestationTrust.metadata);
    } catch {
      return describeAuthenticator;
    }
  }

  /** A sign-in from the last 5 minutes (at exactly 5 minutes it still counts). */
  #requireFresh(session: BrowserSessionRow, what: string): void {
    if (this.#deps.clock.now().getTime() - Number(session.authenticated_at) > FRESH_SIGN_IN_MS) {
      throw new KeywayError('REAUTHENTICATION_REQUIRED', `${what} needs a sign-in from the last 5 minutes; sign in again`);
    }
  }
}
