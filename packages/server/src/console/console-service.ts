import type {
  AuthenticationResponseJSON,
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON,
  RegistrationResponseJSON,
} from '@simplewebauthn/server';
import type { Kysely, Selectable } from 'kysely';
import { appendAuditEvent, type Actor } from '../audit/audit-log.ts';
import { KeywayError } from '../errors/keyway-error.ts';
import { describeAuthenticator } from '../passkeys/authenticator-catalog.ts';
import type { VerifiedRegistration } from '../passkeys/registration-verification.ts';
import { fromBase64url, newChallenge, newUserHandle, toBase64url } from '../passkeys/webauthn-encoding.ts';
import type { Clock } from '../shared/clock.ts';
import { RateLimiter, rateLimitAddress } from '../http/rate-limiter.ts';
import { newTimeOrderedId } from '../shared/time-ordered-id.ts';
import type { ConsoleCeremoniesTable, ConsoleOperatorsTable, Schema } from '../storage/schema.ts';
import { uniqueViolation } from '../storage/unique-violation.ts';
import type { Principal } from '../tenancy/tenancy-service.ts';
import { admitsCeremonyBrowser, ceremonyBindingOf } from './ceremony-binding.ts';
import { consumeInvitation, usableInvitation } from './console-invitations.ts';
import { hashConsoleSecret, isAccessToken, isConsoleToken, newAccessToken, newConsoleToken } from './console-secrets.ts';
import { isOperatorRole, permissionsOfRole, type OperatorRole } from './operator-roles.ts';
import {
  CEREMONY_TIMEOUT_MS,
  challengeOf,
  credentialIdOf,
  operatorCreationOptions,
  operatorRelyingParty,
  operatorRequestOptions,
  verifyOperatorAuthentication,
  verifyOperatorRegistration,
  type OperatorRelyingParty,
} from './operator-webauthn.ts';

/**
 * A console session lasts 12 hours from sign-in at most, and ends sooner once unused for 60 minutes (a browser left
 * signed in on a desk); its access tokens last 5 minutes each. A use is recorded at most once a minute (one write per
 * minute per session, not per request), so the idle window counts from the last recorded use.
 */
export const SESSION_TTL_MS = 12 * 60 * 60 * 1000;
export const SESSION_IDLE_MS = 60 * 60 * 1000;
export const SESSION_USE_RECORDED_EVERY_MS = 60 * 1000;
export const ACCESS_TOKEN_TTL_MS = 5 * 60 * 1000;
/** Adding a passkey needs a sign-in this recent (at exactly 5 minutes it still counts), as self-service does. */
export const FRESH_SIGN_IN_MS = 5 * 60 * 1000;

export interface Operator {
  id: string;
  displayName: string;
  role: OperatorRole;
}

export interface ConsoleSession {
  operator: Operator;
  permissions: string[];
  accessToken: string;
  expiresAt: string;
}

export interface OperatorPasskey {
  id: string;
  name: string;
  providerName?: string;
  createdAt: string;
  lastUsedAt?: string;
  synced: boolean;
}

/** A signed-in browser: the cookie value (shown once) and how long it lives. */
export interface OpenedConsoleSession {
  operator: Operator;
  token: string;
  maxAgeSeconds: number;
}

export interface ConsoleServiceDeps {
  db: Kysely<Schema>;
  clock: Clock;
  /** KEYWAY_PUBLIC_URL: Keyway's own relying party for operators' passkeys */
  publicUrl: string;
  /** Passkey ceremonies one address may start per minute (each stores a challenge) */
  ceremoniesPerMinute?: number;
}

type Purpose = 'enrolment' | 'sign-in' | 'add-passkey';

const iso = (ms: number) => new Date(ms).toISOString();

function toOperator(row: Pick<Selectable<ConsoleOperatorsTable>, 'id' | 'display_name' | 'role'>): Operator {
  return { id: row.id, displayName: row.display_name, role: isOperatorRole(row.role) ? row.role : 'viewer' };
}

function newOperatorId(now: Date): string {
  return `kwo_${newTimeOrderedId(now)}`;
}

/**
 * The console's operators as people in a browser: enrolment with a one-time link, passkey sign-in
 * (Keyway is the relying party), the browser session kept in the database (any node serves it),
 * the short-lived access tokens bound to it, and the operator's own passkeys.
 */
