import { createHmac } from 'node:crypto';
import { isSignInBarred } from '../identity/user-record.ts';
import type { Kysely } from 'kysely';
import type Provider from 'oidc-provider';
import type { Account, AdapterPayload, ClaimsParameter, Client, Configuration, KoaContextWithOIDC } from 'oidc-provider';
import type { JWK } from 'jose';
import type { OrganizationService } from '../organizations/organization-service.ts';
import type { MasterKey } from '../secrets/master-key.ts';
import type { Clock } from '../shared/clock.ts';
import type { Schema } from '../storage/schema.ts';
import { verifySecret } from '../tenancy/secret-hash.ts';
import { ACR_VALUES, DEFAULT_ACR, acrFor } from './oidc-acr.ts';
import { oidcAdapterFactory } from './oidc-adapter.ts';
import {
  CLAIMS_BY_SCOPE,
  CLAIMS_OF_NO_SCOPE,
  ORGANIZATION_CLAIMS,
  ORGANIZATION_ID_PATTERN,
  ORGANIZATION_PARAMETER,
  claimsForScopes,
  claimsRequestWithin,
  releasableClaims,
  requestedOrganization,
  userClaims,
} from './oidc-claims.ts';
import { activeDeviceKeyIds } from '../passkeys/device-key-service.ts';
import type { OidcClientRow } from './oidc-client-service.ts';
import { OIDC_SCOPES } from './oidc-client-rules.ts';
import type { OidcPage, OidcPages } from './oidc-pages.ts';
import { oversizedParameter } from './oidc-parameter-limits.ts';
import { LANGUAGES } from '../../../hosted/src/messages.ts';
import { browserSessionAmr, liveBrowserSession } from './oidc-browser-session.ts';

/** Where the provider's endpoints live under the issuer `{publicUrl}/{tenantId}` (discovery lists them). */
export const OIDC_ROUTES = {
  authorization: '/oidc/auth',
  token: '/oidc/token',
  userinfo: '/oidc/userinfo',
  // The tenant's existing JWKS, served by tokens/jwks-routes.ts: the provider signs with the same keys.
  jwks: '/.well-known/jwks.json',
  revocation: '/oidc/token/revocation',
  introspection: '/oidc/token/introspection',
  end_session: '/oidc/session/end',
  pushed_authorization_request: '/oidc/par',
  code_verification: '/oidc/device',
  device_authorization: '/oidc/device/auth',
  registration: '/oidc/reg',
  backchannel_authentication: '/oidc/backchannel',
  challenge: '/oidc/challenge',
} as const;

export interface OidcProviderDeps {
  db: Kysely<Schema>;
  clock: Clock;
  masterKey: MasterKey;
  /** KEYWAY_PUBLIC_URL, without a trailing slash */
  publicUrl: string;
  tenantId: string;
  /** The tenant's signing keys, active first (SigningKeyService.privateJwks) */
  keys: JWK[];
  /** One of the tenant's clients, or undefined */
  findClient: (clientId: string) => Promise<OidcClientRow | undefined>;
  /** The user's organizations, for the `org_id` and `org_roles` claims */
  organizations: Pick<OrganizationService, 'membershipsOf' | 'admitSignIn'>;
  /** The provider's own pages (an error not redirected, the logout confirmation, the signed-out page) */
  pages: Pick<OidcPages, 'render'>;
}

/** Keyway's own client metadata beside the registered ones (OpenID Connect Dynamic Client Registration §2). */
const EXTRA_CLIENT_METADATA = ['keyway_store_id', 'keyway_store', 'keyway_first_party', 'keyway_login_journey'];

/** oidc-provider's metadata for one of Keyway's clients. */
export function clientMetadata(row: OidcClientRow): AdapterPayload {
  const redirectUris = JSON.parse(row.redirect_uris) as string[];
  const native = redirectUris.some((uri) => !/^https?:/.test(uri));
  const metadata: AdapterPayload = {
    client_id: row.id,
    client_name: row.name,
    redirect_uris: redirectUris,
    post_logout_redirect_uris: JSON.parse(row.post_logout_redirect_uris) as string[],
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    application_type: native ? 'native' : 'web',
    token_endpoint_auth_method: row.public === 1 ? 'none' : 'client_secret_basic',
    id_token_signed_response_alg: 'ES256',
    // OpenID Connect Registration §2: auth_time is always in the ID token.
    require_auth_time: true,
    subject_type: row.subject_type as 'public' | 'pairwise',
    scope: (JSON.parse(row.scopes) as string[]).join(' '),
    keyway_store_id: row.store_id,
    keyway_store: row.store_name,
    keyway_first_party: row.first_party === 1,
    keyway_login_journey: row.login_journey,
  };
  // The provider needs a value to accept client_secret_basic; it is the hash, never compared as a secret
  // (compareClientSecret below verifies against it), and never used as an HMAC key (only ES256 is enabled).
  if (row.secret_hash !== null) metadata.client_secret = row.secret_hash;
  return metadata;
}

