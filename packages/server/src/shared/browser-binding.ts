// Binding server state to one browser: a random secret in an HttpOnly cookie of that browser, of which the state keeps
// only the SHA-256; a request drives the state only with the cookie. One secret per browser, reused while its cookie
// lives, so several pieces of state (two tabs) can be bound at once. Used for journey instances an OIDC interaction
// starts (journeys/engine/browser-binding.ts) and console passkey ceremonies (console/ceremony-binding.ts).
import { createHash, timingSafeEqual } from 'node:crypto';
import { parseCookie, stringifySetCookie } from 'cookie';
import { randomBytes } from './random-bytes.ts';

/** 32 random bytes, base64url: what a valid secret is. */
const SECRET = /^[A-Za-z0-9_-]{43}$/;

/** The cookie that holds a browser's secret. */
export interface BindingCookie {
  name: string;
  sameSite: 'lax' | 'strict';
  /** Unset: the cookie lasts as long as the browser session. */
  maxAgeSeconds?: number;
}

/** The secret a request's cookies carry under `name`, if well formed. */
export function bindingSecretOf(cookieHeader: string | undefined, name: string): string | undefined {
  const secret = parseCookie(cookieHeader ?? '')[name];
  return secret !== undefined && SECRET.test(secret) ? secret : undefined;
}

/** What bound state stores of a secret: its SHA-256, base64url. */
export function bindingOf(secret: string): string {
  return createHash('sha256').update(secret).digest('base64url');
}

/** Whether `secret` is the one behind a stored binding (compared in constant time). */
export function matchesBinding(binding: string, secret: string | undefined): boolean {
  if (secret === undefined) return false;
  const presented = Buffer.from(bindingOf(secret));
  const stored = Buffer.from(binding);
  return presented.length === stored.length && timingSafeEqual(presented, stored);
}

/** The browser's secret (its cookie's, or a new one) and the Set-Cookie that keeps it: HttpOnly, Secure on https, on `path`. */
export function bindBrowser(cookieHeader: string | undefined, cookie: BindingCookie, path: string, secure: boolean): { secret: string; setCookie: string } {
  const secret = bindingSecretOf(cookieHeader, cookie.name) ?? randomBytes(32).toString('base64url');
  const setCookie = stringifySetCookie({
    name: cookie.name,
    value: secret,
    httpOnly: true,
    sameSite: cookie.sameSite,
    secure,
    path,
    ...(cookie.maxAgeSeconds === undefined ? {} : { maxAge: cookie.maxAgeSeconds }),
  });
  return { secret, setCookie };
}
