// A console passkey ceremony that only the browser which started it may finish. The challenge alone must not be
// enough: a challenge one client asks for can be signed by an operator's authenticator elsewhere on Keyway's origin
// (any page that can call navigator.credentials.get for Keyway's RP ID), and the assertion handed back would then
// sign the asking client in as that operator. So each ceremony stores the SHA-256 of a secret held in an HttpOnly,
// SameSite=Strict cookie of the starting browser, and its finish is answered only with that cookie; without it, or
// with another browser's, the ceremony is "not found" (nothing tells a stranger that it exists).
//
// One secret per browser (reused while its cookie lives), not per ceremony: two tabs may have ceremonies open at once
// (self-service's flow cookie does the same). The mechanism is shared/browser-binding.ts.
import { bindBrowser, bindingOf, bindingSecretOf, matchesBinding, type BindingCookie } from '../shared/browser-binding.ts';

/** An hour: longer than any ceremony (5 minutes), short enough not to linger on a shared machine. */
const COOKIE: BindingCookie = { name: 'keyway_console_ceremony', sameSite: 'strict', maxAgeSeconds: 60 * 60 };

/** The ceremony secret a request's cookies carry, if well formed. */
export function ceremonySecretOf(cookieHeader: string | undefined): string | undefined {
  return bindingSecretOf(cookieHeader, COOKIE.name);
}

/** What a ceremony stores of the secret. */
export const ceremonyBindingOf = bindingOf;

/** Whether a request carrying `secret` may finish a ceremony with this binding; a ceremony without one admits nobody. */
export function admitsCeremonyBrowser(binding: string | null, secret: string | undefined): boolean {
  return binding !== null && matchesBinding(binding, secret);
}

/** The browser's ceremony secret and the Set-Cookie that keeps it, for the tenant's console only (`/{tenantId}/console`). */
export function bindCeremonyBrowser(cookieHeader: string | undefined, tenantId: string, secure: boolean): { secret: string; setCookie: string } {
  return bindBrowser(cookieHeader, COOKIE, `/${tenantId}/console`, secure);
}
