/**
 * A node's background job: `tick` every `intervalMs` until `stop`. A tick still running when the next is due is not
 * overlapped (that one is skipped), and a failing tick is reported as a process warning with the job's `code`; the
 * next one runs as planned. The timer does not keep the process alive.
 */
export class IntervalJob {
  readonly #name: string;
  readonly #code: string;
  readonly #tick: () => Promise<unknown>;
  #interval: ReturnType<typeof setInterval> | undefined;
  #ticking: Promise<unknown> | undefined;

  /** `name` and `code` label its warnings, e.g. 'journey timers' and 'KEYWAY_JOURNEY_TIMER'. */
  constructor(name: string, code: string, tick: () => Promise<unknown>) {
    this.#name = name;
    this.#code = code;
    this.#tick = tick;
  }

  start(intervalMs: number): void {
    if (this.#interval) return;
    this.#interval = setInterval(() => {
      if (this.#ticking) return;
      this.#ticking = this.#tick()
        .catch((error: unknown) => {
          process.emitWarning(`${this.#name}: ${error instanceof Error ? error.message : String(error)}`, { code: this.#code });
        })
        .finally(() => {
          this.#ticking = undefined;
        });
    }, intervalMs);
    this.#interval.unref();
  }

  /** Stops the timer and waits for a tick still running. */
  async stop(): Promise<void> {
    if (this.#interval) {
      clearInterval(this.#interval);
      this.#interval = undefined;
    }
    await this.#ticking;
  }
}
