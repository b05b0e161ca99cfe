import { KeywayError } from '../../errors/keyway-error.ts';
import type { RelyingPartyService } from '../../passkeys/relying-party-service.ts';
import { rateLimitAddress, type RateLimiter } from '../../http/rate-limiter.ts';
import { assertMayNameUser, type Caller } from '../../tenancy/target-rules.ts';
import type { JourneyDefinition } from '../definition.ts';
import { assertMayStartFor, type FoundJourneyUserAct } from '../journey-user-acts.ts';

/**
 * Who starts a journey: a browser without a token (public journeys), or an API client with one. A browser start may
 * bind the instance to that browser (`browserBinding`, browser-binding.ts): then only requests carrying its cookie
 * drive it.
 */
export type JourneyStarter =
  { kind: 'public'; origin: string; clientIp: string; browserBinding?: string | undefined } | { kind: 'api'; caller: Caller; origin?: string | undefined };

export interface JourneyAccessDeps {
  relyingParties: Pick<RelyingPartyService, 'webOrigins'>;
  limiter: Pick<RateLimiter, 'hit'>;
  /** Public (tokenless) starts allowed per client IP, tenant and minute; each creates an instance. */
  publicStartsPerMinute: number;
}

/**
 * Who may run a journey, and from where: the origin rule for browsers, the start rules of a definition's `access`,
 * and the bound on public starts. Every check here happens before the engine changes anything.
 */
export class JourneyAccess {
  readonly #relyingParties: JourneyAccessDeps['relyingParties'];
  readonly #limiter: JourneyAccessDeps['limiter'];
  readonly #publicStartsPerMinute: number;

  constructor(deps: JourneyAccessDeps) {
    this.#relyingParties = deps.relyingParties;
    this.#limiter = deps.limiter;
    this.#publicStartsPerMinute = deps.publicStartsPerMinute;
  }

  /**
   * CSRF defence for browser requests (as the self-service API does): the Origin header must be an origin of one of
   * the store's relying parties. Public journeys need it; API-started journeys may be continued server to server
   * without one. Answers the origin ('' when there is none).
   */
  async checkOrigin(tenantId: string, storeName: string, origin: string | undefined, required: boolean): Promise<string> {
    if (origin === undefined || origin === '' || origin === 'null') {
      if (required)
        throw new KeywayError('JOURNEY_ORIGIN_NOT_ALLOWED', 'A browser request needs an Origin header from an origin of the store’s relying parties');
      return '';
    }
    if (!(await this.#relyingParties.webOrigins(tenantId, storeName)).has(origin)) {
      throw new KeywayError('JOURNEY_ORIGIN_NOT_ALLOWED', `${origin} is not an origin of a relying party of store ${storeName}`);
    }
    return origin;
  }

  /** Checked before anything is read: a caller that may not read the user learns nothing about them. */
  checkNamedUser(starter: JourneyStarter, user: { userId: string } | { externalId: string } | undefined): void {
    if (starter.kind === 'api' && user !== undefined) assertMayNameUser(starter.caller, user);
  }

  /**
   * A starter naming the user answers for what the journey does to them: registering a passkey onto them, or starting
   * their sign-in, needs what the passkey ceremony API asks for the same act (journey-user-acts.ts), or the read
   * permission alone would hand the account to whoever holds the session. Checked before the user is read.
   */
  checkActsOnNamedUser(
    starter: JourneyStarter,
    journeyId: string,
    user: { userId: string } | { externalId: string } | undefined,
    acts: readonly FoundJourneyUserAct[],
  ): void {
    if (starter.kind === 'api' && user !== undefined) assertMayStartFor(starter.caller, journeyId, user, acts);
  }

  /** Whether this starter may start this journey; answers the request's origin ('' for an API client without one). */
  async admitStart(tenantId: string, journeyId: string, definition: JourneyDefinition, starter: JourneyStarter, namesUser: boolean): Promise<string> {
    if (starter.kind === 'api') {
      if (definition.access?.apiClients === false) throw new KeywayError('JOURNEY_NOT_STARTABLE', `Journey ${journeyId} does not accept starts by API clients`);
      return this.checkOrigin(tenantId, definition.store, starter.origin, false);
    }
    if (definition.access?.public !== true)
      throw new KeywayError('UNAUTHENTICATED', `Journey ${journeyId} is not public: an API client starts it with a bearer token`, {
        headers: { 'www-authenticate': 'Bearer realm="keyway"' },
      });
    if (namesUser)
      throw new KeywayError('VALIDATION_FAILED', 'user: only an API client may start a journey for a named user', {
        errors: [{ field: '/user', message: 'only an API client may name the user' }],
      });
    const origin = await this.checkOrigin(tenantId, definition.store, starter.origin, true);
    // Anyone may call this, and each call stores an instance: bounded per address (counted in the database, so across nodes).
    await this.#limiter.hit(`journey-start|${tenantId}|${rateLimitAddress(starter.clientIp)}`, this.#publicStartsPerMinute, 'from this address');
    return origin;
  }
}
