import { createHash } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { RateLimiter } from '../http/rate-limiter.ts';
import type { Schema } from '../storage/schema.ts';
import { countEmailedLinksSince } from './recovery-links.ts';

/**
 * Lost-passkey e-mails one address receives at most in RECOVERY_EMAIL_WINDOW_MS, however many client addresses and
 * nodes ask: the request limits (per client address, per (address, client address), per address ceiling) still let
 * anyone send an inbox dozens of e-mails a minute; a person who lost a passkey needs one, and maybe a second.
 */
export const RECOVERY_EMAILS_PER_ADDRESS = 3;
export const RECOVERY_EMAIL_WINDOW_MS = 15 * 60 * 1000;

/**
 * Whether another lost-passkey e-mail to `address` (for its account `userId`; none: nothing would be sent) would go
 * over the cap, decided in the caller's transaction that would store the e-mail's link. An e-mail counts for
 * RECOVERY_EMAIL_WINDOW_MS after it was queued (at exactly that age it no longer does): the links e-mailed to the
 * account are the count, state the database keeps on every node (the rate limiter's windows are one minute). The
 * address's own limiter key is charged first, for every request (known address or not, the same statement), in the
 * same transaction: its row stays locked until the commit, so concurrent requests for one address, on any node, take
 * turns and each counts the links the others stored; its one-minute limit is the cap itself, which the count implies
 * anyway.
 */
export async function recoveryEmailCapReached(
  trx: Kysely<Schema>,
  limiter: Pick<RateLimiter, 'charge'>,
  input: { tenantId: string; address: string; userId: string | undefined; now: Date },
): Promise<boolean> {
  // Keyed by a hash of the address's comparison form: the rate-limit table holds no addresses.
  const key = `recovery-email|${input.tenantId}|${createHash('sha256').update(input.address).digest('base64url')}`;
  const refused = await limiter.charge(trx, [{ key, limit: RECOVERY_EMAILS_PER_ADDRESS, what: 'for this e-mail address' }]);
  if (input.userId === undefined) return false;
  if (refused !== undefined) return true;
  return (await countEmailedLinksSince(trx, input.userId, input.now.getTime() - RECOVERY_EMAIL_WINDOW_MS)) >= RECOVERY_EMAILS_PER_ADDRESS;
}
