/** How long after it is due the probe's timer may run and still count as on time: the timer's own granularity. */
const PERIOD_MS = 5;

/**
 * Measures how late the event loop runs a timer: on a single-threaded server the time a request waits in the
 * kernel's socket buffers before the node reads it is the time the loop takes to come round, and a timer is late by
 * just that. One timer for the whole process (refreshed, never re-created), armed by traffic and idle without it, so
 * an idle node does not wake up; per request it costs one boolean test (`poke`).
 */
export class EventLoopDelayProbe {
  readonly #onDelay: (delayMs: number, nowMs: number) => void;
  readonly #keepMeasuring: () => boolean;
  #timer: NodeJS.Timeout | undefined;
  #armed = false;
  #armedAt = 0;
  #sawTraffic = false;
  #stopped = false;

  /**
   * `onDelay` receives each measurement; `keepMeasuring` says whether to go on measuring with no traffic (while
   * shedding: the delay must be seen falling even if the callers have gone quiet).
   */
  constructor(onDelay: (delayMs: number, nowMs: number) => void, keepMeasuring: () => boolean) {
    this.#onDelay = onDelay;
    this.#keepMeasuring = keepMeasuring;
  }

  /** Called for each request: measures from now if no measurement is running. */
  poke(): void {
    this.#sawTraffic = true;
    if (!this.#armed && !this.#stopped) this.#arm();
  }

  stop(): void {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
  }

  #arm(): void {
    this.#armed = true;
    this.#armedAt = performance.now();
    if (this.#timer) this.#timer.refresh();
    else this.#timer = setTimeout(this.#fire, PERIOD_MS).unref();
  }

  readonly #fire = (): void => {
    const now = performance.now();
    this.#armed = false;
    this.#onDelay(Math.max(0, now - this.#armedAt - PERIOD_MS), now);
    if (this.#stopped) return;
    if (this.#sawTraffic || this.#keepMeasuring()) {
      this.#sawTraffic = false;
      this.#arm();
    }
  };
}
