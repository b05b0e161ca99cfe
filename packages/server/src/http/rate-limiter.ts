import { isIPv6 } from 'node:net';
import { sql, type Kysely } from 'kysely';
import { KeywayError } from '../errors/keyway-error.ts';
import type { Clock } from '../shared/clock.ts';
import { precompiled, type PrecompiledQuery } from '../storage/precompiled-query.ts';
import type { Schema } from '../storage/schema.ts';
import { inSmallTransaction } from '../storage/small-transaction.ts';

export const RATE_LIMIT_WINDOW_MS = 60_000;

/**
 * How a client address appears in a rate-limit key; every limit per client address makes its key with this. An IPv6
 * address counts as its /64: one host is routinely given a whole /64 (RFC 4291 §2.5.1 interface identifiers, SLAAC
 * privacy addresses), so keyed per address it would have 2^64 budgets. Every text form of one /64 (`::` compression,
 * leading zeros, upper case, a zone id `%eth0`, the last 32 bits dotted) gives the same key, `2001:db8:0:1::/64`. An
 * IPv4 address stays one address, and so does an IPv4-mapped IPv6 one (`::ffff:192.0.2.1`, what a dual-stack socket
 * reports for an IPv4 client), keyed as the IPv4 address it is. Anything else (not an address) is kept as it is.
 */
export function rateLimitAddress(address: string): string {
  const zone = address.indexOf('%');
  const bare = zone === -1 ? address : address.slice(0, zone);
  if (!isIPv6(bare)) return address;
  const groups = ipv6Groups(bare.toLowerCase());
  if (groups.slice(0, 5).every((group) => group === 0) && groups[5] === 0xffff) {
    return [groups[6]! >> 8, groups[6]! & 0xff, groups[7]! >> 8, groups[7]! & 0xff].join('.');
  }
  return `${groups
    .slice(0, 4)
    .map((group) => group.toString(16))
    .join(':')}::/64`;
}

