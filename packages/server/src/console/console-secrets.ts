import { createHash } from 'node:crypto';
import { randomBytes } from '../shared/random-bytes.ts';

/**
 * The console's bearer secrets: enrolment-link tokens, the session cookie, and access tokens
 * (prefixed `kwop_` so the bearer check knows them from API clients' `kwt_` tokens). All are 32
 * random bytes, stored only as their SHA-256: a fast hash is enough for 256-bit random values.
 */

const TOKEN = /^[A-Za-z0-9_-]{43}$/;
export const ACCESS_TOKEN_PREFIX = 'kwop_';

export function newConsoleToken(): string {
  return randomBytes(32).toString('base64url');
}

export function isConsoleToken(value: unknown): value is string {
  return typeof value === 'string' && TOKEN.test(value);
}

export function newAccessToken(): string {
  return ACCESS_TOKEN_PREFIX + newConsoleToken();
}

export function isAccessToken(value: string): boolean {
  return value.startsWith(ACCESS_TOKEN_PREFIX) && isConsoleToken(value.slice(ACCESS_TOKEN_PREFIX.length));
}

export function hashConsoleSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}
