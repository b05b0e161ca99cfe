import { Type } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { stringifySetCookie } from 'cookie';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type Provider from 'oidc-provider';
import type { InteractionResults } from 'oidc-provider';
import { KeywayError } from '../errors/keyway-error.ts';
import { AnyTenantIdParam } from '../http/path-params.ts';
import { bindBrowser, bindingOf } from '../journeys/engine/browser-binding.ts';
import type { JourneyEngine } from '../journeys/engine/journey-engine.ts';
import type { OrganizationService } from '../organizations/organization-service.ts';
import type { BrowserSessionRow } from '../selfservice/browser-sessions.ts';
import { SESSION_COOKIE } from '../selfservice/self-service-routes.ts';
import { acrFor } from './oidc-acr.ts';
import { ORGANIZATION_CLAIMS, ORGANIZATION_PARAMETER, claimsForScopes, claimsNamedIn, scopesOfClaims } from './oidc-claims.ts';
import type { OidcClientRow, OidcClientService } from './oidc-client-service.ts';
import type { OidcLoginService } from './oidc-login-service.ts';
import { uiLocaleLanguage, type OidcErrorReason, type OidcPage, type OidcPages } from './oidc-pages.ts';
import type { OidcProviders } from './oidc-providers.ts';

export interface OidcInteractionRoutesOptions {
  login: OidcLoginService;
  providers: Pick<OidcProviders, 'forTenant'>;
  clients: Pick<OidcClientService, 'lookup'>;
  journeys: Pick<JourneyEngine, 'start' | 'instanceIdOf'>;
  /** A sign-in for an organization (the `organization` parameter): membership and the organization's policy */
  organizations: Pick<OrganizationService, 'admitSignIn'>;
  /** KEYWAY_PUBLIC_URL: a login journey is started from Keyway's own origin (the hosted runner's). */
  publicUrl: string;
  /** The consent screen and the error pages, drawn as the store's hosted pages */
  pages: Pick<OidcPages, 'render'>;
}

type Interaction = Awaited<ReturnType<Provider['interactionDetails']>>;

const InteractionParams = Type.Object({ tenantId: AnyTenantIdParam, uid: Type.String({ minLength: 1, maxLength: 64 }) });

/**
 * The provider's login and consent (its "interactions"): Keyway's passkey sign-in is the login. A browser that
 * already has a live self-service session in the client's store is signed in from it (single sign-on across the
 * tenant's clients); otherwise it goes to the store's hosted sign-in page, which comes back here. `prompt=login` asks
 * for a ceremony after the request began, `max_age` for one recent enough. A client with a login journey runs that
 * journey in the hosted journey runner instead of the sign-in page: the interaction starts the instance and keeps its id
 * (so only the browser holding the interaction cookie resumes with it), and the instance's success with a passkey
 * of a user of the store opens that user's browser session. `acr_values` must be met by the passkey
 * used (OpenID Connect Core §3.1.2.1), else the request ends with `unmet_authentication_requirements`. A first-party
 * client's grant is given silently (the provider's loadExistingGrant); a third-party client's needs the user's consent.
 */
