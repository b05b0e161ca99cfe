import { sql, type Kysely } from 'kysely';
import { KeywayError } from '../errors/keyway-error.ts';
import type { Clock } from '../shared/clock.ts';
import type { Schema } from '../storage/schema.ts';

export const RATE_LIMIT_WINDOW_MS = 60_000;
const PURGE_INTERVAL_MS = 10 * 60 * 1000;

/**
 * Fixed one-minute windows counted in the database, so every node sees the same counts. One check is one upsert on
 * the primary key: a new window starts at 1, the current one is incremented, and the count comes back (RETURNING).
 */
export class RateLimiter {
  readonly #db: Kysely<Schema>;
  readonly #clock: Clock;
  #lastPurgeMs = Number.NEGATIVE_INFINITY;

  constructor(deps: { db: Kysely<Schema>; clock: Clock }) {
    this.#db = deps.db;
    this.#clock = deps.clock;
  }

  /** Counts one call for `key`; over `limit` in this window → 429 RATE_LIMITED with Retry-After (seconds). */
  async hit(key: string, limit: number, what: string): Promise<void> {
    const nowMs = this.#clock.now().getTime();
    const windowStart = Math.floor(nowMs / RATE_LIMIT_WINDOW_MS) * RATE_LIMIT_WINDOW_MS;
    const row = await this.#db
      .insertInto('selfservice_rate_limits')
      .values({ key, window_start: windowStart, count: 1 })
      .onConflict((oc) =>
        oc.column('key').doUpdateSet({
          count: sql<number>`case when ${sql.ref('selfservice_rate_limits.window_start')} = ${windowStart} then ${sql.ref('selfservice_rate_limits.count')} + 1 else 1 end`,
          window_start: windowStart,
        }),
      )
      .returning(['count'])
      .executeTakeFirstOrThrow();
    await this.#purgeNowAndThen(nowMs);
    if (Number(row.count) > limit) {
      const retryAfter = Math.max(1, Math.ceil((windowStart + RATE_LIMIT_WINDOW_MS - nowMs) / 1000));
      throw new KeywayError('RATE_LIMITED', `Too many requests ${what}; try again in ${retryAfter} s`, { headers: { 'retry-after': String(retryAfter) } });
    }
  }

  async #purgeNowAndThen(nowMs: number): Promise<void> {
    if (nowMs - this.#lastPurgeMs < PURGE_INTERVAL_MS) return;
    this.#lastPurgeMs = nowMs;
    await this.#db.deleteFrom('selfservice_rate_limits').where('window_start', '<', nowMs - 2 * RATE_LIMIT_WINDOW_MS).execute();
  }
}
