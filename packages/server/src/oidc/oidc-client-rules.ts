import { KeywayError } from '../errors/keyway-error.ts';

/** The scopes a client may be allowed (OpenID Connect Core §5.4, and §11 for offline_access). */
export const OIDC_SCOPES = ['openid', 'profile', 'email', 'phone', 'address', 'offline_access', 'organization'] as const;
export const DEFAULT_CLIENT_SCOPES = ['openid', 'profile', 'email', 'offline_access'];

const MAX_URI_LENGTH = 2048;
const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/**
 * A redirect URI a client may register. Matching is exact string comparison (RFC 9700 §4.1.3), so the rules are
 * about what may be registered: an absolute URI without fragment (RFC 6749 §3.1.2) and without userinfo; `https`,
 * plain `http` only on a loopback host (RFC 8252 §7.3), or a native app's private-use scheme in reverse-domain form
 * (RFC 8252 §7.1).
 */
export function checkRedirectUri(value: string, field: string): string {
  const problem = (why: string) => new KeywayError('OIDC_REDIRECT_URI_INVALID', `${field}: ${why}`);
  if (value.length > MAX_URI_LENGTH) throw problem(`at most ${MAX_URI_LENGTH} characters`);
  if (!/^[\x21-\x7e]+$/.test(value)) throw problem('printable ASCII without spaces only');
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw problem('not an absolute URI');
  }
  if (value.includes('#')) throw problem('a redirect URI has no fragment');
  if (url.username !== '' || url.password !== '') throw problem('a redirect URI has no userinfo');
  const scheme = url.protocol.slice(0, -1);
  if (scheme === 'https') return value;
  if (scheme === 'http') {
    if (LOOPBACK_HOSTS.has(url.hostname)) return value;
    throw problem('plain http only for localhost, 127.0.0.1 or [::1]; use https');
  }
  if (/^[a-z][a-z0-9+-]*(\.[a-z0-9+-]+)+$/.test(scheme)) return value;
  if (['javascript', 'data', 'file', 'vbscript', 'blob'].includes(scheme) || !scheme.includes('.')) {
    throw problem('https, http on a loopback host, or a reverse-domain private-use scheme (com.example.app:/callback)');
  }
  return value;
}

/**
 * A pairwise client's redirect URIs are all on one host: that host is its sector, the unit a pairwise `sub` is computed
 * for (OpenID Connect Core §8.1). Several hosts would need a `sector_identifier_uri` document, which Keyway does not
 * take; without this check the client would be stored but refused by the provider at every request.
 */
export function checkPairwiseSector(subjectType: string, redirectUris: string[]): void {
  if (subjectType !== 'pairwise') return;
  const hosts = [...new Set(redirectUris.map((uri) => new URL(uri).host))];
  if (hosts.length > 1) {
    throw new KeywayError('OIDC_REDIRECT_URI_INVALID', `redirectUris: a pairwise client's redirect URIs share one host, its sector (got ${hosts.join(', ')})`);
  }
}

export function checkScopes(scopes: string[]): string[] {
  for (const scope of scopes) {
    if (!(OIDC_SCOPES as readonly string[]).includes(scope)) {
      throw new KeywayError('OIDC_SCOPE_UNSUPPORTED', `scopes: ${scope} is not one of ${OIDC_SCOPES.join(', ')}`);
    }
  }
  if (!scopes.includes('openid')) throw new KeywayError('OIDC_SCOPE_UNSUPPORTED', 'scopes: openid is required (this is an OpenID Provider)');
  return [...new Set(scopes)];
}
