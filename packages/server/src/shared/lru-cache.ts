/**
 * A bounded map that forgets a least recently used entry first, by the "second chance" (CLOCK) approximation of LRU.
 *
 * A hit only marks its entry as used; the map itself is not touched. Eviction walks from the oldest entry (a Map keeps
 * insertion order): a used one loses its mark and goes to the back, the first unused one is dropped. Strict LRU would
 * move the entry to the back on every hit (a delete and an insert, each hashing the key): the caches on the sign-in
 * path (configuration, keys) answer some ten hits per ceremony, and those moves were about 1 % of its CPU. An entry
 * used since the walk last passed it is never the one dropped while one that was not is there; when all were used,
 * the oldest goes. Each eviction is O(1) amortised.
 */
export class LruCache<K, V> {
  readonly #entries = new Map<K, { value: V; used: boolean }>();
  readonly #maxEntries: number;

  constructor(maxEntries: number) {
    if (!Number.isInteger(maxEntries) || maxEntries < 1) throw new RangeError(`maxEntries must be a positive integer, got ${maxEntries}`);
    this.#maxEntries = maxEntries;
  }

  get size(): number {
    return this.#entries.size;
  }

  get(key: K): V | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    entry.used = true;
    return entry.value;
  }

  set(key: K, value: V): void {
    const entry = this.#entries.get(key);
    if (entry !== undefined) {
      entry.value = value;
      entry.used = true;
      return;
    }
    // Room is made before the new entry goes in, so the walk never drops the entry being added.
    if (this.#entries.size >= this.#maxEntries) this.#evictOne();
    this.#entries.set(key, { value, used: false });
  }

  delete(key: K): boolean {
    return this.#entries.delete(key);
  }

  /** Drops the oldest entry not used since it was last passed; used ones are moved to the back, unmarked. */
  #evictOne(): void {
    // Entries moved to the back are visited again by this iteration, unmarked, so it ends within size + 1 steps.
    for (const [key, entry] of this.#entries) {
      this.#entries.delete(key);
      if (!entry.used) return;
      entry.used = false;
      this.#entries.set(key, entry);
    }
  }
}
