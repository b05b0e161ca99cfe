// The queue-delay rule (http/queue-delay-shedder.ts), driven by delay measurements and times the test chooses: no
// timer, no clock of the machine. Admitted below the target and through a burst; shedding once the delay has stood
// above the target for an interval; sparing the second halves of ceremonies; recovering once the delay falls; one
// report per episode.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { QueueDelayShedder } from '../../src/http/queue-delay-shedder.ts';

const TARGET = 50;
const INTERVAL = 100;

function shedderWithEpisodes() {
  const episodes: string[] = [];
  const shedder = new QueueDelayShedder({
    targetMs: TARGET,
    intervalMs: INTERVAL,
    episodes: {
      started: (delayMs) => episodes.push(`started at ${delayMs} ms`),
      ended: (shed, durationMs) => episodes.push(`ended: ${shed} shed in ${durationMs} ms`),
    },
  });
  return { shedder, episodes };
}

/** How many of `n` requests the shedder admits now. */
function admitted(shedder: QueueDelayShedder, n: number, kind: 'start' | 'continuation' = 'start'): number {
  let count = 0;
  for (let i = 0; i < n; i++) if (kind === 'start' ? shedder.admit() : shedder.admitContinuation()) count++;
  return count;
}

/** Measurements of `delayMs` every `everyMs` from `fromMs` up to and including `toMs`. */
function observeSteady(shedder: QueueDelayShedder, delayMs: number, fromMs: number, toMs: number, everyMs = 10): void {
  for (let t = fromMs; t <= toMs; t += everyMs) shedder.observe(delayMs, t);
}

