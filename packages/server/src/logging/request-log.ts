// What a request's log line says about the request: its method, its route, and its path and query with nothing a
// person could be recognised by and no secret. URLs carry both: `login_hint` and `id_token_hint` in OpenID Connect
// requests, e-mail addresses and search terms in the admin API's queries, external ids (which may be e-mail addresses)
// and live journey session ids (bearer credentials) in paths. Logs are copied, shipped and kept far longer than the
// rows those values come from, so they are kept out of logs at the source rather than redacted after the fact.

/** The part of a Fastify request the serializer reads (a raw IncomingMessage has `url` and `method` only). */
export interface LoggedRequest {
  method?: string | undefined;
  url?: string | undefined;
  originalUrl?: string | undefined;
  host?: string | undefined;
  ip?: string | undefined;
  params?: unknown;
  routeOptions?: { url?: string | undefined } | undefined;
}

/** `req` of a log line (a type, not an interface: Fastify's serializer type wants an index signature). */
export type RequestLogEntry = {
  method: string | undefined;
  /** The path (the route's, with the values of the parameters in LOGGED_PARAMS) and the query (see LOGGED_QUERY_VALUES). */
  url: string;
  /** The route pattern, e.g. `/api/identity-store/:tenantId/stores/:storeName/users/:userId`; absent when none matched. */
  route?: string;
  host?: string;
  /** The client's address (after KEYWAY_TRUST_PROXY); absent with KEYWAY_LOG_CLIENT_IP=false. */
  remoteAddress?: string;
};

/**
 * Route parameters whose values are names an administrator chose or ids of configuration (tenants, stores, journeys,
 * clients, relying parties, policies, organizations, form and page names and versions): logged, as they are what an
 * operator needs to tell one tenant's traffic from another's.
 */
export const LOGGED_PARAMS: ReadonlySet<string> = new Set([
  'tenantId',
  'storeName',
  'journeyId',
  'clientId',
  'rpId',
  'policyName',
  'regPolicyName',
  'authPolicyName',
  'organizationId',
  'name',
  'version',
  'page',
]);

/**
 * Route parameters whose values identify a person (users, external ids, operators, their devices and passkeys, a
 * claimed e-mail domain) or are secrets (journey and ceremony session ids, interaction ids, page grants, invitations):
 * logged as `:name`. A parameter in neither list is treated as if it were here; a test makes each route's parameters
 * be in one of them.
 */
export const HIDDEN_PARAMS: ReadonlySet<string> = new Set([
  'userId',
  'userExtId',
  'operatorId',
  'credentialId',
  'passkeyId',
  'deviceId',
  'domain',
  'sessionId',
  'uid',
  'grantId',
  'invitationId',
]);

/**
 * Query parameters whose values are protocol vocabulary or paging, never a person's data nor a secret: logged with
 * their value (when it is short and plain, `[A-Za-z0-9 ._:-]`). Every other parameter is logged by name, its value
 * `[redacted]`: `login_hint`, `id_token_hint`, `email`, `q`, `userKey`, `externalId`, `code`, `state`, `nonce`,
 * `redirect_uri`, `return_to`, `cursor`, `token`, ….
 */
export const LOGGED_QUERY_VALUES: ReadonlySet<string> = new Set([
  // OpenID Connect / OAuth 2.0
  'response_type',
  'response_mode',
  'client_id',
  'scope',
  'prompt',
  'display',
  'max_age',
  'ui_locales',
  'acr_values',
  'code_challenge_method',
  'grant_type',
  // Keyway's own: paging, filters that are enumerations, languages
  'limit',
  'status',
  'format',
  'force',
  'lang',
  'days',
  'action',
  'targetType',
  'rpId',
  'allowSignUp',
]);

const REDACTED = '[redacted]';
const PLAIN_VALUE = /^[A-Za-z0-9 ._:-]{1,100}$/;
/** A query parameter's name that is a name, not data someone put where a name goes (`?grace@example.com`). */
const PLAIN_NAME = /^[A-Za-z][A-Za-z_.-]{0,39}$/;
/** A path segment that is a plain lower-case word (`session`, `end`, `jwks.json`, `.well-known`, `no-such-route`). */
const WORD_SEGMENT = /^\.?[a-z]+(?:[._-][a-z]+)*$/;
const MAX_QUERY_PARAMETERS = 50;
const PARAMETER = /:([A-Za-z0-9_]+)(?:\([^)]*\))?/g;

/**
 * Segments outside route parameters (below a wildcard route, or of a path no route matches): a plain lower-case word
 * is kept, anything else (an id, a token, an address, a percent-escape: a digit, a capital, `@` or `%`) is `*`.
 */
function scrubSegments(path: string): string {
  return path
    .split('/')
    .map((segment) => (segment === '' || (segment.length <= 40 && WORD_SEGMENT.test(segment)) ? segment : '*'))
    .join('/');
}

function scrubPath(request: LoggedRequest, url: string, route: string | undefined): string {
  if (route === undefined) {
    const query = url.indexOf('?');
    return scrubSegments(query < 0 ? url : url.slice(0, query));
  }
  const params = (typeof request.params === 'object' && request.params !== null ? request.params : {}) as Record<string, unknown>;
  return route
    .replace(PARAMETER, (pattern, name: string) => {
      const value = params[name];
      return LOGGED_PARAMS.has(name) && typeof value === 'string' && value !== '' ? encodeURIComponent(value) : `:${name}`;
    })
    .replace(/\*$/, () => (typeof params['*'] === 'string' ? scrubSegments(params['*']) : '*'));
}

function scrubQuery(url: string): string {
  const start = url.indexOf('?');
  if (start < 0) return '';
  const parts: string[] = [];
  let count = 0;
  for (const [name, value] of new URLSearchParams(url.slice(start + 1))) {
    if (++count > MAX_QUERY_PARAMETERS) {
      parts.push('…');
      break;
    }
    if (!PLAIN_NAME.test(name)) parts.push(`*=${REDACTED}`);
    else if (LOGGED_QUERY_VALUES.has(name) && PLAIN_VALUE.test(value)) parts.push(`${name}=${value.replaceAll(' ', '+')}`);
    else parts.push(`${name}=${REDACTED}`);
  }
  return parts.length > 0 ? `?${parts.join('&')}` : '';
}

/**
 * pino's `req` serializer: the method, the route pattern, the path with the values of LOGGED_PARAMS only, the query
 * with the values of LOGGED_QUERY_VALUES only, the Host header, and the client's address when `clientIp` is true.
 */
export function requestSerializer({ clientIp }: { clientIp: boolean }): (request: LoggedRequest) => RequestLogEntry {
  return (request) => {
    try {
      // The OpenID Provider's route rewrites request.url below the tenant; originalUrl is what the client sent.
      const sent = request.originalUrl ?? request.url ?? '';
      const route = request.routeOptions?.url;
      const entry: RequestLogEntry = { method: request.method, url: `${scrubPath(request, sent, route)}${scrubQuery(sent)}` };
      if (route !== undefined) entry.route = route;
      if (request.host !== undefined) entry.host = request.host;
      if (clientIp && request.ip !== undefined) entry.remoteAddress = request.ip;
      return entry;
    } catch {
      // A log line must never fail a request; what could not be made safe is left out.
      return { method: request.method, url: '*' };
    }
  };
}
