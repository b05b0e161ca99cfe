import type { FastifyInstance } from 'fastify';
import { Gauge, type Registry } from 'prom-client';
import { KeywayError } from '../errors/keyway-error.ts';

/** Routes that answer even at capacity: an orchestrator's probes and the metrics that show the overload. */
export const ALWAYS_ADMITTED: ReadonlySet<string> = new Set(['/healthz', '/readyz', '/metrics']);
/** Seconds a refused caller is asked to wait: the queue it would have joined drains in well under that. */
const BUSY_RETRY_AFTER_SECONDS = 1;

/**
 * Load shedding. A node past its peak rate does not slow every request down until all of them time out: it serves at
 * most `maxConcurrentRequests` at a time and answers the rest at once with 503 SERVER_BUSY and Retry-After, before
 * reading their bodies. The bound caps the queue an admitted request waits behind, so its latency stays that of a
 * busy node, not of a collapsing one. A closed-loop client pool never reaches it: the bound is well above the number
 * of requests a node serves concurrently at peak.
 */
export function installAdmissionControl(app: FastifyInstance, options: { maxConcurrentRequests: number; registry: Registry }): void {
  let inFlight = 0;
  new Gauge({
    name: 'keyway_http_requests_in_flight',
    help: 'Requests admitted and not yet answered',
    registers: [options.registry],
    collect() {
      this.set(inFlight);
    },
  });
  // The first onRequest hook: a refused request costs no authentication, routing work or body parsing.
  app.addHook('onRequest', async (request, reply) => {
    if (ALWAYS_ADMITTED.has(request.url)) return;
    if (inFlight >= options.maxConcurrentRequests) {
      throw new KeywayError('SERVER_BUSY', 'The server is at capacity; retry after the Retry-After delay', {
        headers: { 'retry-after': String(BUSY_RETRY_AFTER_SECONDS) },
      });
    }
    inFlight += 1;
    // 'close' fires once the response is sent or the connection is gone, whichever comes first.
    reply.raw.once('close', () => {
      inFlight -= 1;
    });
  });
}
