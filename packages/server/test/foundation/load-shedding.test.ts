// Load shedding over real HTTP (http/admission-control.ts with the queue-delay rule): a node whose requests wait too
// long answers 503 SERVER_BUSY with Retry-After at once, keeps its probes and metrics answering, spares the second
// halves of ceremonies, counts what it sheds, and admits everything again once its delay has fallen.
// First with delay measurements the test feeds in (no timer, no clock), then with the node's own measurements and a
// handler made slow on purpose.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import { Registry } from 'prom-client';
import { createAdmissionControl } from '../../src/http/admission-control.ts';
import { installProblemGate } from '../../src/http/problem-gate.ts';
import '../../src/http/route-config.ts';
import { QueueDelayShedder } from '../../src/http/queue-delay-shedder.ts';

interface ShedApp {
  url: string;
  app: FastifyInstance;
}

/**
 * A node with the admission control, the problem gate and a few routes: `/work` (a ceremony start), `/:tenant/finish` (a
 * ceremony's second half), `/slow` (holds the event loop for `slowMs`, the overload), the probes and `/metrics`.
 */
async function startShedApp(options: { shedder?: QueueDelayShedder; shedDelayTargetMs: number; slowMs?: number; logLines?: string[] }): Promise<ShedApp> {
  const registry = new Registry();
  const admission = createAdmissionControl({ maxConcurrentRequests: 1000, shedDelayTargetMs: options.shedDelayTargetMs, registry, shedder: options.shedder });
  const lines = options.logLines;
  const app = Fastify({
    logger: lines ? { level: 'warn', stream: { write: (line: string) => lines.push(line) } } : false,
    serverFactory: admission.serverFactory,
  });
  admission.install(app);
  installProblemGate(app);
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async () => ({ status: 'ready' }));
  app.get('/metrics', async (_request, reply) => {
    reply.type(registry.contentType);
    return registry.metrics();
  });
  app.get('/work', async () => ({ done: true }));
  app.options('/work', async (_request, reply) => reply.code(204).header('access-control-allow-methods', 'GET').send());
  app.post('/:tenant/finish', { config: { admission: 'continuation' } }, async () => ({ done: true }));
  app.get('/slow', async () => {
    // The seam: this handler keeps the single thread busy, as a CPU-bound request above peak does.
    const until = performance.now() + (options.slowMs ?? 0);
    while (performance.now() < until);
    return { done: true };
  });
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  return { url, app };
}

async function shedCount(url: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith('keyway_http_requests_shed_total{reason="queue_delay"}'));
  assert.ok(line, 'the shed counter is exported');
  return Number(line.split(' ')[1]);
}

async function assertRefused(response: Response): Promise<void> {
  assert.equal(response.status, 503);
  assert.equal(response.headers.get('retry-after'), '1');
  assert.match(String(response.headers.get('content-type')), /^application\/problem\+json/);
  const body = (await response.json()) as { code: string; detail: string };
  assert.equal(body.code, 'SERVER_BUSY');
  assert.doesNotMatch(JSON.stringify(body), /at Object|\.ts:/);
}

/** Status of each of `n` sequential GET /work. */
async function statuses(url: string, n: number): Promise<number[]> {
  const seen: number[] = [];
  for (let i = 0; i < n; i++) {
    const response = await fetch(`${url}/work`);
    await response.arrayBuffer();
    seen.push(response.status);
  }
  return seen;
}