/**
 * One tenant's OpenID Provider on panva's oidc-provider (OpenID Certified): the protocol (authorization code with
 * PKCE, refresh rotation, revocation, introspection, RP-initiated logout, PAR) is the library's; Keyway supplies
 * the storage (its database), the clients (the admin API), the keys (the tenant's signing keys), the accounts and
 * claims (the store's users), and the login (its passkey sign-in, oidc-interaction-routes.ts).
 */
export async function createOidcProvider(deps: OidcProviderDeps): Promise<Provider> {
  // Loaded on first use: commands that never serve the protocol (migrate, init…) do not load it.
  const { default: ProviderClass, interactionPolicy, errors } = await import('oidc-provider');
  const { tenantId } = deps;
  const issuer = `${deps.publicUrl}/${tenantId}`;
  const pairwiseKey = deps.masterKey.derive(`oidc pairwise subject ${tenantId}`);

  const policy = interactionPolicy.base();
  const login = policy.get('login')!;
  // The OP session lives only as long as Keyway's browser session (signing out of one ends the other).
  login.checks.add(
    new interactionPolicy.Check('browser_session_ended', 'End-User authentication is required', 'login_required', async (ctx: KoaContextWithOIDC) => {
      const accountId = ctx.oidc.session?.accountId;
      if (!accountId || !ctx.oidc.client) return interactionPolicy.Check.NO_NEED_TO_PROMPT;
      const live = await liveBrowserSession(deps.db, deps.clock, tenantId, String(ctx.oidc.client['keyway_store_id']), ctx.get('cookie'));
      return live?.user_id === accountId ? interactionPolicy.Check.NO_NEED_TO_PROMPT : interactionPolicy.Check.REQUEST_PROMPT;
    }),
  );
  // acr_values (OpenID Connect Core §3.1.2.1): judged by the passkey the session was opened with (its amr), not by the
  // class an earlier request stated; a session that meets none of the requested classes signs in again. The class met
  // (the default without acr_values) becomes the session's acr, which the provider states in this request's ID token.
  login.checks.add(
    new interactionPolicy.Check('acr_values_unmet', 'The requested authentication context class is not met', 'login_required', (ctx: KoaContextWithOIDC) => {
      const session = ctx.oidc.session;
      if (!session?.accountId) return interactionPolicy.Check.NO_NEED_TO_PROMPT;
      const requested = ctx.oidc.params?.['acr_values'];
      const met = acrFor(typeof requested === 'string' ? requested : undefined, session.amr ?? []);
      if (!met) return interactionPolicy.Check.REQUEST_PROMPT;
      session.acr = met;
      return interactionPolicy.Check.NO_NEED_TO_PROMPT;
    }),
  );

  // A sign-in for an organization: the session's user must be a member and the passkey the session was opened with
  // must satisfy the organization's policy; otherwise the login interaction runs (and says why it refuses).
  login.checks.add(
    new interactionPolicy.Check('organization_not_admitted', 'The sign-in is for an organization', 'login_required', async (ctx: KoaContextWithOIDC) => {
      const organization = ctx.oidc.params?.[ORGANIZATION_PARAMETER];
      const accountId = ctx.oidc.session?.accountId;
      const client = ctx.oidc.client;
      if (typeof organization !== 'string' || ctx.oidc.result?.login || !accountId || !client) return interactionPolicy.Check.NO_NEED_TO_PROMPT;
      const live = await liveBrowserSession(deps.db, deps.clock, tenantId, String(client['keyway_store_id']), ctx.get('cookie'));
      if (live?.user_id !== accountId) return interactionPolicy.Check.REQUEST_PROMPT;
      try {
        await deps.organizations.admitSignIn(tenantId, String(client['keyway_store']), organization, accountId, live.credential_id ?? undefined);
        return interactionPolicy.Check.NO_NEED_TO_PROMPT;
      } catch {
        return interactionPolicy.Check.REQUEST_PROMPT;
      }
    }),
  );

  const configuration: Configuration = {
    adapter: oidcAdapterFactory({
      db: deps.db,
      clock: deps.clock,
      tenantId,
      findClient: async (clientId) => {
        const row = await deps.findClient(clientId);
        return row ? clientMetadata(row) : undefined;
      },
    }),
    jwks: { keys: deps.keys as never },
    cookies: {
      keys: [deps.masterKey.derive(`oidc cookies ${tenantId}`).toString('base64url')],
      names: { session: `kw_oidc_session`, interaction: `kw_oidc_interaction`, resume: `kw_oidc_resume` },
      long: { path: `/${tenantId}/`, httpOnly: true, sameSite: 'lax', signed: true },
      short: { path: `/${tenantId}/`, httpOnly: true, sameSite: 'lax', signed: true },
    },
    routes: OIDC_ROUTES,
    // oidc-provider runs extraParams validators on every authorization request (whatever the parameter's value), after
    // the request is validated and before the session's account is loaded: the hook where the parameters' sizes are
    // checked (before anything is stored; at the authorization endpoint the refusal is redirected to the client), and
    // where the OP session is opened from the browser's self-service session. `prompt` is a standard parameter
    // already, so no new one is accepted.
    extraParams: {
      prompt: async (ctx: KoaContextWithOIDC) => {
        const oversized = oversizedParameter(ctx.oidc.params ?? {});
        if (oversized !== undefined) throw new errors.InvalidRequest(oversized);
        await adoptBrowserSession(deps, ctx);
      },
      // The organization the sign-in is for (an id; the login interaction checks membership and policy).
      [ORGANIZATION_PARAMETER]: async (_ctx: KoaContextWithOIDC, value: string | undefined) => {
        if (value !== undefined && !ORGANIZATION_ID_PATTERN.test(value)) throw new errors.InvalidRequest('organization must be an organization id');
      },
    },
    interactions: {
      policy,
      url: (_ctx, interaction) => `/${tenantId}/oidc/interaction/${interaction.uid}`,
    },
    responseTypes: ['code'],
    scopes: [...OIDC_SCOPES],
    claims: { ...Object.fromEntries(CLAIMS_OF_NO_SCOPE.map((claim) => [claim, null])), ...CLAIMS_BY_SCOPE },
    // The languages of the sign-in, consent and logout pages, for `ui_locales` (a store's branding may offer fewer).
    discovery: { ui_locales_supported: [...LANGUAGES] },
    subjectTypes: ['public', 'pairwise'],
    acrValues: ACR_VALUES,
    clientAuthMethods: ['client_secret_basic', 'client_secret_post', 'none'],
    enabledJWA: {
      idTokenSigningAlgValues: ['ES256'],
      userinfoSigningAlgValues: ['ES256'],
      introspectionSigningAlgValues: ['ES256'],
      authorizationSigningAlgValues: ['ES256'],
      requestObjectSigningAlgValues: ['ES256'],
      clientAuthSigningAlgValues: ['ES256'],
    },
    extraClientMetadata: { properties: EXTRA_CLIENT_METADATA },
    // RFC 7636: S256 is the only method oidc-provider offers; a public client must use it.
    pkce: { required: (_ctx, client) => client.clientAuthMethod === 'none' },
    // RFC 9700 §4.14.2: a refresh token is used once; its reuse revokes the grant (oidc-provider does so).
    rotateRefreshToken: true,
    issueRefreshToken: async (_ctx, client, code) => client.grantTypeAllowed('refresh_token') && code.scopes.has('offline_access'),
    ttl: {
      AccessToken: 10 * 60,
      AuthorizationCode: 60,
      IdToken: 10 * 60,
      RefreshToken: 14 * 24 * 60 * 60,
      Interaction: 30 * 60,
      Session: 14 * 24 * 60 * 60,
      Grant: 14 * 24 * 60 * 60,
    },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: false },
      userinfo: { enabled: true },
      // OpenID Connect Core §5.5: a client may ask for a claim in the ID token itself (e.g. device_keys, which the code
      // flow otherwise answers at userinfo only). Only for claims of its registered scopes (the hook below).
      claimsParameter: { enabled: true, assertClaimsParameter: (ctx, claims, client) => assertClaimsParameter(ctx, claims, client, errors.InvalidRequest) },
      revocation: {
        enabled: true,
        allowedPolicy: async (_ctx, client, token) => token.clientId === client.clientId,
      },
      introspection: {
        enabled: true,
        allowedPolicy: (ctx, client, token) => introspectionAllowed(deps, ctx, client, token),
      },
      pushedAuthorizationRequests: { enabled: true },
      rpInitiatedLogout: {
        enabled: true,
        logoutSource: async (ctx, form) => sendPage(deps, ctx, { kind: 'logout', form }),
        postLogoutSuccessSource: async (ctx) => sendPage(deps, ctx, { kind: 'signedOut' }),
      },
    },
    // A third-party client's grant comes from the consent screen; a first-party client is trusted with what it asks
    // for (within its registered scopes: the provider refuses other scopes, and the claims parameter hook above drops
    // other claims), so its grant is given here, silently.
    loadExistingGrant: async (ctx) => {
      requestOrganizationClaim(ctx);
      const client = ctx.oidc.client!;
      const session = ctx.oidc.session!;
      const grantId = ctx.oidc.result?.consent?.grantId ?? session.grantIdFor(client.clientId);
      const existing = grantId ? await ctx.oidc.provider.Grant.find(grantId) : undefined;
      if (client['keyway_first_party'] !== true || !session.accountId) return existing;
      const grant = existing ?? new ctx.oidc.provider.Grant({ clientId: client.clientId, accountId: session.accountId });
      grant.addOIDCScope([...ctx.oidc.requestParamScopes].join(' '));
      const claims = [...ctx.oidc.requestParamClaims, ...(typeof ctx.oidc.params?.[ORGANIZATION_PARAMETER] === 'string' ? ORGANIZATION_CLAIMS : [])];
      // Never a claim outside the client's registered scopes, whatever the request carried (OpenID Connect Core §5.5).
      const allowed = claimsForScopes(client.scope);
      const granted = claims.filter((claim) => allowed.has(claim));
      if (granted.length > 0) grant.addOIDCClaims(granted);
      await grant.save();
      return grant;
    },
    // OpenID Connect Core §8.1: the same user gets a different, stable `sub` at each sector.
    pairwiseIdentifier: async (_ctx, accountId, client) =>
      createHmac('sha256', pairwiseKey)
        .update(`${client.sectorIdentifier ?? ''}\n${accountId}`)
        .digest('base64url'),
    // CORS only for the origins of the client's own redirect URIs (a SPA calling the token endpoint).
    clientBasedCORS: (_ctx, origin, client) => client.redirectUris?.some((uri) => safeOrigin(uri) === origin) ?? false,
    findAccount: async (ctx, sub) => findAccount(deps, ctx, sub),
    renderError: async (ctx, out) => sendPage(deps, ctx, { kind: 'error', reason: 'request', error: out.error, description: out.error_description }),
    conformIdTokenClaims: true,
  };

  const provider = new ProviderClass(issuer, configuration);
  // The public URL (KEYWAY_PUBLIC_URL) decides the scheme and host, set by the mount (oidc-routes.ts).
  provider.proxy = true;
  // A client's secret is stored hashed: compare against the hash (RFC 6749 §2.3.1 with a memory-hard KDF).
  const compare = deps.findClient;
  provider.Client.prototype.compareClientSecret = async function compareClientSecret(this: { clientId: string }, actual: string): Promise<boolean> {
    const row = await compare(this.clientId);
    return row !== undefined && row.secret_hash !== null && (await verifySecret(actual, row.secret_hash));
  };
  // Every ID token carries the session id (`sid`, OpenID Connect Front-Channel Logout §3), so a client can tie its
  // own session to Keyway's and end it on logout; oidc-provider adds it only for back-channel logout clients.
  provider.Client.prototype.includeSid = () => true;
  return provider;
}