/** The eight 16-bit groups of a valid IPv6 address (node:net's isIPv6), in lower case without a zone id. */
function ipv6Groups(address: string): number[] {
  let text = address;
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (dotted) {
    const [a, b, c, d] = dotted.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const parse = (part: string) => (part === '' ? [] : part.split(':').map((group) => parseInt(group, 16)));
  const front = parse(head);
  if (tail === undefined) return front;
  const back = parse(tail);
  return [...front, ...Array<number>(8 - front.length - back.length).fill(0), ...back];
}

export interface RateLimitCheck {
  key: string;
  limit: number;
  /** How the refusal names what was limited, e.g. "from this address" */
  what: string;
}

/** The values of a charge of n keys: `windowStart` and `key0` … `key{n-1}`. */
type ChargeValues = Record<string, string | number>;
const chargeStatements = new Map<number, PrecompiledQuery<ChargeValues, { key: string; count: number }>>();

/** The upsert that charges `keyCount` keys, built once per count (every public request runs one). */
function chargeStatement(keyCount: number): PrecompiledQuery<ChargeValues, { key: string; count: number }> {
  let statement = chargeStatements.get(keyCount);
  if (statement === undefined) {
    statement = precompiled((db, v: ChargeValues) => {
      const windowStart = v.windowStart as number;
      const rows = Array.from({ length: keyCount }, (_, index) => ({ key: v[`key${index}`] as string, window_start: windowStart, count: 1 }));
      return db
        .insertInto('selfservice_rate_limits')
        .values(rows)
        .onConflict((oc) =>
          oc.column('key').doUpdateSet({
            count: sql<number>`case when ${sql.ref('selfservice_rate_limits.window_start')} = ${windowStart} then ${sql.ref('selfservice_rate_limits.count')} + 1 else 1 end`,
            window_start: windowStart,
          }),
        )
        .returning(['key', 'count']);
    });
    chargeStatements.set(keyCount, statement);
  }
  return statement;
}

/**
 * The request limiter of every public, costly endpoint (self-service ceremonies, public journey
 * starts, the token endpoint); each caller prefixes its keys with its own name.
 * Fixed one-minute windows counted in the database, so every node sees the same counts (nodes on PostgreSQL share
 * the table; nodes on SQLite open the same ephemeral file). The checks of one call are one upsert on the primary
 * key: a new window starts at 1, the current one is incremented, and the counts come back (RETURNING).
 */
export class RateLimiter {
  readonly #db: Kysely<Schema>;
  readonly #clock: Clock;

  constructor(deps: { db: Kysely<Schema>; clock: Clock }) {
    this.#db = deps.db;
    this.#clock = deps.clock;
  }

  /** Counts one call for `key`; over `limit` in this window → 429 RATE_LIMITED with Retry-After (seconds). */
  async hit(key: string, limit: number, what: string): Promise<void> {
    await this.hitAll([{ key, limit, what }]);
  }

  /**
   * Counts one call against the checks, in order, in one transaction (the windows are ephemeral state — an ATTACHed
   * synchronous=OFF file on SQLite, UNLOGGED on PostgreSQL — so its commit never waits for the disk), and throws the
   * refusal (see `charge`).
   */
  async hitAll(checks: readonly RateLimitCheck[]): Promise<void> {
    const refusal = await this.refusal(checks);
    if (refusal) throw refusal;
  }

  /** As `hitAll`, but returns the refusal instead of throwing it (for a caller that answers it its own way). */
  async refusal(checks: readonly RateLimitCheck[]): Promise<KeywayError | undefined> {
    if (checks.length === 0) return undefined;
    return inSmallTransaction(this.#db, (trx) => this.charge(trx, checks));
  }

  /**
   * Counts one call against the checks, in order, inside the caller's transaction, and returns the refusal (429
   * RATE_LIMITED with Retry-After) rather than throwing it: the caller commits the charge and then refuses, so a
   * refused call is still counted (a caller whose transaction goes on to do the call's work must stop at a refusal).
   * The first check over its limit refuses the call, and the checks after it are not charged: a refused call must not
   * spend a wider, shared budget (list the narrow keys first, e.g. per address before per account, so one address
   * cannot exhaust what every address shares). All keys are charged by one upsert; on a refusal the keys after the
   * refusing one are given their call back in the same transaction, so no other request ever sees them charged.
   */
  async charge(trx: Kysely<Schema>, checks: readonly RateLimitCheck[]): Promise<KeywayError | undefined> {
    if (checks.length === 0) return undefined;
    const nowMs = this.#clock.now().getTime();
    const windowStart = Math.floor(nowMs / RATE_LIMIT_WINDOW_MS) * RATE_LIMIT_WINDOW_MS;
    const exceeded = await this.#exceeded(trx, checks, windowStart);
    if (!exceeded) return undefined;
    const retryAfter = Math.max(1, Math.ceil((windowStart + RATE_LIMIT_WINDOW_MS - nowMs) / 1000));
    return new KeywayError('RATE_LIMITED', `Too many requests ${exceeded.what}; try again in ${retryAfter} s`, {
      headers: { 'retry-after': String(retryAfter) },
    });
  }

  async #exceeded(trx: Kysely<Schema>, checks: readonly RateLimitCheck[], windowStart: number): Promise<RateLimitCheck | undefined> {
    if (new Set(checks.map((check) => check.key)).size !== checks.length) {
      // One statement cannot update a row twice: the same key listed twice is counted twice, one upsert each.
      for (const check of checks) if ((await this.#count(trx, [check.key], windowStart)).get(check.key)! > check.limit) return check;
      return undefined;
    }
    const counts = await this.#count(
      trx,
      checks.map((check) => check.key),
      windowStart,
    );
    const refusing = checks.findIndex((check) => counts.get(check.key)! > check.limit);
    if (refusing === -1) return undefined;
    const uncharged = checks.slice(refusing + 1).map((check) => check.key);
    if (uncharged.length > 0) {
      await trx
        .updateTable('selfservice_rate_limits')
        .set({ count: sql<number>`${sql.ref('count')} - 1` })
        .where('key', 'in', uncharged)
        .execute();
    }
    return checks[refusing];
  }

  /** One upsert on the primary keys: a new window starts at 1, the current one is incremented (RETURNING the counts). */
  async #count(executor: Kysely<Schema>, keys: readonly string[], windowStart: number): Promise<Map<string, number>> {
    const values: ChargeValues = { windowStart };
    keys.forEach((key, index) => (values[`key${index}`] = key));
    const rows = await chargeStatement(keys.length).rows(executor, values);
    return new Map(rows.map((row) => [row.key, Number(row.count)]));
  }
}
