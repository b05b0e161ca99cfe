import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerOptions, type ServerResponse } from 'node:http';
import type { FastifyInstance, FastifyServerFactory, FastifyServerOptions } from 'fastify';
import { Counter, Gauge, type Registry } from 'prom-client';
import { EventLoopDelayProbe } from './event-loop-delay-probe.ts';
import { acceptInParallel } from './parallel-accept.ts';
import { problem } from './problem.ts';
import { QueueDelayShedder } from './queue-delay-shedder.ts';

/** Routes that answer even at capacity: an orchestrator's probes and the metrics that show the overload. */
export const ALWAYS_ADMITTED: ReadonlySet<string> = new Set(['/healthz', '/readyz', '/metrics']);
/** Seconds a refused caller is asked to wait: the queue it would have joined drains in well under that. */
const BUSY_RETRY_AFTER_SECONDS = 1;
const BUSY_DETAIL = 'The server is at capacity; retry after the Retry-After delay';
/** Sockets listening besides the server's own (parallel-accept.ts): up to 8 new connections accepted per loop turn. */
const EXTRA_ACCEPTORS = 7;
/**
 * CoDel's interval: a delay above the target that lasts less than this, or fewer than SHED_STANDING_MEASUREMENTS
 * loop turns, is a burst (a GC pause, a flush, twenty requests arriving together, code loaded on first use), not
 * overload. (At 100 ms and any one measurement, a burst of parallel ceremonies on a busy machine shed the requests
 * that followed it for a second: seen in CI.)
 */
export const SHED_INTERVAL_MS = 500;
export const SHED_STANDING_MEASUREMENTS = 5;

export interface AdmissionControlOptions {
  maxConcurrentRequests: number;
  /** The queueing delay above which a node sheds requests (milliseconds, queue-delay-shedder.ts); 0: never. */
  shedDelayTargetMs: number;
  registry: Registry;
  /** Tests: a shedder they feed delay measurements of their own; the node then measures nothing itself. */
  shedder?: QueueDelayShedder;
}

export interface AdmissionControl {
  /** Fastify's `serverFactory`: both rules refuse here, before Fastify spends anything on a request. */
  serverFactory: FastifyServerFactory;
  /** On the app built with `serverFactory`: its logger for the episodes, its continuation routes, the probe's stop. */
  install(app: FastifyInstance): void;
}

/**
 * The HTTP server's own timeouts for a request (node:http): all of it — headers and body — within `requestTimeoutMs`
 * (408, then the connection is closed), the headers within at most HEADERS_TIMEOUT_MS of that, checked every
 * CONNECTIONS_CHECK_MS rather than Node's 30 s, so a place held by a client that stopped sending is freed within
 * about a second of its deadline. Node refuses a headers timeout longer than the request timeout.
 */
const HEADERS_TIMEOUT_MS = 20_000;
const CONNECTIONS_CHECK_MS = 1_000;
function serverTimeouts(given: ServerOptions, requestTimeoutMs: number): ServerOptions {
  if (requestTimeoutMs <= 0) return given;
  return {
    ...given,
    requestTimeout: requestTimeoutMs,
    headersTimeout: Math.min(HEADERS_TIMEOUT_MS, requestTimeoutMs),
    connectionsCheckingInterval: Math.min(CONNECTIONS_CHECK_MS, requestTimeoutMs),
  };
}

/**
 * Load shedding. A node past its peak rate does not slow every request down until all of them time out: it answers
 * the excess at once with 503 SERVER_BUSY and Retry-After, before reading their bodies, so the requests it serves keep
 * the latency of a busy node, not of a collapsing one. Two rules, each for its own kind of overload:
 * - Queueing delay (queue-delay-shedder.ts): with the CPU saturated, requests wait in the kernel's socket queues,
 *   where no count of requests in progress sees them (the node reads a request only when its loop comes round); the
 *   event loop's delay does, and past the target a share of ceremony starts is refused. New connections are taken
 *   in on several sockets (parallel-accept.ts), so they too reach this rule promptly.
 * - Requests in progress: with something slow behind the node (a stalled database), requests pile up inside it
 *   while its loop is idle; at most `maxConcurrentRequests` are served at once (a ceremony's finish: twice that).
 * Both refusals are written straight onto the connection, ahead of Fastify (no routing, hooks, serializer or log
 * line): shedding must cost far less than serving, or the work of refusing eats the capacity it protects.
 * A closed-loop client pool at peak meets neither: its few requests never keep the loop late for long.
 */
