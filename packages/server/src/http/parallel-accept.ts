import type { Server } from 'node:http';
import { createServer as createNetServer, type ListenOptions, type Server as NetServer } from 'node:net';

/**
 * libuv accepts one new connection per turn of the event loop. On a saturated node a turn lasts tens of milliseconds,
 * so under a surge of new connections most of them wait in the kernel's accept queue, for seconds, where neither the
 * node nor its load shedding sees them. Listening `1 + extra` times on the same address (SO_REUSEPORT: the kernel
 * spreads new connections over the sockets, and only to sockets of the same user) accepts up to that many per turn;
 * every socket accepted goes to the one HTTP server. Linux only (elsewhere the option is refused or means something
 * else); a socket path is left alone.
 */
export function acceptInParallel(server: Server, extra: number): void {
  if (extra <= 0 || process.platform !== 'linux') return;
  const acceptors: NetServer[] = [];
  const listen = server.listen.bind(server) as (...args: unknown[]) => Server;
  server.listen = ((...args: unknown[]) => {
    const options = args[0];
    if (typeof options === 'object' && options !== null && (options as ListenOptions).path === undefined) (options as ListenOptions).reusePort = true;
    return listen(...args);
  }) as Server['listen'];
  server.once('listening', () => {
    const address = server.address();
    if (address === null || typeof address === 'string') return;
    for (let i = 0; i < extra; i++) {
      const acceptor = createNetServer((socket) => server.emit('connection', socket));
      // An acceptor that cannot listen leaves the others (and the server's own socket) accepting.
      acceptor.on('error', () => acceptor.close());
      acceptor.listen({ host: address.address, port: address.port, reusePort: true });
      acceptors.push(acceptor);
    }
  });
  // Closing the server stops every acceptor at once: no new connection after close() begins.
  const close = server.close.bind(server);
  server.close = ((callback?: (error?: Error) => void) => {
    for (const acceptor of acceptors.splice(0)) acceptor.close();
    return close(callback);
  }) as Server['close'];
}
