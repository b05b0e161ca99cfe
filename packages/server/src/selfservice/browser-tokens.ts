import { hash } from 'node:crypto';
import { randomBytes } from '../shared/random-bytes.ts';

/**
 * Bearer secrets handed to browsers (session cookies, flow cookies, recovery link tokens): 32 random bytes, stored
 * only as their SHA-256. A fast hash is enough for 256-bit random values (no dictionary to guess from).
 */

const TOKEN = /^[A-Za-z0-9_-]{43}$/;

export function newBrowserToken(): string {
  return randomBytes(32).toString('base64url');
}

/** Whether a value from a cookie or body has the shape of a token this server issued. */
export function isBrowserToken(value: unknown): value is string {
  return typeof value === 'string' && TOKEN.test(value);
}

export function hashBrowserToken(token: string): string {
  return hash('sha256', token, 'hex');
}

/**
 * A browser session's token (the keyway_session cookie) begins with the time it was made: 16 hex digits of epoch
 * milliseconds, then a browser token (32 random bytes, all of its secret). It is stored as that same time prefix
 * followed by the SHA-256 of the whole token, so new sessions land at the end of the unique index on `token_hash`
 * instead of writing a random leaf of it each (4 of a sign-in's 21 WAL pages per commit of the main file were that
 * index's). The prefix says only when the session began, which its row and the browser know anyway.
 */
const SESSION_TOKEN = /^[0-9a-f]{16}[A-Za-z0-9_-]{43}$/;
const TIME_DIGITS = 16;

export function newSessionToken(now: Date): string {
  return now.getTime().toString(16).padStart(TIME_DIGITS, '0') + newBrowserToken();
}

/**
 * What a session row stores of a cookie value, or undefined when the value is no session token this server issues: a
 * time-prefixed token gives its prefix and its SHA-256; a plain browser token (sessions opened before the prefix) its
 * SHA-256. One check of the shape, then the hash.
 */
export function sessionTokenHash(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  if (SESSION_TOKEN.test(value)) return value.slice(0, TIME_DIGITS) + hashBrowserToken(value);
  return isBrowserToken(value) ? hashBrowserToken(value) : undefined;
}