export async function oidcInteractionRoutes(fastify: FastifyInstance, options: OidcInteractionRoutesOptions): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const { login } = options;
  const publicOrigin = new URL(options.publicUrl).origin;

  /** One of the provider's pages, as the store's hosted pages look (Keyway's before the client is known). */
  const sendPage = async (request: FastifyRequest, reply: FastifyReply, status: number, storeId: string | undefined, page: OidcPage, uiLocales?: unknown) => {
    const { tenantId } = request.params as { tenantId: string };
    const rendered = await options.pages.render({ tenantId, storeId, acceptLanguage: request.headers['accept-language'], uiLocales, url: request.url }, page);
    return reply.code(status).headers(rendered.headers).type('text/html; charset=utf-8').send(rendered.html);
  };
  const invalid = (reason: OidcErrorReason, description: string): OidcPage => ({
    kind: 'error',
    reason,
    error: 'invalid_request',
    description,
  });

  /** The interaction bound to this browser (its interaction cookie) and its client, or an error page. */
  const load = async (request: FastifyRequest, reply: FastifyReply) => {
    const { tenantId, uid } = request.params as { tenantId: string; uid: string };
    const provider = await options.providers.forTenant(tenantId);
    let details: Interaction;
    try {
      details = await provider.interactionDetails(request.raw, reply.raw);
    } catch {
      return void (await sendPage(request, reply, 400, undefined, invalid('expired', 'interaction not found: ended or expired')));
    }
    const client = details.uid === uid ? await options.clients.lookup(tenantId, String(details.params['client_id'])) : undefined;
    if (!client) return void (await sendPage(request, reply, 400, undefined, invalid('notThisPage', 'the interaction of this browser is another one')));
    return { tenantId, uid, provider, details, client };
  };

  type Loaded = NonNullable<Awaited<ReturnType<typeof load>>>;

  /**
   * The login result for the browser session; for an organization's sign-in, only when the user is its member and the
   * passkey the session was opened with satisfies its policy (else access_denied naming the refusal's code).
   */
  const loginFor = async ({ tenantId, details, client }: Loaded, session: BrowserSessionRow): Promise<InteractionResults> => {
    const organization = details.params[ORGANIZATION_PARAMETER];
    if (typeof organization === 'string') {
      try {
        await options.organizations.admitSignIn(tenantId, client.store_name, organization, session.user_id, session.credential_id ?? undefined);
      } catch (error) {
        if (error instanceof KeywayError) return { error: 'access_denied', error_description: error.code };
        throw error;
      }
    }
    return loginResult(details, session, await login.amr(session));
  };

  const finish = async (request: FastifyRequest, reply: FastifyReply, provider: Provider, result: InteractionResults, merge = false) => {
    const url = await provider.interactionResult(request.raw, reply.raw, result, { mergeWithLastSubmission: merge });
    return reply.header('cache-control', 'no-store').redirect(url, 303);
  };

  app.get('/:tenantId/oidc/interaction/:uid', { schema: { hide: true, params: InteractionParams } }, async (request, reply) => {
    const loaded = await load(request, reply);
    if (!loaded) return reply;
    const { tenantId, uid, provider, details, client } = loaded;
    if (details.prompt.name === 'login') {
      const session = await login.session(tenantId, client.store_id, request.headers.cookie);
      // Only prompt=login compares with the request's start (max_age alone does not need it).
      const began = session && details.prompt.reasons.includes('login_prompt') ? await login.interactionCreatedAt(tenantId, uid) : undefined;
      if (!session || !fresh(session.authenticated_at, details, login.now().getTime(), began)) {
        if (client.login_journey !== null) return startJourney(request, reply, loaded, client.login_journey);
        return reply.header('cache-control', 'no-store').redirect(signInUrl(tenantId, client, uid, details), 303);
      }
      return finish(request, reply, provider, await loginFor(loaded, session));
    }
    if (details.prompt.name === 'consent') {
      // Even when the client asks for it (prompt=consent), a first-party client's user is not asked.
      if (client.first_party === 1) return finish(request, reply, provider, { consent: { grantId: await grantRequested(provider, details) } }, true);
      const base = `/${encodeURIComponent(tenantId)}/oidc/interaction/${encodeURIComponent(uid)}`;
      // Claims named in the `claims` parameter (the provider kept those within the registered scopes) are granted with
      // the scopes: the user is shown the sentence of each claim's scope too (OpenID Connect Core §3.1.2.4).
      const requested = String(details.params['scope'] ?? 'openid').split(' ');
      const scopes = [...new Set([...requested, ...scopesOfClaims(claimsNamedIn(details.params['claims']))])];
      return sendPage(
        request,
        reply,
        200,
        client.store_id,
        {
          kind: 'consent',
          clientName: client.name,
          scopes,
          allowAction: `${base}/consent`,
          denyAction: `${base}/abort`,
        },
        details.params['ui_locales'],
      );
    }
    return sendPage(request, reply, 400, client.store_id, invalid('request', `no page for the prompt ${details.prompt.name}`));
  });

  /** Starts the client's login journey for this interaction, keeps its instance in the interaction, opens the runner. */
  const startJourney = async (request: FastifyRequest, reply: FastifyReply, loaded: Loaded, journeyId: string) => {
    const { tenantId, uid, provider, details } = loaded;
    // The journey runs for the organization too (its end checks membership and policy, and `organization` is in its variables).
    const organization = details.params[ORGANIZATION_PARAMETER];
    // Only this browser may drive the instance: its success signs in whoever holds this interaction, so a runner link
    // sent on must not let someone else's passkey complete it (journeys/engine/browser-binding.ts).
    const browser = bindBrowser(request.headers.cookie, tenantId, publicOrigin.startsWith('https:'));
    let started: Awaited<ReturnType<JourneyEngine['start']>>;
    try {
      started = await options.journeys.start(
        tenantId,
        journeyId,
        { kind: 'public', origin: publicOrigin, clientIp: request.ip, browserBinding: bindingOf(browser.secret) },
        typeof organization === 'string' ? { organization } : {},
        localeOf(request),
      );
    } catch (error) {
      request.log.warn({ err: error, journeyId }, 'the client’s login journey could not be started');
      return finish(request, reply, provider, { error: 'access_denied', error_description: 'The sign-in journey could not be started' });
    }
    const { sessionId } = started;
    // A journey that ended before asking the browser anything ran no passkey ceremony of it: no one to sign in.
    const instanceId = started.stepType === undefined ? undefined : await options.journeys.instanceIdOf(tenantId, sessionId);
    if (instanceId === undefined)
      return finish(request, reply, provider, { error: 'access_denied', error_description: 'The sign-in journey did not authenticate a user' });
    await provider.interactionResult(request.raw, reply.raw, { keywayJourney: instanceId }, { mergeWithLastSubmission: false });
    const base = `/${encodeURIComponent(tenantId)}`;
    const returnTo = `${base}/oidc/interaction/${encodeURIComponent(uid)}/journey`;
    const runner = `${base}/journeys/${encodeURIComponent(journeyId)}?${new URLSearchParams({ return_to: returnTo }).toString()}`;
    // The session id is the runner's credential, with the browser's cookie: in the fragment, never sent to a server or
    // in a Referer.
    return reply
      .header('cache-control', 'no-store')
      .header('set-cookie', browser.setCookie)
      .redirect(`${runner}#${new URLSearchParams({ session: sessionId }).toString()}`, 303);
  };

  // Where the runner sends the browser after the journey: the instance kept in this browser's interaction decides.
  app.get('/:tenantId/oidc/interaction/:uid/journey', { schema: { hide: true, params: InteractionParams } }, async (request, reply) => {
    const loaded = await load(request, reply);
    if (!loaded) return reply;
    const { tenantId, provider, details, client } = loaded;
    const instanceId = (details.result as { keywayJourney?: unknown } | undefined)?.keywayJourney;
    if (details.prompt.name !== 'login' || client.login_journey === null || typeof instanceId !== 'string')
      return sendPage(request, reply, 400, client.store_id, invalid('notThisPage', 'no sign-in journey was started in this interaction'));
    const outcome = await login.journeySignIn({
      tenantId,
      storeId: client.store_id,
      storeName: client.store_name,
      journeyId: client.login_journey,
      instanceId,
      cookieHeader: request.headers.cookie,
      clientIp: request.ip,
      userAgent: request.headers['user-agent'],
    });
    if (outcome.kind === 'pending') return sendPage(request, reply, 409, client.store_id, invalid('journeyPending', 'the sign-in journey has not finished'));
    if (outcome.kind === 'denied')
      return finish(request, reply, provider, { error: 'access_denied', error_description: 'The sign-in journey did not authenticate a user' });
    reply.header(
      'set-cookie',
      stringifySetCookie({
        name: SESSION_COOKIE,
        value: outcome.token,
        httpOnly: true,
        sameSite: 'lax',
        secure: publicOrigin.startsWith('https:'),
        path: `/${tenantId}`,
        maxAge: outcome.maxAgeSeconds,
      }),
    );
    return finish(request, reply, provider, await loginFor(loaded, outcome.session));
  });

  app.post('/:tenantId/oidc/interaction/:uid/consent', { schema: { hide: true, params: InteractionParams } }, async (request, reply) => {
    const loaded = await load(request, reply);
    if (!loaded) return reply;
    if (loaded.details.prompt.name !== 'consent') return sendPage(request, reply, 400, loaded.client.store_id, invalid('notThisPage', 'nothing to consent to'));
    return finish(request, reply, loaded.provider, { consent: { grantId: await grantRequested(loaded.provider, loaded.details) } }, true);
  });

  app.post('/:tenantId/oidc/interaction/:uid/abort', { schema: { hide: true, params: InteractionParams } }, async (request, reply) => {
    const loaded = await load(request, reply);
    if (!loaded) return reply;
    return finish(request, reply, loaded.provider, { error: 'access_denied', error_description: 'The user denied the request' });
  });
}

