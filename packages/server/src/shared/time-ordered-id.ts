import { randomBytes } from './random-bytes.ts';

let lastMs = 0;
let sequence = 0;

/**
 * A 26-character identifier that sorts by creation time: 12 hex digits of epoch milliseconds,
 * 4 hex digits of a per-process sequence (so ids made in the same millisecond keep their order),
 * then 60 random bits in base64url. Keyset pagination orders by it, so lists come back in
 * creation order without a second sort column.
 */
export function newTimeOrderedId(now: Date): string {
  let ms = now.getTime();
  if (ms <= lastMs) {
    ms = lastMs;
    sequence = (sequence + 1) & 0xffff;
    if (sequence === 0) ms = ++lastMs; // 65 536 ids in one millisecond: borrow the next one
  } else {
    lastMs = ms;
    sequence = 0;
  }
  return ms.toString(16).padStart(12, '0') + sequence.toString(16).padStart(4, '0') + randomBytes(8).toString('base64url').slice(0, 10);
}

export const TIME_ORDERED_ID_PATTERN = /^[0-9a-f]{16}[A-Za-z0-9_-]{10}$/;
