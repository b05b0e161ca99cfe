import type { Kysely } from 'kysely';
import { purgeAbandonedAccounts } from '../identity/pending-accounts.ts';
import type { Clock } from '../shared/clock.ts';
import { IntervalJob } from '../shared/interval-job.ts';
import type { DatabaseLease } from '../storage/database-lease.ts';
import type { Schema } from '../storage/schema.ts';
import { deleteExpiredBatch, type RetentionRule } from './expired-rows.ts';
import { RETENTION_RULES } from './retention-rules.ts';

export interface RetentionSweeperDeps {
  db: Kysely<Schema>;
  clock: Clock;
  /** Held by the one node that sweeps (the lease of the job `retention`). */
  lease: Pick<DatabaseLease, 'acquire' | 'release'>;
  rules?: readonly RetentionRule[];
  /** Rows per statement. */
  batchSize?: number;
}

/** What one sweep deleted, per table (tables with nothing to delete are left out). */
export type SweepReport = Record<string, number>;

/** Abandoned sign-ups are users: deleted through their own audited purge, reported under this name. */
const ABANDONED_ACCOUNTS = 'abandoned pending accounts';
/** Abandoned accounts per transaction: each is a user's deletion (with its cascades) and an audit event. */
const ABANDONED_BATCH = 100;

/**
 * Deletes what has expired (RETENTION_RULES, and audit events past their configured age: retentionRules) and
 * abandoned pending accounts, in the background on the node holding the database lease. Each statement deletes one
 * bounded batch and commits by itself, so requests' writes go in between, however large a backlog a long stop left; a
 * sweep goes on until a batch comes back short. Nothing on a request's path waits for it.
 */
export class RetentionSweeper {
  readonly #deps: RetentionSweeperDeps;
  readonly #rules: readonly RetentionRule[];
  readonly #batchSize: number;
  readonly #job = new IntervalJob('retention sweep', 'KEYWAY_RETENTION', async () => {
    const report = await this.sweep();
    if (Object.keys(report).length > 0) this.#swept?.(report);
  });
  #swept: ((report: SweepReport) => void) | undefined;
  #stopping = false;

  constructor(deps: RetentionSweeperDeps) {
    this.#deps = deps;
    this.#rules = deps.rules ?? RETENTION_RULES;
    this.#batchSize = deps.batchSize ?? 1000;
  }

  /** One sweep, if this node holds the lease: answers what it deleted. Stops between batches once `stop` is called. */
  async sweep(): Promise<SweepReport> {
    if (!(await this.#deps.lease.acquire())) return {};
    const now = this.#deps.clock.now();
    const report: SweepReport = {};
    for (const rule of this.#rules) {
      const deleted = await this.#drain(this.#batchSize, (limit) => deleteExpiredBatch(this.#deps.db, rule, now.getTime(), limit));
      if (deleted > 0) report[rule.table] = (report[rule.table] ?? 0) + deleted;
    }
    const abandoned = await this.#drain(ABANDONED_BATCH, (limit) => purgeAbandonedAccounts(this.#deps.db, now, limit));
    if (abandoned > 0) report[ABANDONED_ACCOUNTS] = abandoned;
    return report;
  }

  /** Runs `batch` until one deletes fewer than `limit` (or the sweeper stops); answers the total. */
  async #drain(limit: number, batch: (limit: number) => Promise<number>): Promise<number> {
    let total = 0;
    while (!this.#stopping) {
      const deleted = await batch(limit);
      total += deleted;
      if (deleted < limit) break;
    }
    return total;
  }

  /** Sweeps every `intervalMs`; `swept` is told each sweep that deleted something (one log line: counts per table, never rows). */
  start(intervalMs: number, swept?: (report: SweepReport) => void): void {
    this.#swept = swept;
    this.#stopping = false;
    this.#job.start(intervalMs);
  }

  /** Stops after the batch under way and gives the lease up if this node holds it, so another need not wait for it to expire. */
  async stop(): Promise<void> {
    this.#stopping = true;
    await this.#job.stop();
    await this.#deps.lease.release();
  }
}
