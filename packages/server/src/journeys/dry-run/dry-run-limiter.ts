import { KeywayError } from '../../errors/keyway-error.ts';
import type { Clock } from '../../shared/clock.ts';
import { LruCache } from '../../shared/lru-cache.ts';

/** Dry-runs each node admits: per tenant and minute, and at once over all tenants. */
export const DRY_RUN_LIMITS = { perMinute: 30, concurrent: 2 } as const;

/**
 * Per-tenant bound on dry-runs, kept in memory on each node: a dry-run writes nothing, and a rate-limit row in the
 * database would be the one write it made. Each node admits `perMinute` per tenant, and `concurrent` at once overall.
 */
export class DryRunLimiter {
  readonly #clock: Clock;
  readonly #perMinute: number;
  readonly #concurrent: number;
  readonly #windows = new LruCache<string, { start: number; count: number }>(10_000);
  #running = 0;

  constructor(clock: Clock, limits: { perMinute: number; concurrent: number }) {
    this.#clock = clock;
    this.#perMinute = limits.perMinute;
    this.#concurrent = limits.concurrent;
  }

  /** Runs `work` if the tenant is within its limits; 429 RATE_LIMITED with Retry-After otherwise. */
  async run<T>(tenantId: string, work: () => Promise<T>): Promise<T> {
    const now = this.#clock.now().getTime();
    const window = this.#windows.get(tenantId);
    const current = window && now - window.start < 60_000 ? window : { start: now, count: 0 };
    if (current.count >= this.#perMinute || this.#running >= this.#concurrent) {
      const retryAfter = current.count >= this.#perMinute ? Math.max(1, Math.ceil((current.start + 60_000 - now) / 1000)) : 1;
      throw new KeywayError('RATE_LIMITED', 'Too many dry-runs; retry after the Retry-After delay', { headers: { 'retry-after': String(retryAfter) } });
    }
    current.count += 1;
    this.#windows.set(tenantId, current);
    this.#running += 1;
    try {
      return await work();
    } finally {
      this.#running -= 1;
    }
  }
}