/**
 * Signs the OP session in from the browser's live self-service session in the client's store when the OP session has
 * no user yet (the browser signed in on the store's hosted pages only), so `prompt=none` is silent single sign-on too.
 * The interaction policy then judges it as any session: `max_age`, `acr_values` and consent apply unchanged. An OP
 * session of another user is left to the interaction (switching users is not done silently).
 */
async function adoptBrowserSession(deps: OidcProviderDeps, ctx: KoaContextWithOIDC): Promise<void> {
  const session = ctx.oidc.session;
  const client = ctx.oidc.client;
  if (ctx.oidc.route !== 'authorization' || !session || !client || session.accountId) return;
  const live = await liveBrowserSession(deps.db, deps.clock, deps.tenantId, String(client['keyway_store_id']), ctx.get('cookie'));
  if (!live) return;
  const amr = await browserSessionAmr(deps.db, live);
  const requested = ctx.oidc.params?.['acr_values'];
  const acr = acrFor(typeof requested === 'string' ? requested : undefined, amr) ?? DEFAULT_ACR;
  session.loginAccount({ accountId: live.user_id, loginTs: Math.floor(Number(live.authenticated_at) / 1000), amr, acr });
  // As after an interactive login (oidc-provider's resume): a stored session gets a new identifier (`new` is untyped).
  if (!(session as unknown as { new: boolean }).new) session.resetIdentifier();
}

