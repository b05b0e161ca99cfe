// A journey instance that only one browser may drive. A login journey is started by Keyway itself for an OIDC
// interaction, and its success signs in the browser holding that interaction. Its session id alone must then not be
// enough to drive it: sent on (the runner's link carries it), it would let whoever completes the journey in another
// browser — with their own passkey — sign the sender in as themselves (RFC 9700 §4.1.1, a login CSRF / session
// fixation of the authorization response). So such an instance is bound to a secret in an HttpOnly cookie of the
// starting browser, and the runtime answers for it only a request that carries that cookie, as it answers an unknown
// session (nothing tells a stranger the session exists).
//
// One secret per browser (reused while its cookie lives), not per instance: two tabs signing in to two clients at
// once both keep working. The instance stores only the secret's SHA-256.
import { createHash, timingSafeEqual } from 'node:crypto';
import { parseCookie, stringifySetCookie } from 'cookie';
import { randomBytes } from '../../shared/random-bytes.ts';

export const JOURNEY_BROWSER_COOKIE = 'keyway_journey_browser';

/** 32 random bytes, base64url: what a valid cookie holds. */
const SECRET = /^[A-Za-z0-9_-]{43}$/;

/** The SHA-256 of a browser secret, as an instance stores it. */
export function bindingOf(secret: string): string {
  return createHash('sha256').update(secret).digest('base64url');
}

/** The browser secret a request's cookies carry, if well formed. */
export function browserSecretOf(cookieHeader: string | undefined): string | undefined {
  const secret = parseCookie(cookieHeader ?? '')[JOURNEY_BROWSER_COOKIE];
  return secret !== undefined && SECRET.test(secret) ? secret : undefined;
}

/** Whether a request carrying `secret` may drive an instance with this binding (any request when it has none). */
export function admitsBrowser(binding: string | null, secret: string | undefined): boolean {
  if (binding === null) return true;
  if (secret === undefined) return false;
  return timingSafeEqual(Buffer.from(bindingOf(secret)), Buffer.from(binding));
}

/**
 * The browser's secret (its cookie's, or a new one) and the Set-Cookie that keeps it: HttpOnly, for the tenant's
 * journey runtime and runner only (`/{tenantId}/journeys`), SameSite=Lax, Secure on https; it lasts as long as the
 * browser session.
 */
export function bindBrowser(cookieHeader: string | undefined, tenantId: string, secure: boolean): { secret: string; setCookie: string } {
  const secret = browserSecretOf(cookieHeader) ?? randomBytes(32).toString('base64url');
  const setCookie = stringifySetCookie({
    name: JOURNEY_BROWSER_COOKIE,
    value: secret,
    httpOnly: true,
    sameSite: 'lax',
    secure,
    path: `/${tenantId}/journeys`,
  });
  return { secret, setCookie };
}
