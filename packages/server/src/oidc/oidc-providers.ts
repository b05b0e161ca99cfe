import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Kysely } from 'kysely';
import type Provider from 'oidc-provider';
import type { KoaContextWithOIDC } from 'oidc-provider';
import type { KeywayError } from '../errors/keyway-error.ts';
import type { MasterKey } from '../secrets/master-key.ts';
import type { Clock } from '../shared/clock.ts';
import { LruCache } from '../shared/lru-cache.ts';
import type { Schema } from '../storage/schema.ts';
import type { SigningKeyService } from '../tokens/signing-key-service.ts';
import { pageSecurityHeaders } from '../http/page-security-headers.ts';
import { RateLimiter, rateLimitAddress } from '../http/rate-limiter.ts';
import { endBrowserSession } from './oidc-browser-session.ts';
import { auditIssuedIdToken } from './oidc-id-token-audit.ts';
import type { OidcClientService } from './oidc-client-service.ts';
import { createOidcProvider, type OidcProviderDeps } from './oidc-provider-factory.ts';

export interface OidcProvidersDeps {
  db: Kysely<Schema>;
  clock: Clock;
  masterKey: MasterKey;
  publicUrl: string;
  signingKeys: Pick<SigningKeyService, 'privateJwks'>;
  clients: Pick<OidcClientService, 'lookup'>;
  organizations: OidcProviderDeps['organizations'];
  pages: OidcProviderDeps['pages'];
  /** How long a node trusts its idea of a tenant's signing keys before looking again; 30 s, as for ID tokens */
  keyCheckMs?: number;
  /** Bound on providers kept in memory; 1 000 */
  maxProviders?: number;
  /**
   * Requests per client address, tenant and minute that may start an authorization (each stores one): at the
   * authorization endpoint, from browsers (KEYWAY_RATE_LIMIT_PER_IP), and pushed (RFC 9126), from the clients' servers
   * like their token requests (KEYWAY_RATE_LIMIT_TOKEN_PER_IP).
   */
  authorizationsPerMinute: { authorization: number; pushed: number };
  /**
   * The clock of the authorization request limits; default `clock`. A seam for tests: the provider must run on the real
   * time (oidc-provider reads it itself), while a test of the limits needs a minute window that does not roll over.
   */
  rateLimitClock?: Clock;
}

/** The endpoints whose requests start an authorization: the authorization endpoint (not its resume), and PAR. */
export type AuthorizationEndpoint = 'authorization' | 'pushed';

/**
 * The headers of the pages the provider writes itself: nothing but their own inline script, whose hash oidc-provider
 * appends to script-src; the form may post to any of the client's redirect URIs, so form-action is not restricted.
 */
const PROVIDER_PAGE_HEADERS = pageSecurityHeaders("default-src 'none'; script-src 'self'; base-uri 'none'; frame-ancestors 'none'");

/** The claims Keyway's ID tokens already carried before it was a full provider; discovery keeps listing them. */
const KEYWAY_CLAIMS = ['iss', 'aud', 'exp', 'iat', 'jti', 'nonce', 'cred_id', 'keyway_attested', 'keyway_device_bound'];

interface Entry {
  provider: Provider;
  handle: (req: IncomingMessage, res: ServerResponse) => void;
  kids: string;
  checkedAt: number;
}

/**
 * One OpenID Provider per tenant, built on first use and kept in memory (bounded, least recently used forgotten).
 * Nothing in it is state a node owns: sessions, codes and tokens are in the database, so a provider can be dropped
 * and rebuilt at any time. It is rebuilt when the tenant's signing keys change (a rotation on any node is seen
 * within `keyCheckMs`).
 */
export class OidcProviders {
  readonly #deps: OidcProvidersDeps;
  readonly #entries: LruCache<string, Promise<Entry>>;
  readonly #keyCheckMs: number;
  readonly #secure: boolean;
  readonly #limiter: RateLimiter;

  constructor(deps: OidcProvidersDeps) {
    this.#deps = deps;
    this.#limiter = new RateLimiter({ db: deps.db, clock: deps.rateLimitClock ?? deps.clock });
    this.#entries = new LruCache(deps.maxProviders ?? 1000);
    this.#keyCheckMs = deps.keyCheckMs ?? 30_000;
    this.#secure = new URL(deps.publicUrl).protocol === 'https:';
  }

