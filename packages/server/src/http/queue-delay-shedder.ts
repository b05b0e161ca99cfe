/** How a shedding episode is reported: once as it starts and once as it ends, never per request. */
export interface SheddingEpisodeListener {
  started(delayMs: number): void;
  ended(shed: number, durationMs: number): void;
}

export interface QueueDelayShedderOptions {
  /** The queueing delay a node tolerates; a delay standing above it for `intervalMs` starts shedding. */
  targetMs: number;
  /** How long the delay must stay above the target before it counts as a standing queue, not a burst. */
  intervalMs: number;
  /**
   * How many measurements in a row must be above the target as well (default 1). A measurement is taken once per
   * loop turn at most, so one or two long turns (a burst of requests arriving together, code loaded on first use) are
   * not a standing queue however long they take; an overload keeps every turn late.
   */
  standingMeasurements?: number;
  episodes?: SheddingEpisodeListener;
}

/** Each measurement above the target while shedding admits at most this share of what was admitted before. */
const DECREASE = 0.75;
/** While the delay stays at or below the target, the admitted share grows back to all requests in this time. */
const RECOVERY_MS = 1000;
/** An overload coming back this soon after an episode ended is the same overload: shed again without waiting. */
const REENTRY_MS = 1000;
/** Never refuse everything: the few requests let in keep the node's work, and so its delay, representative. */
const MIN_ADMITTED_SHARE = 1 / 32;

/**
 * Decides which requests a saturated node answers with 503 instead of serving, from measurements of its queueing
 * delay (how late the event loop comes back to work it was given: on a single-threaded server every request waiting
 * to be read waits exactly that long). The rule is CoDel's ("controlled delay"), turned from packets to requests:
 * a delay above the target is tolerated as a burst until it has stood for a whole interval (the smallest delay over
 * the interval is above the target: a standing queue); then a share of the requests is refused at once. The share
 * admitted falls multiplicatively with each measurement above the target (in proportion to how far above: requests
 * that waited ten times the target are stale, most of them go), and grows back linearly with the time spent below
 * it; an overload that returns soon after resumes shedding at once, as CoDel re-enters its dropping state. The
 * admitted requests so wait about the target, however many callers queue behind them.
 *
 * Pure: time and delay come in as numbers (milliseconds), so tests drive it without timers. Per request it costs
 * one addition and one comparison (`admit`), and nothing is allocated.
 */
export class QueueDelayShedder {
  readonly #targetMs: number;
  readonly #intervalMs: number;
  readonly #standingMeasurements: number;
  /** Measurements in a row above the target */
  #aboveCount = 0;
  readonly #episodes: SheddingEpisodeListener | undefined;
  /** Share of requests admitted: 1 when not shedding. */
  #admittedShare = 1;
  /** Fractional admissions owed: each request adds the share and is admitted when a whole one is due. */
  #credit = 0;
  /** Since when every measurement has been above the target (undefined: the last one was not). */
  #aboveSince: number | undefined;
  #episodeStart = 0;
  #episodeEnd = Number.NEGATIVE_INFINITY;
  /** The share is back at 1, but the episode is reported over only once it has stayed there for REENTRY_MS. */
  #endPending = false;
  #lastObservedAt: number | undefined;
  #shedInEpisode = 0;
  #shedTotal = 0;

  constructor(options: QueueDelayShedderOptions) {
    this.#targetMs = options.targetMs;
    this.#intervalMs = options.intervalMs;
    this.#standingMeasurements = options.standingMeasurements ?? 1;
    this.#episodes = options.episodes;
  }

  /** Feeds one measurement: the node's work waited `delayMs` at time `nowMs`. */
  observe(delayMs: number, nowMs: number): void {
    const sinceLast = this.#lastObservedAt === undefined ? 0 : Math.max(0, nowMs - this.#lastObservedAt);
    this.#lastObservedAt = nowMs;
    if (this.#endPending && !this.shedding && nowMs - this.#episodeEnd >= REENTRY_MS) {
      this.#endPending = false;
      this.#episodes?.ended(this.#shedInEpisode, this.#episodeEnd - this.#episodeStart);
    }
    if (delayMs <= this.#targetMs) {
      this.#aboveSince = undefined;
      this.#aboveCount = 0;
      if (!this.shedding) return;
      this.#admittedShare = Math.min(1, this.#admittedShare + sinceLast / RECOVERY_MS);
      if (this.#admittedShare === 1) {
        this.#episodeEnd = nowMs;
        this.#endPending = true;
      }
      return;
    }
    this.#aboveSince ??= nowMs;
    this.#aboveCount += 1;
    const decrease = Math.min(DECREASE, Math.max(0.5, this.#targetMs / delayMs));
    if (this.shedding) {
      this.#admittedShare = Math.max(MIN_ADMITTED_SHARE, this.#admittedShare * decrease);
    } else if (this.#endPending || (nowMs - this.#aboveSince >= this.#intervalMs && this.#aboveCount >= this.#standingMeasurements)) {
      this.#admittedShare = Math.max(MIN_ADMITTED_SHARE, decrease);
      this.#credit = 0;
      if (this.#endPending) {
        this.#endPending = false; // the same episode goes on
      } else {
        this.#episodeStart = nowMs;
        this.#shedInEpisode = 0;
        this.#episodes?.started(delayMs);
      }
    }
  }

  /** Whether to serve the next request; false: answer it 503 at once. */
  admit(): boolean {
    this.#credit += this.#admittedShare;
    if (this.#credit >= 1) {
      this.#credit -= 1;
      return true;
    }
    this.#shedInEpisode += 1;
    this.#shedTotal += 1;
    return false;
  }

  /**
   * Whether to serve the second half of a ceremony whose first half was served: yes unless the rule already sheds all
   * it can, since only the first halves admitted (fewer while shedding) bring these.
   */
  admitContinuation(): boolean {
    return this.#admittedShare > MIN_ADMITTED_SHARE || this.admit();
  }

  get shedding(): boolean {
    return this.#admittedShare < 1;
  }

  /** Shedding, or an episode not yet reported over: the delay must go on being measured even without traffic. */
  get inEpisode(): boolean {
    return this.shedding || this.#endPending;
  }

  get admittedShare(): number {
    return this.#admittedShare;
  }

  /** Requests refused since the node started. */
  get shedTotal(): number {
    return this.#shedTotal;
  }
}
