// Parallel accept (http/parallel-accept.ts): libuv accepts one new connection per event-loop turn and socket; a server
// listening on several sockets of one port takes in several per turn, serves them as one server, and stops accepting
// on all of them when it closes. (The module works on Linux only, where Keyway's tests run.)
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { connect } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { acceptInParallel } from '../../src/http/parallel-accept.ts';

const CONNECTIONS = 24;

/** Opens `count` connections to `port` from another process and waits until the kernel has established them all. */
function connectFromAnotherProcess(port: number, count: number): void {
  const script = `
    const { connect } = require('node:net');
    let open = 0;
    for (let i = 0; i < ${count}; i++) connect(${port}, '127.0.0.1', () => { if (++open === ${count}) process.exit(0); });
  `;
  const result = spawnSync(process.execPath, ['-e', script], { timeout: 30_000 });
  assert.equal(result.status, 0, String(result.stderr));
}

/** Connections accepted in the first loop turn after the loop was held while `count` connections queued. */
async function acceptedInFirstTurn(server: Server, port: number, count: number): Promise<number> {
  let turn = 0;
  const turns: number[] = [];
  const onConnection = () => turns.push(turn);
  server.on('connection', onConnection);
  let counting = true;
  const tick = () => {
    turn++;
    if (counting) setImmediate(tick);
  };
  setImmediate(tick);
  // The loop is held for as long as the other process connects: every connection waits in an accept queue.
  connectFromAnotherProcess(port, count);
  while (turns.length < count) await new Promise((resolve) => setImmediate(resolve));
  counting = false;
  server.off('connection', onConnection);
  return turns.filter((t) => t === turns[0]).length;
}

describe('parallel accept', () => {
  let server: Server;
  let port: number;
  before(async () => {
    server = createServer((_request, response) => response.end('ok'));
    acceptInParallel(server, 7);
    await new Promise<void>((resolve) => server.listen({ host: '127.0.0.1', port: 0 }, resolve));
    port = (server.address() as { port: number }).port;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  test('connections queued while the loop was busy are taken in several per turn', async () => {
    const first = await acceptedInFirstTurn(server, port, CONNECTIONS);
    assert.ok(first > 1, `only ${first} connection accepted in the first turn`);
  });

  test('a connection on any of the sockets is served by the one server', async () => {
    for (let i = 0; i < 16; i++) {
      const response = await fetch(`http://127.0.0.1:${port}/`, { headers: { connection: 'close' } });
      assert.equal(await response.text(), 'ok');
    }
  });

  test('once the server closes, no socket accepts any more', async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    for (let i = 0; i < 16; i++) {
      const refused = await new Promise<string>((resolve) => {
        const socket = connect(port, '127.0.0.1');
        socket.once('connect', () => {
          socket.destroy();
          resolve('accepted');
        });
        socket.once('error', (error: NodeJS.ErrnoException) => resolve(String(error.code)));
      });
      assert.equal(refused, 'ECONNREFUSED');
    }
    server = createServer();
    await new Promise<void>((resolve) => server.listen({ host: '127.0.0.1', port: 0 }, resolve));
  });
});
