/**
 * Whether a value's JSON text would exceed `limit` bytes, decided without building that text. The walk stops as soon
 * as the count passes the limit, so it costs at most about `limit` steps even for a value that shares sub-values
 * (`[l, l]` doubled in a loop is a small graph in memory but exponentially large as JSON). Strings count their UTF-8
 * bytes and quotes but not escapes: a lower bound, so the final check on the stored JSON stays exact. It reads
 * journey JSON values and CEL values alike (bigint, bytes, timestamps, maps).
 */
export function exceedsJsonBytes(value: unknown, limit: number): boolean {
  let total = 0;
  const pending: unknown[] = [value];
  while (pending.length > 0) {
    const next = pending.pop();
    total += shallowBytes(next, pending);
    if (total > limit) return true;
  }
  return false;
}

/** A list or map with more members than this is counted by its length alone (it is over any limit used here). */
const MAX_MEMBERS = 1_000_000;

/** The bytes of the value itself (punctuation, keys, scalars); its members are pushed onto `pending`. */
function shallowBytes(value: unknown, pending: unknown[]): number {
  switch (typeof value) {
    case 'string':
      // length ≤ UTF-8 bytes ≤ 3 × length: a huge string is over without being measured (or flattened).
      return value.length > 1_000_000 ? value.length : Buffer.byteLength(value) + 2;
    case 'number':
    case 'bigint':
    case 'boolean':
      return String(value).length;
    case 'undefined':
      return 4;
    case 'object':
      break;
    default:
      return 4;
  }
  if (value === null) return 4;
  if (value instanceof Uint8Array) return Math.ceil((value.byteLength * 4) / 3) + 2;
  if (value instanceof Date) return 26;
  if (value instanceof Map) {
    if (value.size > MAX_MEMBERS) return value.size;
    let bytes = 2;
    for (const [key, inner] of value) {
      bytes += String(key).length + 4;
      pending.push(inner);
    }
    return bytes;
  }
  if (Array.isArray(value)) {
    // Each member takes at least a byte: a list longer than the limit is over without walking it.
    if (value.length > MAX_MEMBERS) return value.length;
    for (const inner of value) pending.push(inner);
    return 2 + value.length;
  }
  const entries = Object.entries(value);
  if (entries.length > MAX_MEMBERS) return entries.length;
  let bytes = 2;
  for (const [key, inner] of entries) {
    bytes += key.length + 4;
    pending.push(inner);
  }
  return bytes;
}
