import { LruCache } from './lru-cache.ts';

/**
 * In-memory copies of configuration that every request reads (a store's relying parties, policies, self-service
 * settings), each labelled with the version it was loaded at. The caller reads the current version from the database
 * in the request (one small indexed read, see migration 022's `stores.config_version`) and asks for the value at that
 * version: a copy with another label is loaded again. So a change made through any node is seen by the next request on
 * every node, and nothing here ever expires by time.
 *
 * A load starts after the caller read its version, so a value is never older than its label. Concurrent misses of one
 * key share one load.
 */
export class VersionedCache<V> {
  readonly #entries: LruCache<string, { version: number; value: Promise<V> }>;

  constructor(maxEntries: number) {
    this.#entries = new LruCache(maxEntries);
  }

  async get(key: string, version: number, load: () => Promise<V>): Promise<V> {
    const entry = this.#entries.get(key);
    if (entry !== undefined && entry.version === version) return entry.value;
    const value = load();
    this.#entries.set(key, { version, value });
    // A failed load (not found, database down) is not remembered: the next request tries again.
    value.catch(() => {
      if (this.#entries.get(key)?.value === value) this.#entries.delete(key);
    });
    return value;
  }
}

/** Freezes a value handed to many requests (objects and arrays all the way down), so that no caller can change another's copy. */
export function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}