/**
 * Whether a browser session's sign-in is recent enough for this request: after the request began for `prompt=login`
 * (a fresh ceremony, OpenID Connect Core §3.1.2.1), within `max_age` seconds when one is given.
 */
function fresh(authenticatedAtMs: number, details: Interaction, nowMs: number, beganAtMs?: number): boolean {
  const authenticatedAt = Number(authenticatedAtMs);
  // The request began when Keyway stored its interaction (ms); oidc-provider's iat is whole seconds, and a sign-in in
  // that second could be the one from before the request.
  if (details.prompt.reasons.includes('login_prompt') && authenticatedAt < (beganAtMs ?? details.iat * 1000)) return false;
  const maxAge = details.params['max_age'];
  if (maxAge !== undefined && nowMs - authenticatedAt > Number(maxAge) * 1000) return false;
  return true;
}

/** The first language tag of Accept-Language: the language the journey's first step is presented in. */
function localeOf(request: FastifyRequest): string {
  const header = request.headers['accept-language'];
  const first = typeof header === 'string' ? header.split(',')[0]?.split(';')[0]?.trim() : undefined;
  return first && /^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*$/.test(first) ? first : 'en';
}

/** The store's hosted sign-in page, back to this interaction afterwards; `login_hint` pre-fills the identifier, `ui_locales` picks the language. */
function signInUrl(tenantId: string, client: OidcClientRow, uid: string, details: Interaction): string {
  const query = new URLSearchParams({ return_to: `/${tenantId}/oidc/interaction/${uid}` });
  const hint = details.params['login_hint'];
  if (typeof hint === 'string' && hint !== '') query.set('login_hint', hint);
  // ui_locales: the sign-in page in the client's preferred language (the user's own choice there still wins).
  const lang = uiLocaleLanguage(details.params['ui_locales']);
  if (lang) query.set('lang', lang);
  return `/${encodeURIComponent(tenantId)}/identity/${encodeURIComponent(client.store_name)}/signin?${query.toString()}`;
}

