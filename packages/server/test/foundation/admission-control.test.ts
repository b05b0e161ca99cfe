// Load shedding (http/admission-control.ts): past KEYWAY_MAX_CONCURRENT_REQUESTS requests in progress, a node answers
// 503 SERVER_BUSY with Retry-After at once, keeps its probes and metrics answering, and admits again as soon as a
// request finishes. A request is held in progress by sending its headers and only part of its body.
import assert from 'node:assert/strict';
import { request as httpRequest, type ClientRequest, type IncomingMessage } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { startTestServer, type TestServer } from '../support/test-server.ts';

async function inFlight(server: TestServer): Promise<number> {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith('keyway_http_requests_in_flight '));
  assert.ok(line, 'the in-flight gauge is exported');
  return Number(line.split(' ')[1]);
}

/** Polls the gauge (each poll is a real request, no timer) until it shows `expected`. */
async function untilInFlight(server: TestServer, expected: number): Promise<void> {
  for (let attempt = 0; attempt < 10_000; attempt++) if ((await inFlight(server)) === expected) return;
  assert.fail(`in-flight never reached ${expected}`);
}

/** A token request whose body is announced but not yet sent: admitted, then waiting for its body. */
function heldRequest(server: TestServer): { request: ClientRequest; answered: Promise<IncomingMessage>; release(): void } {
  const body = 'grant_type=client_credentials&client_id=nobody&client_secret=nothing';
  const url = new URL('/oauth2/token', server.url);
  const request = httpRequest(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-length': body.length } });
  const answered = new Promise<IncomingMessage>((resolve, reject) => {
    request.once('response', resolve);
    request.once('error', reject);
  });
  request.write(body.slice(0, 5));
  request.flushHeaders();
  return { request, answered, release: () => request.end(body.slice(5)) };
}

describe('admission control', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ kind: 'sqlite', env: { KEYWAY_MAX_CONCURRENT_REQUESTS: '1' } });
  });
  after(() => server.close());

  test('at capacity: 503 SERVER_BUSY with Retry-After; probes and metrics still answer; admitted again once a request ends', async () => {
    const held = heldRequest(server);
    await untilInFlight(server, 1);

    const refused = await fetch(`${server.url}/openapi.json`);
    assert.equal(refused.status, 503);
    assert.equal(refused.headers.get('retry-after'), '1');
    assert.match(String(refused.headers.get('content-type')), /^application\/problem\+json/);
    const problem = (await refused.json()) as { code: string; detail: string };
    assert.equal(problem.code, 'SERVER_BUSY');
    assert.doesNotMatch(JSON.stringify(problem), /at Object|\.ts:/);
    assert.equal((await fetch(`${server.url}/healthz`)).status, 200);
    assert.equal((await fetch(`${server.url}/readyz`)).status, 200);

    held.release();
    const response = await held.answered;
    response.resume();
    assert.equal(response.statusCode, 401, 'the held request itself was served to the end');
    await untilInFlight(server, 0);
    assert.equal((await fetch(`${server.url}/openapi.json`)).status, 200);
  });

  test('a client that goes away gives its place back', async () => {
    const held = heldRequest(server);
    await untilInFlight(server, 1);
    held.answered.catch(() => undefined);
    held.request.destroy();
    await untilInFlight(server, 0);
    assert.equal((await fetch(`${server.url}/healthz`)).status, 200);
    assert.equal((await fetch(`${server.url}/openapi.json`)).status, 200);
  });
});
