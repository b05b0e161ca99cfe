// The bounded caches' eviction (shared/lru-cache.ts, second chance): the size never exceeds the bound, an entry used
// since the last eviction walk is kept over one that was not, and a full cache of used entries drops its oldest.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { LruCache } from '../../src/shared/lru-cache.ts';

const keysOf = (cache: LruCache<string, number>, candidates: string[]) => candidates.filter((key) => cache.get(key) !== undefined);

describe('LruCache', () => {
  test('refuses a bound that is not a positive integer', () => {
    for (const bound of [0, -1, 1.5, Number.NaN]) assert.throws(() => new LruCache(bound), RangeError);
  });

  test('holds at most its bound; of entries used alike, the oldest goes first', () => {
    const cache = new LruCache<string, number>(3);
    for (const [index, key] of ['a', 'b', 'c', 'd', 'e'].entries()) {
      cache.set(key, index);
      assert.ok(cache.size <= 3);
    }
    assert.deepEqual(keysOf(cache, ['a', 'b', 'c', 'd', 'e']), ['c', 'd', 'e']);
    assert.equal(cache.get('e'), 4);
  });

  test('an entry read since the last eviction survives it; one not read is dropped', () => {
    const cache = new LruCache<string, number>(3);
    cache.set('a', 1);
    cache.set('b', 2);
    cache.set('c', 3);
    cache.set('d', 4); // none was read: the oldest, a, goes
    assert.equal(cache.get('b'), 2); // b is used again; c and d are not
    cache.set('e', 5);
    assert.deepEqual(keysOf(cache, ['a', 'b', 'c', 'd', 'e']), ['b', 'd', 'e']);
  });

  test('set replaces a value in place, and delete forgets it', () => {
    const cache = new LruCache<string, number>(2);
    cache.set('a', 1);
    cache.set('a', 2);
    assert.equal(cache.size, 1);
    assert.equal(cache.get('a'), 2);
    assert.equal(cache.delete('a'), true);
    assert.equal(cache.get('a'), undefined);
    assert.equal(cache.delete('a'), false);
  });
});

describe('LruCache when every entry was read', () => {
  test('the oldest goes, never the entry being added', () => {
    const cache = new LruCache<string, number>(2);
    cache.set('a', 1);
    cache.set('b', 2);
    cache.get('a');
    cache.get('b');
    cache.set('c', 3);
    assert.deepEqual(keysOf(cache, ['a', 'b', 'c']), ['b', 'c']);
  });
});