describe('load shedding, driven by delay measurements the test feeds in', () => {
  const shedder = new QueueDelayShedder({ targetMs: 50, intervalMs: 100 });
  let node: ShedApp;
  before(async () => {
    node = await startShedApp({ shedder, shedDelayTargetMs: 50 });
  });
  after(() => node.app.close());

  test('below the target: every request served, nothing shed', async () => {
    for (let t = 0; t <= 1000; t += 10) shedder.observe(20, t);
    assert.deepEqual(new Set(await statuses(node.url, 40)), new Set([200]));
    assert.equal(await shedCount(node.url), 0);
  });

  test('above the target for an interval: a share of requests answered 503 with Retry-After, probes, metrics and finishes served', async () => {
    // A little above the target, standing for the interval: a quarter of the starts go.
    shedder.observe(60, 1010);
    shedder.observe(60, 1110);
    assert.equal(shedder.shedding, true);
    const before = await shedCount(node.url);
    const seen = await statuses(node.url, 40);
    const refused = seen.filter((s) => s === 503).length;
    assert.ok(refused > 0 && refused < 40, `refused ${refused} of 40`);
    assert.deepEqual(new Set(seen), new Set([200, 503]));
    assert.equal((await shedCount(node.url)) - before, refused, 'each refusal counted once');

    let response = await fetch(`${node.url}/work`);
    while (response.status === 200) response = await fetch(`${node.url}/work`);
    await assertRefused(response);
    for (const probe of ['/healthz', '/readyz', '/metrics']) assert.equal((await fetch(`${node.url}${probe}`)).status, 200, probe);
    for (let i = 0; i < 20; i++)
      assert.equal((await fetch(`${node.url}/acme/finish?step=${i}`, { method: 'POST' })).status, 200, 'a ceremony finish is spared');
  });

  test('a browser page calling from another origin can read the refusal and its Retry-After; its preflights are spared', async () => {
    assert.equal(shedder.shedding, true);
    const origin = 'https://shop.example';
    let response = await fetch(`${node.url}/work`, { headers: { origin } });
    while (response.status === 200) response = await fetch(`${node.url}/work`, { headers: { origin } });
    assert.equal(response.headers.get('access-control-allow-origin'), origin);
    assert.equal(response.headers.get('access-control-allow-credentials'), 'true', 'the SDK sends its cookies');
    assert.deepEqual(response.headers.get('access-control-expose-headers')?.split(/,\s*/).sort(), ['retry-after', 'x-request-id']);
    assert.equal(response.headers.get('vary'), 'Origin');
    await assertRefused(response);
    // Without an Origin (a server calling), no CORS headers.
    response = await fetch(`${node.url}/work`);
    while (response.status === 200) response = await fetch(`${node.url}/work`);
    assert.equal(response.headers.get('access-control-allow-origin'), null);
    await response.arrayBuffer();
    const preflight = () => fetch(`${node.url}/work`, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'GET' } });
    for (let i = 0; i < 20; i++) assert.equal((await preflight()).status, 204, 'a preflight is spared');
  });

  test('once the delay has fallen, every request is served again', async () => {
    for (let t = 1120; t <= 3000; t += 10) shedder.observe(10, t);
    assert.equal(shedder.shedding, false);
    const before = await shedCount(node.url);
    assert.deepEqual(new Set(await statuses(node.url, 40)), new Set([200]));
    assert.equal(await shedCount(node.url), before);
  });
});

describe('load shedding, measured by the node itself', () => {
  let node: ShedApp;
  const logLines: string[] = [];
  before(async () => {
    // Each /slow holds the loop four times the target: the delay stays above it while such requests keep coming.
    node = await startShedApp({ shedDelayTargetMs: 20, slowMs: 80, logLines });
  });
  after(() => node.app.close());

  test('overloaded by slow requests, the node sheds with 503 SERVER_BUSY and Retry-After, still answers its probes, and logs the episode once', async () => {
    // Four callers, each sending its next request as soon as the last is answered (at most 300 in all): the loop is
    // never free, the delay stands above the target, and the node must start refusing.
    const refusals: Response[] = [];
    let sent = 0;
    const caller = async () => {
      while (refusals.length < 10 && sent < 300) {
        sent++;
        const response = await fetch(`${node.url}/slow`);
        if (response.status === 503) refusals.push(response);
        else {
          assert.equal(response.status, 200);
          await response.arrayBuffer();
        }
      }
    };
    await Promise.all([caller(), caller(), caller(), caller()]);
    assert.ok(refusals.length >= 10, `${refusals.length} refusals in ${sent} requests`);
    for (const refusal of refusals) await assertRefused(refusal);
    assert.equal((await fetch(`${node.url}/healthz`)).status, 200);
    assert.ok((await shedCount(node.url)) >= 10);
    const overloaded = logLines.filter((line) => line.includes('overloaded: '));
    assert.equal(overloaded.length, 1, 'one line as the episode starts, none per refusal');
    // Besides it, at most the line saying the episode ended: nothing per request.
    assert.ok(
      logLines.every((line) => line.includes('overloaded: ') || line.includes('overload over: ')),
      logLines.join(''),
    );
  });
});
