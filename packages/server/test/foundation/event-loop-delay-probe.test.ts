// The queueing-delay probe (http/event-loop-delay-probe.ts) with clocks the test sets: a late loop that was busy with
// its own work is a delay; a loop late because other processes had the CPU is not (shedding would not shorten that
// wait); no traffic, no measurement. The probe's one timer is real; the times it reads are the test's.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { EventLoopDelayProbe, type ProbeClocks } from '../../src/http/event-loop-delay-probe.ts';

/** Clocks that read what the test set: `elapse` moves wall time, and CPU time by the share the test says was worked. */
class SetClocks implements ProbeClocks {
  wallMs = 1000;
  cpuMs = 0;
  nowMs(): number {
    return this.wallMs;
  }
  threadCpuMs(): number {
    return this.cpuMs;
  }
  elapse(ms: number, workedShare: number): void {
    this.wallMs += ms;
    this.cpuMs += ms * workedShare;
  }
}

/** A probe whose measurements arrive, one at a time, as the test asks for them. */
function probeWith(clocks: ProbeClocks, keepMeasuring = () => false) {
  const waiting: ((delayMs: number) => void)[] = [];
  const probe = new EventLoopDelayProbe((delayMs) => waiting.shift()?.(delayMs), keepMeasuring, clocks);
  const next = () => new Promise<number>((resolve) => waiting.push(resolve));
  return { probe, next };
}

describe('event-loop delay probe', () => {
  test('a loop late with its own work measures the lateness', async () => {
    const clocks = new SetClocks();
    const { probe, next } = probeWith(clocks);
    const measured = next();
    probe.poke();
    clocks.elapse(85, 1); // 5 ms due + 80 ms late, all of it this thread's work
    assert.equal(await measured, 80);
    probe.stop();
  });

  test('a loop late because the CPU went elsewhere measures only the work it did', async () => {
    const clocks = new SetClocks();
    const { probe, next } = probeWith(clocks);
    const measured = next();
    probe.poke();
    clocks.elapse(205, 0.1); // 200 ms late, of which the thread worked 20.5 ms
    assert.equal(await measured, 20.5);
    probe.stop();
  });

  test('a loop on time measures no delay', async () => {
    const clocks = new SetClocks();
    const { probe, next } = probeWith(clocks);
    const measured = next();
    probe.poke();
    clocks.elapse(5, 1);
    assert.equal(await measured, 0);
    probe.stop();
  });

  test('after a request it measures again; then only during an overload episode; else it stops until the next request', async () => {
    const clocks = new SetClocks();
    let episode = true;
    const { probe, next } = probeWith(clocks, () => episode);
    let measured = next();
    probe.poke();
    clocks.elapse(50, 1);
    assert.equal(await measured, 45);
    assert.equal(probe.measuring, true, 'a request came since the last measurement');
    measured = next();
    clocks.elapse(35, 1);
    assert.equal(await measured, 30);
    assert.equal(probe.measuring, true, 'no request since, but an overload episode is on');
    episode = false;
    measured = next();
    clocks.elapse(5, 1);
    assert.equal(await measured, 0);
    assert.equal(probe.measuring, false, 'no request, no episode: an idle node is not woken');
    probe.poke();
    assert.equal(probe.measuring, true);
    probe.stop();
  });
});
