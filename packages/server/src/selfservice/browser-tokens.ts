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
