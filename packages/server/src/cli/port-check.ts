import { createServer } from 'node:net';

/**
 * Whether the server could listen on host:port, asked by binding and releasing it: a busy port is
 * reported in milliseconds instead of after the whole start-up. (Another process can still take
 * the port in between; the real listen reports that.) `undefined` when it is free.
 */
export function portProblem(host: string, port: number): Promise<string | undefined> {
  if (port === 0) return Promise.resolve(undefined);
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EADDRINUSE')
        resolve(`port ${port} on ${host} is already in use (by another Keyway, or another server): stop it, or choose another port, e.g. PORT=${port + 1}`);
      else if (error.code === 'EACCES') resolve(`port ${port} on ${host} needs privileges this user does not have: choose a port above 1023, e.g. PORT=8080`);
      else if (error.code === 'EADDRNOTAVAIL') resolve(`HOST ${host} is not an address of this machine: use 127.0.0.1, or 0.0.0.0 for every interface`);
      else resolve(`cannot listen on ${host}:${port}: ${error.message}`);
    });
    probe.listen({ host, port, exclusive: true }, () => probe.close(() => resolve(undefined)));
  });
}
