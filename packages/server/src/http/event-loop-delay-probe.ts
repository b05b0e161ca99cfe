/** When the probe's timer is due after it is armed; lateness beyond this is delay. */
const PERIOD_MS = 5;

/** Where the probe reads time: the wall clock and the CPU time of the loop's thread, both in milliseconds. */
export interface ProbeClocks {
  nowMs(): number;
  threadCpuMs(): number;
}

const systemClocks: ProbeClocks = {
  nowMs: () => performance.now(),
  threadCpuMs: () => {
    const usage = process.threadCpuUsage();
    return (usage.user + usage.system) / 1000;
  },
};

/**
 * Measures the queueing delay of a single-threaded node: how late the event loop runs a timer, counting only the time
 * the loop's own thread spent working meanwhile. A request waiting in the kernel's socket buffers waits for the loop
 * to come round, and the timer is late by just that; but a loop can also be late because other processes had the
 * CPU, and shedding requests would not shorten that wait (it would only throw away work a starved node can still
 * do). So a measurement is the smaller of the lateness and the thread's CPU time over the same span: the work queued
 * ahead of a request, which shedding does shorten.
 *
 * One timer for the whole process (refreshed, never re-created), armed by traffic and idle without it, so an idle node
 * does not wake up. Per request it costs one boolean test (`poke`); per measurement, two reads of the thread's CPU
 * time (getrusage, well under a microsecond).
 */
export class EventLoopDelayProbe {
  readonly #onDelay: (delayMs: number, nowMs: number) => void;
  readonly #keepMeasuring: () => boolean;
  readonly #clocks: ProbeClocks;
  #timer: NodeJS.Timeout | undefined;
  #armed = false;
  #armedAt = 0;
  #cpuAtArm = 0;
  #sawTraffic = false;
  #stopped = false;

  /**
   * `onDelay` receives each measurement; `keepMeasuring` says whether to go on measuring with no traffic (during an
   * overload episode: the delay must be seen falling even if the callers have gone quiet). Tests pass `clocks`.
   */
  constructor(onDelay: (delayMs: number, nowMs: number) => void, keepMeasuring: () => boolean, clocks: ProbeClocks = systemClocks) {
    this.#onDelay = onDelay;
    this.#keepMeasuring = keepMeasuring;
    this.#clocks = clocks;
  }

  /** Called for each request: measures from now if no measurement is running. */
  poke(): void {
    this.#sawTraffic = true;
    if (!this.#armed && !this.#stopped) this.#arm();
  }

  /** Whether a measurement is running (its timer armed). */
  get measuring(): boolean {
    return this.#armed;
  }

  stop(): void {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
  }

  #arm(): void {
    this.#armed = true;
    this.#armedAt = this.#clocks.nowMs();
    this.#cpuAtArm = this.#clocks.threadCpuMs();
    if (this.#timer) this.#timer.refresh();
    else this.#timer = setTimeout(this.#fire, PERIOD_MS).unref();
  }

  readonly #fire = (): void => {
    const now = this.#clocks.nowMs();
    const workedMs = this.#clocks.threadCpuMs() - this.#cpuAtArm;
    this.#armed = false;
    const lateMs = Math.max(0, now - this.#armedAt - PERIOD_MS);
    this.#onDelay(Math.min(lateMs, workedMs), now);
    if (this.#stopped) return;
    if (this.#sawTraffic || this.#keepMeasuring()) {
      this.#sawTraffic = false;
      this.#arm();
    }
  };
}