  /** The tenant's provider; TENANT_NOT_FOUND for an unknown tenant. */
  async forTenant(tenantId: string): Promise<Provider> {
    return (await this.#entry(tenantId)).provider;
  }

  /**
   * Charges a request that starts an authorization to its client address's budget at the tenant (by /64 for IPv6,
   * rateLimitAddress), before the provider does any of its work; beyond the budget, 429 RATE_LIMITED with Retry-After
   * (answered, not thrown). Each such request stores the authorization (an interaction, a pushed request) until it
   * expires.
   */
  chargeAuthorization(tenantId: string, endpoint: AuthorizationEndpoint, clientIp: string): Promise<KeywayError | undefined> {
    const limit = this.#deps.authorizationsPerMinute[endpoint];
    return this.#limiter.refusal([{ key: `oidc-${endpoint}|${tenantId}|${rateLimitAddress(clientIp)}`, limit, what: 'from this address' }]);
  }

  /** The tenant's provider as a Node request handler (its Koa application). */
  async handlerFor(tenantId: string): Promise<(req: IncomingMessage, res: ServerResponse) => void> {
    return (await this.#entry(tenantId)).handle;
  }

  async #entry(tenantId: string): Promise<Entry> {
    const now = this.#deps.clock.now().getTime();
    const cached = this.#entries.get(tenantId);
    if (cached) {
      const entry = await cached.catch(() => undefined);
      if (entry && now - entry.checkedAt < this.#keyCheckMs) return entry;
      if (entry) {
        const keys = await this.#deps.signingKeys.privateJwks(tenantId);
        if (kidsOf(keys) === entry.kids) {
          entry.checkedAt = now;
          return entry;
        }
      }
    }
    const building = this.#build(tenantId, now);
    this.#entries.set(tenantId, building);
    try {
      return await building;
    } catch (error) {
      // A failed build (an unknown tenant) is not kept.
      if (this.#entries.get(tenantId) === building) this.#entries.delete(tenantId);
      throw error;
    }
  }

  async #build(tenantId: string, now: number): Promise<Entry> {
    const keys = await this.#deps.signingKeys.privateJwks(tenantId);
    const provider = await createOidcProvider({
      db: this.#deps.db,
      clock: this.#deps.clock,
      masterKey: this.#deps.masterKey,
      publicUrl: this.#deps.publicUrl,
      tenantId,
      keys,
      findClient: (clientId) => this.#deps.clients.lookup(tenantId, clientId),
      organizations: this.#deps.organizations,
      pages: this.#deps.pages,
    });
    provider.use(async (ctx, next) => {
      // The pages the provider writes itself — the auto-submitting form of response_mode=form_post — get the
      // security headers of Keyway's own pages. oidc-provider adds its inline script's hash to script-src when it
      // writes the form (helpers/script_src_sha.js); Keyway's pages (sendPage) replace these with their own.
      ctx.set(PROVIDER_PAGE_HEADERS);
      await next();
      const oidc = (ctx as KoaContextWithOIDC).oidc as KoaContextWithOIDC['oidc'] | undefined;
      if (oidc?.route === 'discovery' && ctx.status === 200) {
        const body = ctx.body as { claims_supported?: string[] };
        body.claims_supported = [...new Set([...(body.claims_supported ?? []), ...KEYWAY_CLAIMS])];
        ctx.set('cache-control', 'public, max-age=300');
      }
      await auditIssuedIdToken(this.#deps.db, this.#deps.clock, tenantId, ctx as KoaContextWithOIDC);
      // RP-initiated logout ends Keyway's browser session too (the OP session is that session).
      if (oidc?.route === 'end_session_confirm' && oidc.params?.['logout'] && ctx.status === 303) {
        ctx.append('set-cookie', await endBrowserSession(this.#deps.db, this.#deps.clock, tenantId, ctx.get('cookie'), this.#secure));
      }
    });
    return { provider, handle: provider.callback(), kids: kidsOf(keys), checkedAt: now };
  }
}

function kidsOf(keys: { kid?: string }[]): string {
  return keys.map((key) => key.kid).join(' ');
}
