// Once the server listens, `keyway serve` gives back the young generation that start-up grew
// (shared/release-start-up-memory.ts), reaching V8's collector without leaving a `gc` function to any context.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { getHeapSpaceStatistics } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { releaseStartUpMemory } from '../../src/shared/release-start-up-memory.ts';

const MB = 1024 * 1024;
const youngGenerationBytes = () => getHeapSpaceStatistics().find((space) => space.space_name === 'new_space')!.physical_space_size;

test('the young generation start-up grew is given back, and no context is left a gc function', () => {
  assert.equal(typeof globalThis.gc, 'undefined', 'this test runs without --expose-gc');
  // Start-up's pattern: many objects that live through a few scavenges, which makes V8 grow the young generation.
  let kept: { i: number; s: string }[][] = [];
  for (let round = 0; round < 20; round++) {
    kept.push(Array.from({ length: 100_000 }, (_, i) => ({ i, s: `module ${i}` })));
    if (kept.length > 3) kept.shift();
  }
  kept = [];
  const grown = youngGenerationBytes();
  assert.ok(grown >= 8 * MB, `the allocations grew the young generation (${(grown / MB).toFixed(1)} MB)`);

  releaseStartUpMemory();

  const released = youngGenerationBytes();
  assert.ok(released <= 2 * MB, `the young generation is back to its minimum (${(released / MB).toFixed(1)} MB, was ${(grown / MB).toFixed(1)} MB)`);
  assert.equal(kept.length, 0);
  assert.equal(typeof globalThis.gc, 'undefined');
  assert.equal(runInNewContext('typeof gc'), 'undefined', 'a context made afterwards (as the expression sandbox) has no gc');
});