export function createAdmissionControl(options: AdmissionControlOptions): AdmissionControl {
  let inFlight = 0;
  let refusedAtCapacity = 0;
  let log: FastifyInstance['log'] | undefined;
  const shedCounter = new Counter({
    name: 'keyway_http_requests_shed_total',
    help: 'Requests answered 503 SERVER_BUSY at once: queue_delay (the event loop stayed late), in_flight (too many in progress)',
    labelNames: ['reason'],
    registers: [options.registry],
  });
  // Bound once: a refusal then costs no label lookup. Both series exist from the start (at 0) for rate().
  const shedForDelay = shedCounter.labels({ reason: 'queue_delay' });
  const shedForInFlight = shedCounter.labels({ reason: 'in_flight' });
  shedForDelay.inc(0);
  shedForInFlight.inc(0);

  let lastDelayMs = 0;
  const shedder =
    options.shedder ??
    (options.shedDelayTargetMs > 0
      ? new QueueDelayShedder({
          targetMs: options.shedDelayTargetMs,
          intervalMs: SHED_INTERVAL_MS,
          standingMeasurements: SHED_STANDING_MEASUREMENTS,
          episodes: {
            started: (delayMs) =>
              log?.warn(
                { delayMs: Math.round(delayMs), targetMs: options.shedDelayTargetMs },
                'overloaded: requests wait longer than the target, shedding ceremony starts with 503 SERVER_BUSY',
              ),
            ended: (shed, durationMs) => log?.warn({ shed, durationMs: Math.round(durationMs) }, 'overload over: every request admitted again'),
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
  new Gauge({
    name: 'keyway_http_requests_in_flight',
    help: 'Requests admitted and not yet answered',
    registers: [options.registry],
    collect() {
      this.set(inFlight);
    },
  });
  new Gauge({
    name: 'keyway_http_admitted_share',
    help: 'Share of ceremony starts the queue-delay rule admits (1: not shedding)',
    registers: [options.registry],
    collect() {
      this.set(shedder?.admittedShare ?? 1);
    },
  });
  new Gauge({
    name: 'keyway_event_loop_delay_seconds',
    help: "The node's last queueing-delay measurement: how long its own work kept the event loop from coming round",
    registers: [options.registry],
    collect() {
      this.set(lastDelayMs / 1000);
    },
  });

  // The routes declared `admission: 'continuation'`, as one expression over the request path (path parameters match
  // any segment): known before Fastify routes the request.
  const continuationPaths: string[] = [];
  let continuation: RegExp | undefined;
  const isContinuation = (request: IncomingMessage) => request.method === 'POST' && continuation !== undefined && continuation.test(request.url ?? '');
  // Spared like a ceremony's second half: a CORS preflight (Fetch §4.8) costs little, and refusing it would leave the
  // browser with a network error instead of the 503 its request would get.
  const isSpared = (request: IncomingMessage) => request.method === 'OPTIONS' || isContinuation(request);

  const refuse = (request: IncomingMessage, response: ServerResponse) => {
    const requestId = randomUUID();
    const body = JSON.stringify(problem('SERVER_BUSY', BUSY_DETAIL, requestId));
    const headers: Record<string, string | number> = {
      'content-type': 'application/problem+json; charset=utf-8',
      'content-length': Buffer.byteLength(body),
      'retry-after': String(BUSY_RETRY_AFTER_SECONDS),
      'x-request-id': requestId,
    };
    // A browser page calling cross-origin (the SDK, with cookies) may read the refusal and its Retry-After (Fetch
    // §3.2.3); otherwise it sees only a network error. Whether the origin may use the route is not known here, before
    // routing — and need not be: the request did nothing, and this answer is the same for everyone.
    const origin = request.headers.origin;
    if (origin !== undefined && origin !== 'null') {
      headers['access-control-allow-origin'] = origin;
      headers['access-control-allow-credentials'] = 'true';
      headers['access-control-expose-headers'] = 'retry-after, x-request-id';
      headers.vary = 'Origin';
    }
    response.writeHead(503, headers);
    // An unread body is discarded by Node once the answer is sent; the connection stays usable.
    response.end(body);
  };

  const serverFactory: FastifyServerFactory = (handler, given) => {
    // Fastify hands its own options (defaults filled in) to the factory.
    const fastifyOptions = given as FastifyServerOptions & {
      http?: ServerOptions;
      keepAliveTimeout: number;
      requestTimeout: number;
      connectionTimeout: number;
    };
    const server = createServer(serverTimeouts(fastifyOptions.http ?? {}, fastifyOptions.requestTimeout), (request, response) => {
      if (ALWAYS_ADMITTED.has(request.url ?? '')) return handler(request, response);
      probe?.poke();
      const atCapacity = inFlight >= options.maxConcurrentRequests;
      const shedding = shedder?.shedding === true;
      // Whether it is a ceremony's second half matters only when a rule is refusing: asked then, not per request.
      if (atCapacity || shedding) {
        const spared = isSpared(request);
        // A ceremony's second half may use the room above the bound: refusing it would waste its first half.
        if (atCapacity && (!spared || inFlight >= 2 * options.maxConcurrentRequests)) {
          if (refusedAtCapacity++ === 0)
            log?.warn({ maxConcurrentRequests: options.maxConcurrentRequests }, 'at capacity: refusing requests with 503 SERVER_BUSY');
          shedForInFlight.inc();
          return refuse(request, response);
        }
        if (shedding && !(spared ? shedder!.admitContinuation() : shedder!.admit())) {
          shedForDelay.inc();
          return refuse(request, response);
        }
      }
      inFlight += 1;
      // 'close' fires once the answer is sent or the connection is gone, whichever comes first.
      response.once('close', () => {
        inFlight -= 1;
        if (refusedAtCapacity > 0 && inFlight < options.maxConcurrentRequests) {
          log?.warn({ refused: refusedAtCapacity }, 'below capacity again: every request admitted');
          refusedAtCapacity = 0;
        }
      });
      handler(request, response);
    });
    // What Fastify sets on an HTTP server it creates itself (its defaults are already in its options here).
    server.keepAliveTimeout = fastifyOptions.keepAliveTimeout;
    server.setTimeout(fastifyOptions.connectionTimeout);
    if (fastifyOptions.maxRequestsPerSocket) server.maxRequestsPerSocket = fastifyOptions.maxRequestsPerSocket;
    // New connections reach the node, and its admission control, promptly even while its loop is saturated.
    acceptInParallel(server, EXTRA_ACCEPTORS);
    return server;
  };

  const install = (app: FastifyInstance) => {
    log = app.log;
    if (probe) app.addHook('onClose', async () => probe.stop());
    app.addHook('onRoute', (route) => {
      if (route.config?.admission !== 'continuation') return;
      const pattern = route.url.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/:[A-Za-z0-9_]+/g, '[^/?]+');
      continuationPaths.push(pattern);
      continuation = new RegExp(`^(?:${continuationPaths.join('|')})/?(?:\\?|$)`);
    });
  };

  return { serverFactory, install };
}
