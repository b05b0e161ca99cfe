/**
 * The most an authorization request (at the authorization endpoint or pushed, RFC 9126) may carry in its free-text
 * parameters, in UTF-8 bytes. Neither OpenID Connect Core nor RFC 6749 bounds them (`state` and `nonce` are opaque
 * values), and oidc-provider checks only their syntax, yet it stores them with the request (the interaction, the pushed
 * request, then the code) for as long as those live: unbounded, one anonymous request could store whatever the HTTP
 * server accepts in a URL (16 KiB) or a form body (56 KiB). The bounds leave room for what clients send: random values
 * of 22–64 characters, a `state` carrying a signed or encrypted return address (ASP.NET's, a JWT) of up to ~1.5 KiB,
 * an e-mail address as `login_hint` (254 at most, RFC 5321 §4.5.3.1.3).
 * The other parameters are bounded already: the provider compares `client_id`, `redirect_uri`, `response_type`,
 * `response_mode`, `prompt`, `code_challenge(_method)` and `max_age` with what it knows or a fixed syntax, refuses
 * `request` and `registration`, looks a `request_uri` up (a pushed request's), verifies `id_token_hint` as one of its
 * own ID tokens, and drops parameters it does not know.
 */
export const AUTHORIZATION_PARAMETER_LIMITS: Readonly<Record<string, number>> = {
  state: 2048,
  nonce: 512,
  login_hint: 512,
  // Space-separated values: a list of every scope, language or class Keyway has fits many times over.
  scope: 1024,
  ui_locales: 256,
  claims_locales: 256,
  acr_values: 512,
  // JSON (OpenID Connect Core §5.5): every claim Keyway has, each with a value, fits.
  claims: 4096,
  display: 16,
  request_uri: 512,
};

/** All parameters together (those above and the rest), so the stored request stays small whatever the mix. */
export const AUTHORIZATION_PARAMETERS_TOTAL_LIMIT = 8192;

/**
 * Why the request's parameters are refused (an `invalid_request` description naming the parameter and its bound), or
 * undefined when they are within the bounds.
 */
export function oversizedParameter(params: Readonly<Record<string, unknown>>): string | undefined {
  let total = 0;
  for (const [name, value] of Object.entries(params)) {
    // A parameter the provider takes more than once (`resource`) is a list.
    const values: unknown[] = Array.isArray(value) ? value : [value];
    for (const one of values) {
      if (typeof one !== 'string') continue;
      const bytes = Buffer.byteLength(one);
      const limit = Object.hasOwn(AUTHORIZATION_PARAMETER_LIMITS, name) ? AUTHORIZATION_PARAMETER_LIMITS[name] : undefined;
      if (limit !== undefined && bytes > limit) return `${name} must be at most ${limit} bytes`;
      total += bytes;
    }
  }
  if (total > AUTHORIZATION_PARAMETERS_TOTAL_LIMIT)
    return `the authorization request's parameters must be at most ${AUTHORIZATION_PARAMETERS_TOTAL_LIMIT} bytes together`;
  return undefined;
}