/**
 * The `claims` parameter (OpenID Connect Core §5.5) within the client's registered scopes. Each member must be null or
 * an object (§5.5.1; the library's own check, which this hook replaces). A claim the client may not have is dropped
 * from the request, not refused: §5.5.1 says the OP does not answer an error for a requested claim it does not return,
 * essential or not, and the provider likewise drops `offline_access` it will not honour. The request goes on as if the
 * claim had not been named, so the grant, the consent screen, the stored interaction and the code see only the rest (a
 * claim left in the request but kept out of the grant would have the provider's consent check ask for it again, forever).
 */
function assertClaimsParameter(ctx: KoaContextWithOIDC, claims: ClaimsParameter, client: Client, InvalidRequest: new (description: string) => Error): void {
  for (const container of ['userinfo', 'id_token'] as const) {
    for (const value of Object.values(claims[container] ?? {})) {
      if (value !== null && (typeof value !== 'object' || Array.isArray(value)))
        throw new InvalidRequest(`claims.${container} members must be null or objects`);
    }
  }
  const within = claimsRequestWithin(claims as Record<string, never>, claimsForScopes(client.scope));
  // The provider reads the parameter again from the request's params (requestParamClaims, assignClaims) after this hook.
  (ctx.oidc.params as Record<string, unknown>)['claims'] = JSON.stringify(within);
}

