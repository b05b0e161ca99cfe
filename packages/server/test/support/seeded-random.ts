// Deterministic randomness for generated tests: the same seed gives the same sequence on every run and machine, so a
// failing generated case can be reproduced from its seed and index. SHA-256 in counter mode over the seed (node:crypto).
import { createHash } from 'node:crypto';

export class SeededRandom {
  readonly seed: string;
  #counter = 0;
  #pool = Buffer.alloc(0);

  constructor(seed: string) {
    this.seed = seed;
  }

  bytes(length: number): Uint8Array {
    while (this.#pool.length < length) {
      const block = createHash('sha256').update(this.seed).update(String(this.#counter++)).digest();
      this.#pool = Buffer.concat([this.#pool, block]);
    }
    const out = new Uint8Array(this.#pool.subarray(0, length));
    this.#pool = this.#pool.subarray(length);
    return out;
  }

  /** A uniform integer in [0, below), below ≤ 2^32 (rejection sampling, no modulo bias). */
  int(below: number): number {
    if (!Number.isInteger(below) || below < 1 || below > 2 ** 32) throw new RangeError(`below must be 1..2^32, got ${below}`);
    const limit = 2 ** 32 - (2 ** 32 % below);
    for (;;) {
      const value = Buffer.from(this.bytes(4)).readUInt32BE(0);
      if (value < limit) return value % below;
    }
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new RangeError('pick() from an empty list');
    return items[this.int(items.length)]!;
  }

  chance(probability: number): boolean {
    return this.int(1_000_000) < probability * 1_000_000;
  }
}