export class ConsoleService {
  readonly #db: Kysely<Schema>;
  readonly #clock: Clock;
  readonly #rp: OperatorRelyingParty;
  readonly #limiter: RateLimiter;
  readonly #ceremoniesPerMinute: number;

  constructor(deps: ConsoleServiceDeps) {
    this.#db = deps.db;
    this.#clock = deps.clock;
    this.#rp = operatorRelyingParty(deps.publicUrl);
    this.#limiter = new RateLimiter({ db: deps.db, clock: deps.clock });
    this.#ceremoniesPerMinute = deps.ceremoniesPerMinute ?? 60;
  }

  /** Starting a ceremony writes a row without any credential, so it is counted per address (any node, in the database). */
  async #limit(clientIp: string): Promise<void> {
    await this.#limiter.hit(`console-ceremony|ip|${rateLimitAddress(clientIp)}`, this.#ceremoniesPerMinute, 'from this address');
  }

  // ── ceremonies ──

  /** Stores a ceremony bound to the browser holding `browserSecret` (its keyway_console_ceremony cookie). */
  async #startCeremony(
    tenantId: string,
    purpose: Purpose,
    browserSecret: string,
    fields: Partial<Pick<ConsoleCeremoniesTable, 'invitation_id' | 'operator_id' | 'user_handle' | 'display_name'>>,
  ): Promise<string> {
    const now = this.#clock.now();
    const challenge = newChallenge();
    await this.#db.transaction().execute(async (trx) => {
      // Ceremonies that ran out are dropped as new ones start, so the table holds only live ones.
      await trx.deleteFrom('console_ceremonies').where('expires_at', '<=', now.getTime()).execute();
      await trx
        .insertInto('console_ceremonies')
        .values({
          id: newTimeOrderedId(now),
          challenge,
          tenant_id: tenantId,
          purpose,
          invitation_id: fields.invitation_id ?? null,
          operator_id: fields.operator_id ?? null,
          user_handle: fields.user_handle ?? null,
          display_name: fields.display_name ?? null,
          browser_binding: ceremonyBindingOf(browserSecret),
          expires_at: now.getTime() + CEREMONY_TIMEOUT_MS,
          created_at: now.getTime(),
        })
        .execute();
    });
    return challenge;
  }

  /**
   * The ceremony a response answers, by its challenge, in this tenant and for this purpose, and only for the browser
   * that started it: without that browser's secret (or with another's) it is not found, expired or not, so an
   * assertion obtained for a challenge finishes nothing anywhere else.
   */
  async #ceremonyFor(
    tenantId: string,
    purpose: Purpose,
    response: unknown,
    browserSecret: string | undefined,
    now: Date,
  ): Promise<Selectable<ConsoleCeremoniesTable>> {
    const row = await this.#db
      .selectFrom('console_ceremonies')
      .selectAll()
      .where('challenge', '=', challengeOf(response))
      .where('tenant_id', '=', tenantId)
      .where('purpose', '=', purpose)
      .executeTakeFirst();
    if (!row || !admitsCeremonyBrowser(row.browser_binding, browserSecret)) {
      throw new KeywayError('CONSOLE_CEREMONY_NOT_FOUND', 'No console passkey ceremony with this challenge is in progress in this browser; start again');
    }
    if (row.expires_at <= now.getTime()) throw new KeywayError('CONSOLE_CEREMONY_EXPIRED', 'The passkey ceremony took too long; start again');
    return row;
  }

  /** Ends a ceremony by compare-and-set, so one challenge completes once. */
  async #consumeCeremony(trx: Kysely<Schema>, id: string): Promise<void> {
    const result = await trx.deleteFrom('console_ceremonies').where('id', '=', id).executeTakeFirst();
    if (Number(result.numDeletedRows) !== 1) throw new KeywayError('CONSOLE_CEREMONY_NOT_FOUND', 'This passkey ceremony was already completed; start again');
  }

  async #insertCredential(trx: Kysely<Schema>, tenantId: string, operatorId: string, verified: VerifiedRegistration, now: Date): Promise<void> {
    const provider = describeAuthenticator(verified.aaguid)?.name;
    try {
      await trx
        .insertInto('console_operator_credentials')
        .values({
          id: newTimeOrderedId(now),
          credential_id: verified.credentialId,
          tenant_id: tenantId,
          operator_id: operatorId,
          public_key: toBase64url(verified.publicKey),
          algorithm: verified.algorithm,
          sign_count: verified.counter,
          transports: JSON.stringify(verified.transports),
          aaguid: verified.aaguid,
          backup_eligible: verified.backupEligible ? 1 : 0,
          backed_up: verified.backedUp ? 1 : 0,
          name: provider ?? null,
          created_at: now.getTime(),
          last_used_at: null,
        })
        .execute();
    } catch (error) {
      if (uniqueViolation(error) !== undefined) throw new KeywayError('CREDENTIAL_ALREADY_REGISTERED', 'This passkey is already registered');
      throw error;
    }
  }

  /** Ends the session a cookie names (if live) and its access tokens, in the caller's transaction; answers its operator. */
  async #endBrowserSession(trx: Kysely<Schema>, tenantId: string, cookie: string | undefined, now: Date): Promise<string | undefined> {
    if (!isConsoleToken(cookie)) return undefined;
    const row = await trx
      .selectFrom('console_sessions')
      .select(['id', 'operator_id'])
      .where('token_hash', '=', hashConsoleSecret(cookie))
      .where('tenant_id', '=', tenantId)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    if (!row) return undefined;
    await trx.updateTable('console_sessions').set({ revoked_at: now.getTime() }).where('id', '=', row.id).execute();
    await trx.deleteFrom('console_access_tokens').where('session_id', '=', row.id).execute();
    return row.operator_id;
  }

  /** A sign-in (or enrolment) from the last 5 minutes: what a stolen session cookie alone cannot show. */
  #requireFresh(session: { session_created_at: number | string }, now: Date, what: string): void {
    if (now.getTime() - Number(session.session_created_at) > FRESH_SIGN_IN_MS) {
      throw new KeywayError('REAUTHENTICATION_REQUIRED', `${what} needs a sign-in from the last 5 minutes; sign in again`);
    }
  }

  async #openSession(trx: Kysely<Schema>, tenantId: string, operatorId: string, credentialId: string, now: Date): Promise<string> {
    // Sessions that ended (expired, idle or signed out) go as new ones open; their access tokens with them.
    await trx
      .deleteFrom('console_sessions')
      .where('operator_id', '=', operatorId)
      .where((eb) =>
        eb.or([eb('expires_at', '<=', now.getTime()), eb('revoked_at', 'is not', null), eb('last_used_at', '<=', now.getTime() - SESSION_IDLE_MS)]),
      )
      .execute();
    const token = newConsoleToken();
    await trx
      .insertInto('console_sessions')
      .values({
        id: newTimeOrderedId(now),
        token_hash: hashConsoleSecret(token),
        tenant_id: tenantId,
        operator_id: operatorId,
        credential_id: credentialId,
        created_at: now.getTime(),
        last_used_at: now.getTime(),
        expires_at: now.getTime() + SESSION_TTL_MS,
        revoked_at: null,
      })
      .execute();
    return token;
  }

  // ── enrolment ──

  /** Creation options for a new operator, once the link is known to be usable. */
  async enrolmentOptions(
    tenantId: string,
    input: { token: string; displayName: string },
    browser: { clientIp: string; ceremonySecret: string },
  ): Promise<PublicKeyCredentialCreationOptionsJSON> {
    await this.#limit(browser.clientIp);
    const invitation = await usableInvitation(this.#db, tenantId, input.token, this.#clock.now());
    const userHandle = newUserHandle();
    const challenge = await this.#startCeremony(tenantId, 'enrolment', browser.ceremonySecret, {
      invitation_id: invitation.id,
      user_handle: userHandle,
      display_name: input.displayName,
    });
    return operatorCreationOptions(this.#rp, { challenge, userHandle, name: input.displayName, existing: [] });
  }

  /** Verifies the new passkey (WebAuthn §7.1), consumes the link, creates the operator and signs the browser in, in one transaction. */
  async enrolmentFinish(
    tenantId: string,
    input: { token: string; credential: RegistrationResponseJSON },
    browser: { requestId: string; ceremonySecret: string | undefined },
  ): Promise<OpenedConsoleSession> {
    const { requestId } = browser;
    const now = this.#clock.now();
    const invitation = await usableInvitation(this.#db, tenantId, input.token, now);
    const ceremony = await this.#ceremonyFor(tenantId, 'enrolment', input.credential, browser.ceremonySecret, now);
    if (ceremony.invitation_id !== invitation.id) throw new KeywayError('CONSOLE_CEREMONY_NOT_FOUND', 'This passkey ceremony was started with another link');
    const verified = await verifyOperatorRegistration(this.#rp, input.credential, ceremony.challenge, now);
    const operatorId = newOperatorId(now);
    const operator: Operator = { id: operatorId, displayName: ceremony.display_name ?? '', role: invitation.role };
    const token = await this.#db.transaction().execute(async (trx) => {
      await this.#consumeCeremony(trx, ceremony.id);
      await consumeInvitation(trx, invitation.id, operatorId, now);
      await trx
        .insertInto('console_operators')
        .values({
          id: operatorId,
          tenant_id: tenantId,
          display_name: operator.displayName,
          role: operator.role,
          user_handle: ceremony.user_handle!,
          created_at: now.getTime(),
          updated_at: now.getTime(),
        })
        .execute();
      await this.#insertCredential(trx, tenantId, operatorId, verified, now);
      const actor: Actor = { tenantId, actor: operatorId, requestId };
      await appendAuditEvent(
        trx,
        actor,
        { action: 'console.operator.enrol', targetType: 'operator', targetId: operatorId, details: { role: operator.role, invitation: invitation.id } },
        now,
      );
      return this.#openSession(trx, tenantId, operatorId, verified.credentialId, now);
    });
    return { operator, token, maxAgeSeconds: SESSION_TTL_MS / 1000 };
  }

  // ── sign-in ──

  async signInOptions(tenantId: string, browser: { clientIp: string; ceremonySecret: string }): Promise<PublicKeyCredentialRequestOptionsJSON> {
    await this.#limit(browser.clientIp);
    await this.#assertTenant(tenantId);
    return operatorRequestOptions(this.#rp, await this.#startCeremony(tenantId, 'sign-in', browser.ceremonySecret, {}));
  }

  /** Verifies the assertion (WebAuthn §7.2) of a discoverable credential and signs the browser in. */
  async signInFinish(
    tenantId: string,
    credential: AuthenticationResponseJSON,
    browser: { requestId: string; ceremonySecret: string | undefined; sessionCookie?: string | undefined },
  ): Promise<OpenedConsoleSession> {
    const { requestId } = browser;
    const now = this.#clock.now();
    const ceremony = await this.#ceremonyFor(tenantId, 'sign-in', credential, browser.ceremonySecret, now);
    const record = await this.#db
      .selectFrom('console_operator_credentials')
      .innerJoin('console_operators', 'console_operators.id', 'console_operator_credentials.operator_id')
      .select([
        'console_operator_credentials.credential_id',
        'console_operator_credentials.public_key',
        'console_operator_credentials.sign_count',
        'console_operator_credentials.backup_eligible',
        'console_operators.id',
        'console_operators.display_name',
        'console_operators.role',
        'console_operators.user_handle',
      ])
      .where('console_operator_credentials.credential_id', '=', credentialIdOf(credential))
      .where('console_operator_credentials.tenant_id', '=', tenantId)
      .executeTakeFirst();
    if (!record) throw new KeywayError('CREDENTIAL_NOT_FOUND', 'This passkey is not an operator passkey of this tenant');
    const verified = await verifyOperatorAuthentication(this.#rp, credential, {
      challenge: ceremony.challenge,
      userHandle: record.user_handle,
      credential: {
        id: record.credential_id,
        publicKey: fromBase64url(record.public_key)!,
        counter: Number(record.sign_count),
        backupEligible: record.backup_eligible === 1,
      },
    });
    const token = await this.#db.transaction().execute(async (trx) => {
      await this.#consumeCeremony(trx, ceremony.id);
      // §7.2 step 23, as a compare-and-set: a concurrent sign-in with the same counter loses.
      const advanced = await trx
        .updateTable('console_operator_credentials')
        .set({ sign_count: verified.newCounter, backed_up: verified.backedUp ? 1 : 0, last_used_at: now.getTime() })
        .where('credential_id', '=', record.credential_id)
        .where('sign_count', '=', Number(record.sign_count))
        .executeTakeFirst();
      if (Number(advanced.numUpdatedRows) !== 1) throw new KeywayError('COUNTER_REGRESSION', 'The signature counter changed during this sign-in');
      await appendAuditEvent(trx, { tenantId, actor: record.id, requestId }, { action: 'console.signIn', targetType: 'operator', targetId: record.id }, now);
      // Signing in again (e.g. to confirm it is you before adding a passkey) replaces this browser's session.
      await this.#endBrowserSession(trx, tenantId, browser.sessionCookie, now);
      return this.#openSession(trx, tenantId, record.id, record.credential_id, now);
    });
    return { operator: toOperator(record), token, maxAgeSeconds: SESSION_TTL_MS / 1000 };
  }

  // ── the session ──

  /**
   * The live session a cookie names (not signed out, not past 12 hours, used within the last 60 minutes), recording
   * this use when the last recorded one is a minute old or more.
   */
  async #liveSession(tenantId: string, cookie: string | undefined, now: Date) {
    const row = isConsoleToken(cookie)
      ? await this.#db
          .selectFrom('console_sessions')
          .innerJoin('console_operators', 'console_operators.id', 'console_sessions.operator_id')
          .select([
            'console_sessions.id as session_id',
            'console_sessions.created_at as session_created_at',
            'console_sessions.last_used_at as session_last_used_at',
            'console_operators.id',
            'console_operators.display_name',
            'console_operators.role',
          ])
          .where('console_sessions.token_hash', '=', hashConsoleSecret(cookie))
          .where('console_sessions.tenant_id', '=', tenantId)
          .where('console_sessions.revoked_at', 'is', null)
          .where('console_sessions.expires_at', '>', now.getTime())
          .executeTakeFirst()
      : undefined;
    if (!row) throw new KeywayError('CONSOLE_SIGN_IN_REQUIRED', 'Sign in to the console with your passkey');
    // Sessions from before last_used_at was kept count from their sign-in.
    const lastUsed = Number(row.session_last_used_at ?? row.session_created_at);
    if (now.getTime() - lastUsed >= SESSION_IDLE_MS) {
      throw new KeywayError('CONSOLE_SIGN_IN_REQUIRED', 'The console session ended after 60 minutes without use; sign in with your passkey again');
    }
    if (now.getTime() - lastUsed >= SESSION_USE_RECORDED_EVERY_MS) {
      await this.#db.updateTable('console_sessions').set({ last_used_at: now.getTime() }).where('id', '=', row.session_id).execute();
    }
    return row;
  }

  /** The signed-in operator and their permissions, with no token minted (a page the console frames, such as a preview). */
  async signedInOperator(tenantId: string, cookie: string | undefined): Promise<{ operator: Operator; permissions: string[] }> {
    const operator = toOperator(await this.#liveSession(tenantId, cookie, this.#clock.now()));
    return { operator, permissions: permissionsOfRole(tenantId, operator.role) };
  }

  /** The signed-in operator and a new access token for the admin API, bound to this session. */
  async session(tenantId: string, cookie: string | undefined): Promise<ConsoleSession> {
    const now = this.#clock.now();
    const row = await this.#liveSession(tenantId, cookie, now);
    const operator = toOperator(row);
    const accessToken = newAccessToken();
    const expiresAt = now.getTime() + ACCESS_TOKEN_TTL_MS;
    await this.#db.transaction().execute(async (trx) => {
      await trx.deleteFrom('console_access_tokens').where('session_id', '=', row.session_id).where('expires_at', '<=', now.getTime()).execute();
      await trx
        .insertInto('console_access_tokens')
        .values({
          token_hash: hashConsoleSecret(accessToken),
          session_id: row.session_id,
          tenant_id: tenantId,
          operator_id: operator.id,
          expires_at: expiresAt,
          created_at: now.getTime(),
        })
        .execute();
    });
    return { operator, permissions: permissionsOfRole(tenantId, operator.role), accessToken, expiresAt: iso(expiresAt) };
  }

  async tenantExists(tenantId: string): Promise<boolean> {
    return (await this.#db.selectFrom('tenants').select('id').where('id', '=', tenantId).executeTakeFirst()) !== undefined;
  }

  /** Ends the session and every access token it handed out; answers nothing whether or not one was live. */
  async signOut(tenantId: string, cookie: string | undefined, requestId: string): Promise<void> {
    if (!isConsoleToken(cookie)) return;
    const now = this.#clock.now();
    await this.#db.transaction().execute(async (trx) => {
      const operatorId = await this.#endBrowserSession(trx, tenantId, cookie, now);
      if (operatorId === undefined) return;
      await appendAuditEvent(trx, { tenantId, actor: operatorId, requestId }, { action: 'console.signOut', targetType: 'operator', targetId: operatorId }, now);
    });
  }

  /**
   * The principal behind a console access token, read on every call: the operator's role as it is
   * now (a changed role or a removed operator takes effect at once), and only while the session lives.
   */
  async authenticate(token: string): Promise<Principal | undefined> {
    if (!isAccessToken(token)) return undefined;
    const now = this.#clock.now().getTime();
    const row = await this.#db
      .selectFrom('console_access_tokens')
      .innerJoin('console_sessions', 'console_sessions.id', 'console_access_tokens.session_id')
      .innerJoin('console_operators', 'console_operators.id', 'console_sessions.operator_id')
      .select([
        'console_access_tokens.tenant_id',
        'console_access_tokens.expires_at',
        'console_sessions.id as session_id',
        'console_sessions.expires_at as session_expires_at',
        'console_sessions.revoked_at',
        'console_operators.id',
        'console_operators.role',
      ])
      .where('console_access_tokens.token_hash', '=', hashConsoleSecret(token))
      .executeTakeFirst();
    // An access token lives 5 minutes from the /session call that recorded a use, well inside the idle window.
    if (!row || row.expires_at <= now || row.session_expires_at <= now || row.revoked_at !== null || !isOperatorRole(row.role)) return undefined;
    return {
      tenantId: row.tenant_id,
      clientId: row.id,
      permissions: permissionsOfRole(row.tenant_id, row.role),
      operator: { id: row.id, role: row.role, sessionId: row.session_id },
    };
  }

  // ── the operator's own passkeys ──

  async passkeys(tenantId: string, cookie: string | undefined): Promise<OperatorPasskey[]> {
    const session = await this.#liveSession(tenantId, cookie, this.#clock.now());
    const rows = await this.#db
      .selectFrom('console_operator_credentials')
      .selectAll()
      .where('operator_id', '=', session.id)
      .where('tenant_id', '=', tenantId)
      .orderBy('id')
      .execute();
    return rows.map((row) => {
      const provider = describeAuthenticator(row.aaguid)?.name;
      return {
        id: row.id,
        name: row.name ?? provider ?? 'Passkey',
        ...(provider === undefined ? {} : { providerName: provider }),
        createdAt: iso(row.created_at),
        ...(row.last_used_at === null ? {} : { lastUsedAt: iso(row.last_used_at) }),
        synced: row.backup_eligible === 1,
      };
    });
  }

  /**
   * Adding a passkey needs a sign-in from the last 5 minutes (here and at the finish): a session cookie that leaked
   * must not be able to plant a lasting passkey, which would outlive the session and any sign-out.
   */
  async addPasskeyOptions(tenantId: string, cookie: string | undefined, ceremonySecret: string): Promise<PublicKeyCredentialCreationOptionsJSON> {
    const now = this.#clock.now();
    const session = await this.#liveSession(tenantId, cookie, now);
    this.#requireFresh(session, now, 'Adding a passkey');
    const operator = await this.#db
      .selectFrom('console_operators')
      .select(['user_handle', 'display_name'])
      .where('id', '=', session.id)
      .executeTakeFirstOrThrow();
    const existing = await this.#db
      .selectFrom('console_operator_credentials')
      .select(['credential_id', 'transports'])
      .where('operator_id', '=', session.id)
      .execute();
    const challenge = await this.#startCeremony(tenantId, 'add-passkey', ceremonySecret, { operator_id: session.id });
    return operatorCreationOptions(this.#rp, {
      challenge,
      userHandle: operator.user_handle,
      name: operator.display_name,
      existing: existing.map((c) => ({ id: c.credential_id, transports: JSON.parse(c.transports) as string[] })),
    });
  }

  async addPasskeyFinish(
    tenantId: string,
    cookie: string | undefined,
    credential: RegistrationResponseJSON,
    browser: { requestId: string; ceremonySecret: string | undefined },
  ): Promise<OperatorPasskey[]> {
    const { requestId } = browser;
    const now = this.#clock.now();
    const session = await this.#liveSession(tenantId, cookie, now);
    this.#requireFresh(session, now, 'Adding a passkey');
    const ceremony = await this.#ceremonyFor(tenantId, 'add-passkey', credential, browser.ceremonySecret, now);
    if (ceremony.operator_id !== session.id) throw new KeywayError('CONSOLE_CEREMONY_NOT_FOUND', 'This passkey ceremony was started by another operator');
    const verified = await verifyOperatorRegistration(this.#rp, credential, ceremony.challenge, now);
    await this.#db.transaction().execute(async (trx) => {
      await this.#consumeCeremony(trx, ceremony.id);
      await this.#insertCredential(trx, tenantId, session.id, verified, now);
      await appendAuditEvent(
        trx,
        { tenantId, actor: session.id, requestId },
        { action: 'console.passkey.add', targetType: 'operator', targetId: session.id, details: { credentialId: verified.credentialId } },
        now,
      );
    });
    return this.passkeys(tenantId, cookie);
  }

  /**
   * Deletes one of the operator's passkeys (not the last) and, in the same transaction, ends every other console session
   * opened with it and their access tokens: a passkey deleted because it was lost or stolen must not leave a browser
   * signed in with it. The session asking keeps going, whichever passkey opened it: it is the operator acting.
   */
  async deletePasskey(tenantId: string, cookie: string | undefined, passkeyId: string, requestId: string): Promise<void> {
    const now = this.#clock.now();
    const session = await this.#liveSession(tenantId, cookie, now);
    await this.#db.transaction().execute(async (trx) => {
      // Lock the operator's row, so two deletions cannot each leave the other as the last passkey.
      await trx.updateTable('console_operators').set({ updated_at: now.getTime() }).where('id', '=', session.id).execute();
      const rows = await trx.selectFrom('console_operator_credentials').select(['id', 'credential_id']).where('operator_id', '=', session.id).execute();
      const deleted = rows.find((r) => r.id === passkeyId);
      if (!deleted) throw new KeywayError('OPERATOR_PASSKEY_NOT_FOUND', `No passkey ${passkeyId} of yours`);
      if (rows.length === 1) throw new KeywayError('LAST_OPERATOR_PASSKEY', 'This is your only passkey; add another one before deleting it');
      await trx.deleteFrom('console_operator_credentials').where('id', '=', passkeyId).where('operator_id', '=', session.id).execute();
      const opened = await trx
        .selectFrom('console_sessions')
        .select('id')
        .where('operator_id', '=', session.id)
        .where('credential_id', '=', deleted.credential_id)
        .where('revoked_at', 'is', null)
        .where('expires_at', '>', now.getTime())
        .where('id', '!=', session.session_id)
        .execute();
      const ended = opened.map((r) => r.id);
      if (ended.length > 0) {
        await trx.updateTable('console_sessions').set({ revoked_at: now.getTime() }).where('id', 'in', ended).execute();
        await trx.deleteFrom('console_access_tokens').where('session_id', 'in', ended).execute();
      }
      await appendAuditEvent(
        trx,
        { tenantId, actor: session.id, requestId },
        { action: 'console.passkey.delete', targetType: 'operator', targetId: session.id, details: { passkey: passkeyId, endedSessions: ended.length } },
        now,
      );
    });
  }

  async #assertTenant(tenantId: string): Promise<void> {
    const tenant = await this.#db.selectFrom('tenants').select('id').where('id', '=', tenantId).executeTakeFirst();
    if (!tenant) throw new KeywayError('TENANT_NOT_FOUND', `No tenant ${tenantId}`);
  }
}