describe('queue-delay shedder', () => {
  test('at or below the target every request is admitted', () => {
    const { shedder, episodes } = shedderWithEpisodes();
    observeSteady(shedder, TARGET, 0, 5000);
    assert.equal(shedder.shedding, false);
    assert.equal(admitted(shedder, 1000), 1000);
    assert.equal(shedder.shedTotal, 0);
    assert.deepEqual(episodes, []);
  });

  test('a burst above the target shorter than the interval sheds nothing', () => {
    const { shedder, episodes } = shedderWithEpisodes();
    // Above the target for 90 ms (a GC pause, a slow flush), then back under it: never a standing queue.
    for (let round = 0; round < 20; round++) {
      const start = round * 200;
      observeSteady(shedder, 400, start, start + INTERVAL - 10);
      shedder.observe(10, start + INTERVAL);
    }
    assert.equal(shedder.shedding, false);
    assert.equal(admitted(shedder, 100), 100);
    assert.deepEqual(episodes, []);
  });

  test('a few long loop turns are a burst however long they last: shedding needs as many late measurements in a row as asked', () => {
    const shedder = new QueueDelayShedder({ targetMs: TARGET, intervalMs: INTERVAL, standingMeasurements: 5 });
    // Two turns of 300 ms each (a burst of parallel ceremonies, code loaded on first use): far past the interval.
    shedder.observe(300, 0);
    shedder.observe(300, 300);
    shedder.observe(10, 310);
    assert.equal(shedder.shedding, false);
    assert.equal(admitted(shedder, 100), 100);
    // Five late turns in a row spanning the interval: a standing queue.
    for (const t of [400, 430, 460, 490]) shedder.observe(80, t);
    assert.equal(shedder.shedding, false, 'four measurements, under the interval');
    shedder.observe(80, 520);
    assert.equal(shedder.shedding, true);
  });

  test('a delay standing above the target for an interval starts shedding, reported once', () => {
    const { shedder, episodes } = shedderWithEpisodes();
    shedder.observe(80, 0);
    shedder.observe(80, INTERVAL - 1);
    assert.equal(shedder.shedding, false, 'not yet a whole interval');
    shedder.observe(80, INTERVAL);
    assert.equal(shedder.shedding, true);
    assert.deepEqual(episodes, ['started at 80 ms']);
    // 80 ms against a 50 ms target: at most 50/80 of the requests, and never a larger share than 3/4.
    const share = shedder.admittedShare;
    assert.ok(share <= TARGET / 80 && share > 0, `admitted share ${share}`);
    const served = admitted(shedder, 1000);
    assert.ok(Math.abs(served - 1000 * share) <= 1, `${served} of 1000 served at share ${share}`);
    assert.equal(shedder.shedTotal, 1000 - served);
  });

  test('while the delay stays above the target the admitted share keeps falling, never to nothing', () => {
    const { shedder } = shedderWithEpisodes();
    observeSteady(shedder, 100, 0, INTERVAL);
    const first = shedder.admittedShare;
    shedder.observe(100, INTERVAL + 10);
    assert.ok(shedder.admittedShare < first, 'a further measurement above the target lowers the share');
    observeSteady(shedder, 5000, INTERVAL + 20, 10_000);
    assert.ok(shedder.admittedShare > 0);
    assert.ok(admitted(shedder, 320) >= 9, 'a few requests still get in: the node keeps measuring real work');
  });

  test('the second half of a ceremony is admitted while a share of first halves is shed, until the shedding is at its utmost', () => {
    const { shedder } = shedderWithEpisodes();
    observeSteady(shedder, 100, 0, INTERVAL);
    assert.ok(admitted(shedder, 100) < 100);
    assert.equal(admitted(shedder, 100, 'continuation'), 100);
    observeSteady(shedder, 5000, INTERVAL + 10, 10_000);
    assert.ok(admitted(shedder, 100, 'continuation') < 100, 'at the minimum share continuations are shed too');
  });

  test('once the delay falls below the target the share grows back with time; the episode is reported over once it stayed so', () => {
    const { shedder, episodes } = shedderWithEpisodes();
    observeSteady(shedder, 200, 0, INTERVAL);
    assert.equal(shedder.shedding, true);
    const low = shedder.admittedShare;
    observeSteady(shedder, 10, INTERVAL + 10, INTERVAL + 200);
    assert.ok(shedder.admittedShare > low && shedder.admittedShare < 1, `grows gradually (${shedder.admittedShare})`);
    // Back to all requests about 500 ms after the delay fell; the episode is reported over 1 s after that.
    observeSteady(shedder, 10, INTERVAL + 210, INTERVAL + 900);
    assert.equal(shedder.shedding, false);
    assert.equal(admitted(shedder, 1000), 1000);
    assert.equal(shedder.inEpisode, true, 'not reported over until it has stayed over for a while');
    observeSteady(shedder, 10, INTERVAL + 910, INTERVAL + 3000);
    assert.equal(shedder.inEpisode, false);
    assert.equal(episodes.length, 2);
    assert.equal(episodes[0], 'started at 200 ms');
    assert.match(episodes[1]!, /^ended: 0 shed in \d+ ms$/);
  });

  test('an overload that comes back soon after resumes shedding at once, as the same episode', () => {
    const { shedder, episodes } = shedderWithEpisodes();
    observeSteady(shedder, 200, 0, INTERVAL);
    assert.equal(admitted(shedder, 100) < 100, true);
    // Back to all requests within 1 s of the delay falling (at ~600 ms), then over the target again 900 ms later.
    observeSteady(shedder, 10, INTERVAL + 10, 1500);
    assert.equal(shedder.shedding, false);
    shedder.observe(200, 1510);
    assert.equal(shedder.shedding, true, 'no new interval of waiting');
    assert.deepEqual(episodes, ['started at 200 ms']);
    observeSteady(shedder, 10, 1520, 6000);
    assert.equal(shedder.inEpisode, false);
    assert.equal(episodes.length, 2);
    assert.match(episodes[1]!, /^ended: \d+ shed in \d+ ms$/);
    assert.ok(Number(/ended: (\d+)/.exec(episodes[1]!)![1]) > 0, 'the episode counts what it shed');
  });
});
