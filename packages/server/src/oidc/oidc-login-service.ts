import { parseCookie } from 'cookie';
import { isSignInBarred } from '../identity/user-record.ts';
import type { Kysely } from 'kysely';
import { appendAuditEvent } from '../audit/audit-log.ts';
import { JourneyVariables } from '../journeys/engine/journey-variables.ts';
import { openBrowserSession, revokeSessionByToken, type BrowserSessionRow } from '../selfservice/browser-sessions.ts';
import { DEFAULT_SESSION_TTL_SECONDS, parseSelfServiceConfig } from '../selfservice/self-service-config.ts';
import type { Clock } from '../shared/clock.ts';
import type { Schema } from '../storage/schema.ts';
import { SESSION_COOKIE } from '../selfservice/self-service-routes.ts';
import { browserSessionAmr, liveBrowserSession } from './oidc-browser-session.ts';

export interface OidcLoginServiceDeps {
  db: Kysely<Schema>;
  clock: Clock;
}

/** Which login journey instance an interaction ran, and for which client's store and journey. */
export interface JourneyLogin {
  tenantId: string;
  storeId: string;
  storeName: string;
  journeyId: string;
  instanceId: string;
  cookieHeader: string | undefined;
  clientIp: string | undefined;
  userAgent: string | undefined;
}

/** What a login journey came to: a new browser session (its cookie value, lifetime), still running, or no sign-in. */
export type JourneyLoginOutcome =
  { kind: 'signedIn'; session: BrowserSessionRow; token: string; maxAgeSeconds: number } | { kind: 'pending' } | { kind: 'denied' };

/** What the provider's login needs from Keyway: the browser's session in a store, and how its passkey signed in. */
export class OidcLoginService {
  readonly #db: Kysely<Schema>;
  readonly #clock: Clock;

  constructor(deps: OidcLoginServiceDeps) {
    this.#db = deps.db;
    this.#clock = deps.clock;
  }

  now(): Date {
    return this.#clock.now();
  }

  /** The live self-service session of the browser (its Cookie header) in the store, if any. */
  /** When the interaction `uid` was first stored, in ms (undefined for one stored before migration 028). */
  async interactionCreatedAt(tenantId: string, uid: string): Promise<number | undefined> {
    const row = await this.#db
      .selectFrom('oidc_state')
      .select('created_at')
      .where('tenant_id', '=', tenantId)
      .where('model', '=', 'Interaction')
      .where('id', '=', uid)
      .executeTakeFirst();
    return row?.created_at == null ? undefined : Number(row.created_at);
  }

  session(tenantId: string, storeId: string, cookieHeader: string | undefined): Promise<BrowserSessionRow | undefined> {
    return liveBrowserSession(this.#db, this.#clock, tenantId, storeId, cookieHeader);
  }

  /** RFC 8176 `amr` of the session's sign-in, from the facts Keyway verified about the passkey it was opened with. */
  amr(session: Pick<BrowserSessionRow, 'tenant_id' | 'credential_id' | 'amr'>): Promise<string[]> {
    return browserSessionAmr(this.#db, session);
  }

  /**
   * The end of a client's login journey: when it succeeded and authenticated a user of the client's store (with one of
   * their passkeys, or an e-mail one-time code; not merely identified one), that user's self-service browser session is opened (the browser's
   * previous one ends), audited in the same commit. A journey still running is pending; any other end signs no one in.
   */
  async journeySignIn(input: JourneyLogin): Promise<JourneyLoginOutcome> {
    const instance = await this.#db
      .selectFrom('journey_instances')
      .select(['status', 'vars'])
      .where('tenant_id', '=', input.tenantId)
      .where('id', '=', input.instanceId)
      .executeTakeFirst();
    if (!instance) return { kind: 'denied' };
    if (instance.status === 'waiting' || instance.status === 'running') return { kind: 'pending' };
    if (instance.status !== 'succeeded') return { kind: 'denied' };
    const vars = JourneyVariables.parse(instance.vars);
    const user = vars.user;
    const auth = user && vars.authenticationOf(user.userId);
    if (!user || !auth || vars.journey.id !== input.journeyId || user.storeName !== input.storeName) return { kind: 'denied' };
    const row = await this.#db
      .selectFrom('users')
      .select(['status'])
      .where('tenant_id', '=', input.tenantId)
      .where('store_id', '=', input.storeId)
      .where('id', '=', user.userId)
      .executeTakeFirst();
    if (!row || isSignInBarred(row.status)) return { kind: 'denied' };
    const store = await this.#db
      .selectFrom('stores')
      .select('self_service')
      .where('tenant_id', '=', input.tenantId)
      .where('id', '=', input.storeId)
      .executeTakeFirst();
    // The store's own session lifetime, as its hosted sign-in page gives.
    const ttlSeconds = parseSelfServiceConfig(store?.self_service ?? null)?.sessionTtlSeconds ?? DEFAULT_SESSION_TTL_SECONDS;
    const now = this.#clock.now();
    const opened = await this.#db.transaction().execute(async (trx) => {
      await revokeSessionByToken(trx, input.tenantId, parseCookie(input.cookieHeader ?? '')[SESSION_COOKIE], now);
      const session = await openBrowserSession(trx, {
        tenantId: input.tenantId,
        storeId: input.storeId,
        userId: user.userId,
        credentialId: auth.credentialId ?? null,
        // Without a passkey (an e-mail code) the session keeps the journey's methods, RFC 8176 `otp`.
        ...(auth.credentialId === undefined ? { amr: auth.amr } : {}),
        clientIp: input.clientIp,
        userAgent: input.userAgent,
        ttlSeconds,
        now,
      });
      await appendAuditEvent(
        trx,
        { tenantId: input.tenantId, actor: 'oidc' },
        {
          action: 'oidc.journeyLogin',
          targetType: 'user',
          targetId: user.userId,
          details: { journey: input.journeyId, instanceId: input.instanceId, session: session.row.id },
        },
        now,
      );
      return session;
    });
    return { kind: 'signedIn', session: opened.row, token: opened.token, maxAgeSeconds: ttlSeconds };
  }
}
