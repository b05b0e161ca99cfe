import type { Kysely } from 'kysely';
import type { Clock } from '../shared/clock.ts';
import type { Schema } from './schema.ts';

export interface DatabaseLeaseDeps {
  db: Kysely<Schema>;
  clock: Clock;
  /** The job the lease is for, e.g. 'journey-timers'. */
  name: string;
  /** This node. */
  holder: string;
  /** How long a lease lasts without renewal: after it another node takes the job over. */
  ttlMs: number;
}

/**
 * A lease in the database: of the nodes sharing it, one at a time holds `name`, renewing it as it works; a node that
 * stops renewing (it died) loses it when it expires. Taking and renewing are each one conditional statement, so two
 * nodes never both hold it at one instant of the injected clock.
 */
export class DatabaseLease {
  readonly #db: Kysely<Schema>;
  readonly #clock: Clock;
  readonly name: string;
  readonly holder: string;
  readonly #ttlMs: number;
  /** Whether this object's last acquire took the lease: only then does release send anything. */
  #taken = false;

  constructor(deps: DatabaseLeaseDeps) {
    this.#db = deps.db;
    this.#clock = deps.clock;
    this.name = deps.name;
    this.holder = deps.holder;
    this.#ttlMs = deps.ttlMs;
  }

  /** Takes or renews the lease; false while another node holds it. */
  async acquire(): Promise<boolean> {
    const now = this.#clock.now().getTime();
    const expiresAt = now + this.#ttlMs;
    const inserted = await this.#db
      .insertInto('scheduler_leases')
      .values({ name: this.name, holder: this.holder, expires_at: expiresAt })
      .onConflict((conflict) => conflict.column('name').doNothing())
      .executeTakeFirst();
    if (Number(inserted.numInsertedOrUpdatedRows ?? 0) === 1) return (this.#taken = true);
    const renewed = await this.#db
      .updateTable('scheduler_leases')
      .set({ holder: this.holder, expires_at: expiresAt })
      .where('name', '=', this.name)
      .where((eb) => eb.or([eb('holder', '=', this.holder), eb('expires_at', '<=', now)]))
      .executeTakeFirst();
    return (this.#taken = Number(renewed.numUpdatedRows) === 1);
  }

  /**
   * Gives the lease up (at shutdown), so another node need not wait for it to expire. A lease this object did not take
   * sends nothing: a job that never ran (no SMTP, never started) does not touch the database at shutdown, which may be
   * the moment it cannot be reached.
   */
  async release(): Promise<void> {
    if (!this.#taken) return;
    this.#taken = false;
    await this.#db.deleteFrom('scheduler_leases').where('name', '=', this.name).where('holder', '=', this.holder).execute();
  }
}
