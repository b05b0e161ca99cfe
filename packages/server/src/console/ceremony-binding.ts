// A console passkey ceremony that only the browser which started it may finish. The challenge alone must not be
// enough: a challenge one client asks for can be signed by an operator's authenticator elsewhere on Keyway's origin
// (any page that can call navigator.credentials.get for Keyway's RP ID), and the assertion handed back would then
// sign the asking client in as that operator. So each ceremony stores the SHA-256 of a secret held in an HttpOnly,
// SameSite=Strict cookie of the starting browser, and its finish is answered only with that cookie; without it, or
// with another browser's, the ceremony is "not found" (nothing tells a stranger that it exists).
//
// One secret per browser (reused while its cookie lives), not per ceremony: two tabs may have ceremonies open at once
// (self-service's flow cookie does the same).
import { timingSafeEqual } from 'node:crypto';
import { parseCookie, stringifySetCookie } from 'cookie';
import { hashConsoleSecret, isConsoleToken, newConsoleToken } from './console-secrets.ts';

export const CONSOLE_CEREMONY_COOKIE = 'keyway_console_ceremony';

/** An hour: longer than any ceremony (5 minutes), short enough not to linger on a shared machine. */
const COOKIE_MAX_AGE_SECONDS = 60 * 60;

/** The ceremony secret a request's cookies carry, if well formed. */
export function ceremonySecretOf(cookieHeader: string | undefined): string | undefined {
  const secret = parseCookie(cookieHeader ?? '')[CONSOLE_CEREMONY_COOKIE];
  return isConsoleToken(secret) ? secret : undefined;
}

/** What a ceremony stores of the secret: its SHA-256 (hex). */
export function ceremonyBindingOf(secret: string): string {
  return hashConsoleSecret(secret);
}

/** Whether a request carrying `secret` may finish a ceremony with this binding; a ceremony without one admits nobody. */
export function admitsCeremonyBrowser(binding: string | null, secret: string | undefined): boolean {
  if (binding === null || secret === undefined) return false;
  const presented = Buffer.from(ceremonyBindingOf(secret));
  const stored = Buffer.from(binding);
  return presented.length === stored.length && timingSafeEqual(presented, stored);
}

/**
 * The browser's ceremony secret (its cookie's, or a new one) and the Set-Cookie that keeps it: HttpOnly,
 * SameSite=Strict, Secure on https, for the tenant's console only (`/{tenantId}/console`).
 */
export function bindCeremonyBrowser(cookieHeader: string | undefined, tenantId: string, secure: boolean): { secret: string; setCookie: string } {
  const secret = ceremonySecretOf(cookieHeader) ?? newConsoleToken();
  const setCookie = stringifySetCookie({
    name: CONSOLE_CEREMONY_COOKIE,
    value: secret,
    httpOnly: true,
    sameSite: 'strict',
    secure,
    path: `/${tenantId}/console`,
    maxAge: COOKIE_MAX_AGE_SECONDS,
  });
  return { secret, setCookie };
}