/** The login result for the browser session: its user, when, and how (amr from the passkey it was opened with). */
function loginResult(details: Interaction, session: BrowserSessionRow, amr: string[]): InteractionResults {
  const requested = details.params['acr_values'];
  const acr = acrFor(typeof requested === 'string' ? requested : undefined, amr);
  if (!acr) {
    return {
      error: 'unmet_authentication_requirements',
      error_description: `the passkey used (amr ${amr.join(' ')}) does not meet the requested acr_values`,
    };
  }
  return { login: { accountId: session.user_id, acr, amr, ts: Math.floor(Number(session.authenticated_at) / 1000), remember: true } };
}

/**
 * A grant of what the request asks for (the provider has already limited it to the client's registered scopes); a claim
 * is granted only within those scopes too (OpenID Connect Core §5.5), whatever the request carried.
 */
async function grantRequested(provider: Provider, details: Interaction): Promise<string> {
  const accountId = details.session?.accountId;
  const clientId = String(details.params['client_id']);
  const allowed = claimsForScopes((await provider.Client.find(clientId))?.scope);
  const existing = details.grantId ? await provider.Grant.find(details.grantId) : undefined;
  const grant = existing ?? new provider.Grant({ accountId: accountId!, clientId });
  const missing = details.prompt.details as { missingOIDCScope?: string[]; missingOIDCClaims?: string[] };
  const scopes = missing.missingOIDCScope ?? String(details.params['scope'] ?? 'openid').split(' ');
  grant.addOIDCScope(scopes.join(' '));
  const claims = [...(missing.missingOIDCClaims ?? []), ...(typeof details.params[ORGANIZATION_PARAMETER] === 'string' ? ORGANIZATION_CLAIMS : [])];
  const granted = claims.filter((claim) => allowed.has(claim));
  if (granted.length > 0) grant.addOIDCClaims(granted);
  return grant.save();
}
