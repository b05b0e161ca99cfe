// The pooled random bytes behind ids, challenges and tokens (shared/random-bytes.ts): each call gets bytes no other
// call gets, and bytes already handed out never change when the pool is replaced.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { randomBytes } from '../../src/shared/random-bytes.ts';

test('every call gets the length it asked for, in memory no other call shares', () => {
  const drawn = Array.from({ length: 2_000 }, (_, i) => randomBytes(1 + (i % 48)));
  drawn.forEach((bytes, i) => assert.equal(bytes.length, 1 + (i % 48)));
  // Slices of one pool lie side by side without overlap: sort each pool's slices by offset and compare neighbours.
  const byPool = Map.groupBy(drawn, (bytes) => bytes.buffer);
  assert.ok(byPool.size > 1, 'the draws span several pools');
  for (const slices of byPool.values()) {
    const sorted = slices.toSorted((a, b) => a.byteOffset - b.byteOffset);
    for (let i = 1; i < sorted.length; i++) assert.ok(sorted[i]!.byteOffset >= sorted[i - 1]!.byteOffset + sorted[i - 1]!.length);
  }
  // Random, not a pattern: 2,000 draws of up to 48 bytes give 32-byte values that are all different.
  const tokens = new Set(Array.from({ length: 2_000 }, () => randomBytes(32).toString('hex')));
  assert.equal(tokens.size, 2_000);
});

test('bytes already handed out keep their value while later draws replace the pool', () => {
  const first = randomBytes(32);
  const copy = Buffer.from(first);
  for (let i = 0; i < 1_000; i++) randomBytes(32); // several pools' worth
  assert.deepEqual(first, copy);
});

test('a large request gets memory of its own', () => {
  const large = randomBytes(4_096);
  assert.equal(large.length, 4_096);
  assert.equal(large.byteOffset, 0);
  assert.equal(large.buffer.byteLength, 4_096);
  assert.notEqual(large.toString('hex'), Buffer.alloc(4_096).toString('hex'));
});