/**
 * Keeps the organization of the request as the value of the requested `org_id` claim (OpenID Connect Core §5.5.1),
 * which the provider stores with the code and the tokens, so the claims name it at the token and userinfo endpoints.
 * Called where the provider looks up the grant: on the authorization request and again when it resumes after login.
 */
function requestOrganizationClaim(ctx: KoaContextWithOIDC): void {
  const value = ctx.oidc.params?.[ORGANIZATION_PARAMETER];
  if (typeof value !== 'string' || !ORGANIZATION_ID_PATTERN.test(value)) return;
  const claims = ctx.oidc.claims as { id_token?: Record<string, unknown>; userinfo?: Record<string, unknown> };
  // org_roles is requested too: with the code flow an ID token carries only requested claims (conformIdTokenClaims).
  claims.id_token = { ...claims.id_token, org_id: { value }, org_roles: null };
  claims.userinfo = { ...claims.userinfo, org_id: { value }, org_roles: null };
}

/**
 * Who may learn about a token at the introspection endpoint (RFC 7662 §4: the server decides, and answers
 * `{"active": false}` otherwise): the client it was issued to, or a confidential client of the same store (an API
 * behind the store's applications, serving the same users). A public client (its identity is not proven) sees only its
 * own tokens, and no client sees another store's: the answer names the user and what they signed in to.
 */
async function introspectionAllowed(
  deps: Pick<OidcProviderDeps, 'db' | 'tenantId'>,
  ctx: KoaContextWithOIDC,
  client: Client,
  token: { clientId?: string | undefined; accountId?: string | undefined },
): Promise<boolean> {
  if (!(await mayIntrospect(ctx, client, token))) return false;
  // A user locked, disabled or deleted since the token was issued: the token waits in storage for its expiry but is no
  // longer active (RFC 7662 §2.2), as it no longer opens userinfo or refreshes (findAccount refuses them too).
  return typeof token.accountId !== 'string' || (await accountIsActive(deps, token.accountId));
}

