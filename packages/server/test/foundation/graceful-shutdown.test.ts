// SIGTERM lets in-flight requests finish, but only for KEYWAY_SHUTDOWN_GRACE seconds: a client that
// stalls mid-request would otherwise hold the process open for ever (server.ts).
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect } from 'node:net';
import { test } from 'node:test';
import { createTestDatabase } from '../support/databases.ts';
import { startServerProcess } from '../support/server-process.ts';

test('SIGTERM exits once the grace period is over, cutting a request whose client stalled', { timeout: 60_000 }, async () => {
  const testDatabase = await createTestDatabase('sqlite');
  try {
    const server = await startServerProcess({ ...testDatabase.env, KEYWAY_SHUTDOWN_GRACE: '1' });
    const { hostname, port } = new URL(server.url);
    const socket = connect({ host: hostname, port: Number(port) });
    await once(socket, 'connect');
    const received: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => received.push(chunk));
    const closed = once(socket, 'close');
    // A request whose body never completes: the server is reading it when the signal comes.
    socket.write(
      `POST /oauth2/token HTTP/1.1\r\nHost: ${hostname}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\ngrant_type=`,
    );
    // The server has the request once it answers an ordinary one on another connection after it.
    assert.equal((await fetch(`${server.url}/healthz`).then(async (response) => (await response.arrayBuffer(), response))).status, 200);
    server.child.kill('SIGTERM');
    assert.equal(await server.exited, 0, 'the process exits, with code 0');
    await closed;
    assert.equal(Buffer.concat(received).length, 0, 'the stalled request got no answer: its connection was cut');
  } finally {
    await testDatabase.drop();
  }
});
