import { createHash, createHmac, randomInt, timingSafeEqual } from 'node:crypto';
import { KeywayError } from '../errors/keyway-error.ts';
import { randomBytes } from '../shared/random-bytes.ts';

/**
 * The sign-up challenge: a proof of work in place of a third-party CAPTCHA (SecureAuth's sign-up asks for one), in
 * the open ALTCHA format. The server picks a secret number up to `maxnumber`, publishes
 * `challenge = SHA-256(salt ‖ number)` with an HMAC `signature` under the tenant's key, and keeps nothing; the
 * browser finds the number by trying them (some tens of thousands of hashes: a moment for a person's browser, a
 * cost per account for a script signing up thousands), and sends the solution with the sign-up. The salt carries the
 * expiry (`?expires=` Unix seconds), so an old solution fails; the caller records a solved challenge as used.
 */
export const CHALLENGE_MAX_NUMBER = 50_000;
export const CHALLENGE_LIFETIME_MS = 5 * 60 * 1000;

export interface SignUpChallenge {
  algorithm: 'SHA-256';
  challenge: string;
  maxnumber: number;
  salt: string;
  signature: string;
}

const sha256Hex = (text: string) => createHash('sha256').update(text).digest('hex');
const sign = (key: Buffer, challenge: string) => createHmac('sha256', key).update(challenge).digest('hex');

export function issueChallenge(key: Buffer, now: Date): SignUpChallenge {
  const expires = Math.floor((now.getTime() + CHALLENGE_LIFETIME_MS) / 1000);
  const salt = `${randomBytes(12).toString('hex')}?expires=${expires}`;
  const challenge = sha256Hex(`${salt}${randomInt(0, CHALLENGE_MAX_NUMBER + 1)}`);
  return { algorithm: 'SHA-256', challenge, maxnumber: CHALLENGE_MAX_NUMBER, salt, signature: sign(key, challenge) };
}

/** A solved challenge: the browser's payload (base64 of `{algorithm, challenge, number, salt, signature}`), checked. */
export interface Solution {
  challenge: string;
  /** When the challenge expires (ms): a record of its use need not outlive it */
  expiresAt: number;
}

const invalid = (why: string) => new KeywayError('SIGN_UP_CHALLENGE_INVALID', `challenge: ${why}; ask for a new challenge`);

/** Checks a solution: ours (signature), unexpired, and right (the number hashes to the challenge). */
export function checkSolution(key: Buffer, payload: string, now: Date): Solution {
  let solution: unknown;
  try {
    solution = JSON.parse(Buffer.from(payload, 'base64').toString('utf8'));
  } catch {
    throw invalid('not a solution payload');
  }
  const { algorithm, challenge, number, salt, signature } = (solution ?? {}) as Record<string, unknown>;
  if (algorithm !== 'SHA-256' || typeof challenge !== 'string' || typeof salt !== 'string' || typeof signature !== 'string')
    throw invalid('not a solution payload');
  if (typeof number !== 'number' || !Number.isInteger(number) || number < 0 || number > CHALLENGE_MAX_NUMBER) throw invalid('not a solution payload');
  const expected = Buffer.from(sign(key, challenge), 'hex');
  const given = Buffer.from(signature, 'hex');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw invalid('not issued by this server');
  const expires = Number(/[?&]expires=(\d{1,12})$/.exec(salt)?.[1]);
  if (!Number.isFinite(expires) || expires * 1000 <= now.getTime()) throw invalid('expired');
  if (sha256Hex(`${salt}${number}`) !== challenge) throw invalid('the number does not solve it');
  return { challenge, expiresAt: expires * 1000 };
}