async function mayIntrospect(ctx: KoaContextWithOIDC, client: Client, token: { clientId?: string | undefined }): Promise<boolean> {
  if (token.clientId === client.clientId) return true;
  if (client.clientAuthMethod === 'none' || typeof token.clientId !== 'string') return false;
  const owner = await ctx.oidc.provider.Client.find(token.clientId);
  return owner !== undefined && owner['keyway_store_id'] === client['keyway_store_id'];
}

async function accountIsActive(deps: Pick<OidcProviderDeps, 'db' | 'tenantId'>, userId: string): Promise<boolean> {
  const row = await deps.db.selectFrom('users').select('status').where('tenant_id', '=', deps.tenantId).where('id', '=', userId).executeTakeFirst();
  return row !== undefined && !isSignInBarred(row.status);
}

/** Answers one of the provider's pages, drawn as the client's store's hosted pages (Keyway's when no client is known). */
async function sendPage(deps: Pick<OidcProviderDeps, 'pages' | 'tenantId'>, ctx: KoaContextWithOIDC, page: OidcPage): Promise<void> {
  const storeId = ctx.oidc?.client?.['keyway_store_id'];
  // The path as the browser sent it (oidc-routes.ts gives the provider the path below the issuer).
  const url = (ctx.req as { originalUrl?: string }).originalUrl ?? ctx.url;
  const accept = ctx.get('accept-language');
  const rendered = await deps.pages.render(
    {
      tenantId: deps.tenantId,
      storeId: typeof storeId === 'string' ? storeId : undefined,
      acceptLanguage: accept === '' ? undefined : accept,
      uiLocales: ctx.oidc?.params?.['ui_locales'],
      url,
    },
    page,
  );
  ctx.set(rendered.headers);
  ctx.type = 'html';
  ctx.body = rendered.html;
}

function safeOrigin(uri: string): string | undefined {
  try {
    return new URL(uri).origin;
  } catch {
    return undefined;
  }
}

/** An account is a user of the client's store who may sign in (active or pending, never locked or disabled). */
async function findAccount(
  deps: Pick<OidcProviderDeps, 'db' | 'tenantId' | 'organizations'>,
  ctx: KoaContextWithOIDC,
  sub: string,
): Promise<Account | undefined> {
  const { db, tenantId } = deps;
  const storeId = ctx.oidc.client?.['keyway_store_id'];
  const row = await db
    .selectFrom('users')
    .innerJoin('stores', 'stores.id', 'users.store_id')
    .selectAll('users')
    .select('stores.name as store_name')
    .where('users.tenant_id', '=', tenantId)
    .where('users.id', '=', sub)
    .executeTakeFirst();
  if (!row || (typeof storeId === 'string' && row.store_id !== storeId)) return undefined;
  if (isSignInBarred(row.status)) return undefined;
  const claims = userClaims(row, row.store_name);
  const accountClaims = async (scope: string, requested: Record<string, unknown> | undefined): Promise<{ sub: string } & Record<string, unknown>> => {
    // device_keys: the user's bound devices (Known Device Status), only when there are any.
    const deviceKeys = await activeDeviceKeyIds(db, tenantId, row.id);
    const base = { ...claims, ...(deviceKeys.length > 0 ? { device_keys: deviceKeys } : {}), sub: row.id };
    const organizationId = scope.split(' ').includes('organization') ? requestedOrganization(requested) : undefined;
    if (organizationId === undefined) return base;
    // Read live: a member removed since the sign-in gets no organization claims.
    const membership = (await deps.organizations.membershipsOf(tenantId, row.store_name, row.id)).find((m) => m.organizationId === organizationId);
    return { ...base, ...(membership ? { org_id: membership.organizationId, org_roles: membership.roles } : {}) };
  };
  return {
    accountId: row.id,
    // The one place the user's claims leave for a client (ID token, userinfo): a grant or token stored before the
    // claims parameter was bounded by the registered scopes releases no more than the registration allows now, and a
    // pairwise client gets no claim that is the same at every client (releasableClaims).
    claims: async (_use, scope, requested) => releasableClaims(await accountClaims(scope, requested as never), ctx.oidc.client ?? {}),
  };
}
