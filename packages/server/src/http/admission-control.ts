import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Counter, Gauge, type Registry } from 'prom-client';
import { EventLoopDelayProbe } from './event-loop-delay-probe.ts';
import { sendProblem } from './problem-gate.ts';
import { problem } from './problem.ts';
import { QueueDelayShedder } from './queue-delay-shedder.ts';

/** Routes that answer even at capacity: an orchestrator's probes and the metrics that show the overload. */
export const ALWAYS_ADMITTED: ReadonlySet<string> = new Set(['/healthz', '/readyz', '/metrics']);
/** Seconds a refused caller is asked to wait: the queue it would have joined drains in well under that. */
const BUSY_RETRY_AFTER_SECONDS = 1;
/** CoDel's interval: a delay above the target that lasts less than this is a burst (a GC pause, a flush), not overload. */
export const SHED_INTERVAL_MS = 100;

export interface AdmissionControlOptions {
  maxConcurrentRequests: number;
  /** The queueing delay above which a node sheds requests (milliseconds, queue-delay-shedder.ts); 0: never. */
  shedDelayTargetMs: number;
  registry: Registry;
  /** Tests: a shedder they feed delay measurements of their own; the node then measures nothing itself. */
  shedder?: QueueDelayShedder;
}

/**
 * Load shedding. A node past its peak rate does not slow every request down until all of them time out: it answers
 * the excess at once with 503 SERVER_BUSY and Retry-After, before reading their bodies, so the requests it serves keep
 * the latency of a busy node, not of a collapsing one. Two rules, each for its own kind of overload:
 * - Queueing delay (queue-delay-shedder.ts): with the CPU saturated, requests wait in the kernel's socket queues,
 *   where no count of requests in progress sees them (the node reads a request only when it is free to start on
 *   it); the event loop's delay does, and past the target a share of requests is refused.
 * - Requests in progress: with something slow behind the node (a stalled database), requests pile up inside it
 *   while its loop is idle; at most `maxConcurrentRequests` are served at once.
 * A closed-loop client pool at peak meets neither: its few requests never make the loop late for long.
 */
export function installAdmissionControl(app: FastifyInstance, options: AdmissionControlOptions): void {
  let inFlight = 0;
  let refusedAtCapacity = 0;
  new Gauge({
    name: 'keyway_http_requests_in_flight',
    help: 'Requests admitted and not yet answered',
    registers: [options.registry],
    collect() {
      this.set(inFlight);
    },
  });
  const shedCounter = new Counter({
    name: 'keyway_http_requests_shed_total',
    help: 'Requests answered 503 SERVER_BUSY at once: queue_delay (the event loop stayed late), in_flight (too many in progress)',
    labelNames: ['reason'],
    registers: [options.registry],
  });
  // Bound once: a refusal then costs no label lookup.
  const shedForDelay = shedCounter.labels({ reason: 'queue_delay' });
  const shedForInFlight = shedCounter.labels({ reason: 'in_flight' });
  // Both series exist from the start (at 0), so a dashboard's rate() sees the first refusals.
  shedForDelay.inc(0);
  shedForInFlight.inc(0);

  let lastDelayMs = 0;
  const shedder =
    options.shedder ??
    (options.shedDelayTargetMs > 0
      ? new QueueDelayShedder({
          targetMs: options.shedDelayTargetMs,
          intervalMs: SHED_INTERVAL_MS,
          episodes: {
            started: (delayMs) =>
              app.log.warn(
                { delayMs: Math.round(delayMs), targetMs: options.shedDelayTargetMs },
                'overloaded: requests wait longer than the target, shedding some with 503 SERVER_BUSY',
              ),
            ended: (shed, durationMs) => app.log.warn({ shed, durationMs: Math.round(durationMs) }, 'overload over: every request admitted again'),
          },
        })
      : undefined);
  const probe =
    shedder && !options.shedder
      ? new EventLoopDelayProbe(
          (delayMs, nowMs) => {
            lastDelayMs = delayMs;
            shedder.observe(delayMs, nowMs);
          },
          () => shedder.inEpisode,
        )
      : undefined;
  if (probe) app.addHook('onClose', async () => probe.stop());
  new Gauge({
    name: 'keyway_http_admitted_share',
    help: 'Share of requests the queue-delay rule admits (1: not shedding)',
    registers: [options.registry],
    collect() {
      this.set(shedder?.admittedShare ?? 1);
    },
  });
  new Gauge({
    name: 'keyway_event_loop_delay_seconds',
    help: 'How late the event loop last ran work it was given: the time a request waits before the node reads it',
    registers: [options.registry],
    collect() {
      this.set(lastDelayMs / 1000);
    },
  });

  const refuse = (request: FastifyRequest, reply: FastifyReply) =>
    // Answered here, not thrown: a refusal costs no stack trace and no log line (overload is logged per episode).
    sendProblem(reply, {
      status: 503,
      body: problem('SERVER_BUSY', 'The server is at capacity; retry after the Retry-After delay', request.id),
      headers: { 'retry-after': String(BUSY_RETRY_AFTER_SECONDS) },
    });

  // The first onRequest hook: a refused request costs no authentication, routing work or body parsing.
  app.addHook('onRequest', async (request, reply) => {
    if (ALWAYS_ADMITTED.has(request.url)) return;
    probe?.poke();
    if (inFlight >= options.maxConcurrentRequests) {
      if (refusedAtCapacity++ === 0)
        app.log.warn({ maxConcurrentRequests: options.maxConcurrentRequests }, 'at capacity: refusing requests with 503 SERVER_BUSY');
      shedForInFlight.inc();
      return refuse(request, reply);
    }
    if (shedder?.shedding && !(request.routeOptions.config.admission === 'continuation' ? shedder.admitContinuation() : shedder.admit())) {
      shedForDelay.inc();
      return refuse(request, reply);
    }
    inFlight += 1;
    // 'close' fires once the response is sent or the connection is gone, whichever comes first.
    reply.raw.once('close', () => {
      inFlight -= 1;
      if (refusedAtCapacity > 0 && inFlight < options.maxConcurrentRequests) {
        app.log.warn({ refused: refusedAtCapacity }, 'below capacity again: every request admitted');
        refusedAtCapacity = 0;
      }
    });
  });
}
