import { sql, type Kysely } from 'kysely';
import { KeywayError } from '../errors/keyway-error.ts';
import type { Clock } from './clock.ts';
import type { Schema } from '../storage/schema.ts';

export const RATE_LIMIT_WINDOW_MS = 60_000;

export interface RateLimitCheck {
  key: string;
  limit: number;
  /** How the refusal names what was limited, e.g. "from this address" */
  what: string;
}
const PURGE_INTERVAL_MS = 10 * 60 * 1000;

/**
 * The request limiter of every public, costly endpoint (self-service ceremonies, public journey
 * starts, the token endpoint); each caller prefixes its keys with its own name.
 * Fixed one-minute windows counted in the database, so every node sees the same counts (nodes on PostgreSQL share
 * the table; nodes on SQLite open the same ephemeral file). One check is one upsert on
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
    await this.hitAll([{ key, limit, what }]);
  }

  /**
   * Counts one call against the checks, in order: one upsert per check, in one transaction (one commit for all keys;
   * the windows are ephemeral state — an ATTACHed synchronous=OFF file on SQLite, UNLOGGED on PostgreSQL — so that
   * commit never waits for the disk). The first check over its limit refuses the call, and the checks after it are
   * not charged: a refused call must not spend a wider, shared budget (list the narrow keys first, e.g. per address
   * before per account, so one address cannot exhaust what every address shares).
   */
  async hitAll(checks: readonly RateLimitCheck[]): Promise<void> {
    if (checks.length === 0) return;
    const nowMs = this.#clock.now().getTime();
    const windowStart = Math.floor(nowMs / RATE_LIMIT_WINDOW_MS) * RATE_LIMIT_WINDOW_MS;
    const exceeded = await this.#db.transaction().execute(async (trx) => {
      for (const check of checks) {
        if ((await this.#count(trx, check.key, windowStart)) > check.limit) return check;
      }
      return undefined;
    });
    await this.#purgeNowAndThen(nowMs);
    if (exceeded) {
      const retryAfter = Math.max(1, Math.ceil((windowStart + RATE_LIMIT_WINDOW_MS - nowMs) / 1000));
      throw new KeywayError('RATE_LIMITED', `Too many requests ${exceeded.what}; try again in ${retryAfter} s`, { headers: { 'retry-after': String(retryAfter) } });
    }
  }

  /** One upsert on the primary key: a new window starts at 1, the current one is incremented (RETURNING the count). */
  async #count(executor: Kysely<Schema>, key: string, windowStart: number): Promise<number> {
    const row = await executor
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
    return Number(row.count);
  }

  async #purgeNowAndThen(nowMs: number): Promise<void> {
    if (nowMs - this.#lastPurgeMs < PURGE_INTERVAL_MS) return;
    this.#lastPurgeMs = nowMs;
    await this.#db.deleteFrom('selfservice_rate_limits').where('window_start', '<', nowMs - 2 * RATE_LIMIT_WINDOW_MS).execute();
  }
}
