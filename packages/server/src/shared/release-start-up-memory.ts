import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/**
 * Gives back, soon after the server listens, the memory that start-up grew and no longer needs. Loading some 1,300 modules
 * and opening the database fill V8's young generation to its cap (two 16 MB semi-spaces, bin/keyway.js: some 30 MB
 * resident, though nothing lives in it after a collection), and V8 returns young-generation pages only in a
 * memory-reducing collection, which its memory reducer starts after about 8 s of idleness. One such collection
 * a second after listening makes the server small from its second second (about 30 MB less resident), for some tens of
 * milliseconds of one core, once: no request pays for it but one that arrives in those milliseconds.
 *
 * The collector is reached the way `--expose-gc` reaches it, in a throwaway context, and the flag is turned off again
 * at once (synchronously), so no other context — the journeys' expression sandbox — ever sees a `gc` function. (V8's
 * flags are per process; no worker thread starts at that moment: the only one, the attestation clock's, runs within a
 * registration.)
 */
export function releaseStartUpMemory(): void {
  collector()({ type: 'major', execution: 'sync', flavor: 'last-resort' });
}

/**
 * How long after listening the collection runs. Not at once: the first request a new node gets is its readiness
 * probe (an orchestrator's, a load balancer's, `/healthz` polled by a deploy script), which would wait out the
 * collection (80–120 ms on a 2-vCPU machine) and make the start look that much slower. A second later that probe
 * has been answered, and traffic has rarely been moved to the node yet: health checks need several answers, seconds
 * apart, before a balancer sends any.
 */
const RELEASE_DELAY_MS = 1_000;

/** Runs {@link releaseStartUpMemory} a little after listening; the timer does not keep a stopping process alive. */
export function releaseStartUpMemorySoon(): void {
  setTimeout(releaseStartUpMemory, RELEASE_DELAY_MS).unref();
}

function collector(): NodeJS.GCFunction {
  // A process started with --expose-gc (a memory probe) already has one: leave its flag as it is.
  if (globalThis.gc) return globalThis.gc;
  setFlagsFromString('--expose-gc');
  try {
    return runInNewContext('gc') as NodeJS.GCFunction;
  } finally {
    setFlagsFromString('--no-expose-gc');
  }
}
