import { randomFillSync } from 'node:crypto';

/** Bytes drawn per refill: a few hundred ids, tokens and challenges. */
const POOL_BYTES = 4096;

let pool = Buffer.alloc(0);
let offset = 0;

/**
 * `n` cryptographically strong random bytes (OpenSSL's CSPRNG, as `crypto.randomBytes`), sliced from a pool that one
 * `randomFillSync` call fills.
 *
 * Node runs each `crypto.randomBytes` call as a crypto job, a native object made and torn down per call: ~5.5 µs for
 * 8 or 32 bytes, against ~0.1 µs for a slice here, and a sign-in draws random bytes nine times (ids, challenge,
 * session id and token, token id). Node's `randomUUID` batches the same way. A pool is replaced, never refilled in
 * place, so the bytes handed out are never handed out again and never change under their owner. Large requests
 * skip the pool.
 *
 * For ids, challenges, tokens and salts. Key material (master and data keys) keeps its own memory from
 * `node:crypto`, so no key ever shares a buffer with a value that is sent out.
 */
export function randomBytes(n: number): Buffer {
  if (n > POOL_BYTES / 8) return randomFillSync(Buffer.allocUnsafeSlow(n));
  if (offset + n > pool.length) {
    pool = randomFillSync(Buffer.allocUnsafeSlow(POOL_BYTES));
    offset = 0;
  }
  const bytes = pool.subarray(offset, offset + n);
  offset += n;
  return bytes;
}
