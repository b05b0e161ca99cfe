import { IntervalJob } from '../../shared/interval-job.ts';
import type { DatabaseLease } from '../../storage/database-lease.ts';
import type { JourneyInstance, JourneyInstanceStore } from './instance-store.ts';

export interface JourneyTimersDeps {
  /** Held by the one node that scans for due timeouts (the lease of the job `journey-timers`). */
  lease: Pick<DatabaseLease, 'acquire' | 'release'>;
  store: Pick<JourneyInstanceStore, 'dueTimeouts'>;
  /** Fires one instance's timeout; false when it was no longer due or another node fired it. */
  fire: (instance: JourneyInstance) => Promise<boolean>;
  now: () => number;
  /** Instances fired per tick at most (the rest on the next tick). */
  batchSize?: number;
}

/**
 * Live step timeouts: a step's `timeout` branch runs when its deadline passes, not only when the client answers
 * late. Each tick, the node holding the database lease fires the waiting steps whose deadline passed; firing claims
 * the step by compare-and-set on the instance's revision, so even two nodes that both believe they hold the lease
 * (a clock jump) fire each timeout once. `start` runs ticks on an interval; tests call `tick` with an injected clock.
 */
export class JourneyTimers {
  readonly #deps: JourneyTimersDeps;
  readonly #batchSize: number;
  readonly #job = new IntervalJob('journey timers', 'KEYWAY_JOURNEY_TIMER', () => this.tick());

  constructor(deps: JourneyTimersDeps) {
    this.#deps = deps;
    this.#batchSize = deps.batchSize ?? 100;
  }

  /** One scan: answers how many timeouts this node fired. */
  async tick(): Promise<number> {
    if (!(await this.#deps.lease.acquire())) return 0;
    const due = await this.#deps.store.dueTimeouts(this.#deps.now(), this.#batchSize);
    let fired = 0;
    for (const instance of due) {
      try {
        if (await this.#deps.fire(instance)) fired += 1;
      } catch (error) {
        // One instance's failure (e.g. a client answered at the same moment) does not stop the others.
        process.emitWarning(`journey timeout of instance ${instance.id} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`, {
          code: 'KEYWAY_JOURNEY_TIMER',
        });
      }
    }
    return fired;
  }

  /** Ticks every `intervalMs` until `stop` (a tick still running is not overlapped). */
  start(intervalMs: number): void {
    this.#job.start(intervalMs);
  }

  /** Stops ticking and gives the lease up if this node holds it. */
  async stop(): Promise<void> {
    await this.#job.stop();
    await this.#deps.lease.release();
  }
}
