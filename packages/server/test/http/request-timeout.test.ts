// A request holds one of the node's places (KEYWAY_MAX_CONCURRENT_REQUESTS) from the moment its headers are in. A
// client that then sends its body slowly, or never, loses it at KEYWAY_REQUEST_TIMEOUT: 408, connection closed, and
// the node serves others again — before, idle sockets held their places for good and a few hundred shut a node out.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { startTestServer, type TestServer } from '../support/test-server.ts';

/** Sends a request's headers and the first byte of a body announced as 1000 bytes, then nothing more. */
async function stalledRequest(url: string): Promise<{ socket: Socket; received: () => string }> {
  const { hostname, port } = new URL(url);
  const socket = connect({ host: hostname, port: Number(port) });
  await once(socket, 'connect');
  let received = '';
  socket.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')));
  socket.on('error', () => {});
  socket.write(`POST /oauth2/token HTTP/1.1\r\nHost: ${hostname}:${port}\r\ncontent-type: application/x-www-form-urlencoded\r\ncontent-length: 1000\r\n\r\ng`);
  return { socket, received: () => received };
}

describe('request timeout', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ kind: 'sqlite', env: { KEYWAY_REQUEST_TIMEOUT: '1', KEYWAY_MAX_CONCURRENT_REQUESTS: '2' } });
  });
  after(() => server.close());

  test('requests whose bodies stall hold the places until the timeout, then get 408 and the node serves again', { timeout: 20_000 }, async () => {
    const stalled = [await stalledRequest(server.url), await stalledRequest(server.url)];
    // Both places are held (a request in progress is counted once its headers are in).
    let busy = await fetch(`${server.url}/openapi.json`);
    for (let tries = 0; busy.status !== 503 && tries < 50; tries++) busy = await fetch(`${server.url}/openapi.json`);
    assert.equal(busy.status, 503);
    assert.equal((await busy.json()).code, 'SERVER_BUSY');
    // The server ends each stalled request itself.
    await Promise.all(stalled.map(({ socket }) => once(socket, 'close')));
    for (const { received } of stalled) assert.match(received(), /^HTTP\/1\.1 408 /);
    const served = await fetch(`${server.url}/openapi.json`);
    assert.equal(served.status, 200);
  });
});
