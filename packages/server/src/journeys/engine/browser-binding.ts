// A journey instance that only one browser may drive. A login journey is started by Keyway itself for an OIDC
// interaction, and its success signs in the browser holding that interaction. Its session id alone must then not be
// enough to drive it: sent on (the runner's link carries it), it would let whoever completes the journey in another
// browser — with their own passkey — sign the sender in as themselves (RFC 9700 §4.1.1, a login CSRF / session
// fixation of the authorization response). So such an instance is bound to a secret in an HttpOnly cookie of the
// starting browser, and the runtime answers for it only a request that carries that cookie, as it answers an unknown
// session (nothing tells a stranger the session exists).
//
// One secret per browser (reused while its cookie lives), not per instance: two tabs signing in to two clients at
// once both keep working. The instance stores only the secret's SHA-256 (shared/browser-binding.ts).
import { bindBrowser as bindWith, bindingSecretOf, matchesBinding, type BindingCookie } from '../../shared/browser-binding.ts';

export { bindingOf } from '../../shared/browser-binding.ts';

/** HttpOnly, SameSite=Lax (the runner is reached by a cross-site redirect chain), for the browser session. */
const COOKIE: BindingCookie = { name: 'keyway_journey_browser', sameSite: 'lax' };
export const JOURNEY_BROWSER_COOKIE = COOKIE.name;

/** The browser secret a request's cookies carry, if well formed. */
export function browserSecretOf(cookieHeader: string | undefined): string | undefined {
  return bindingSecretOf(cookieHeader, COOKIE.name);
}

/** Whether a request carrying `secret` may drive an instance with this binding (any request when it has none). */
export function admitsBrowser(binding: string | null, secret: string | undefined): boolean {
  return binding === null || matchesBinding(binding, secret);
}

/** The browser's secret and the Set-Cookie that keeps it, for the tenant's journey runtime and runner only (`/{tenantId}/journeys`). */
export function bindBrowser(cookieHeader: string | undefined, tenantId: string, secure: boolean): { secret: string; setCookie: string } {
  return bindWith(cookieHeader, COOKIE, `/${tenantId}/journeys`, secure);
}
