// A tiny static file server for trying Keyway from a page of your own on another origin:
//   npx node examples/serve.ts [folder] [--port 3000]
// serves the folder (default: examples/passkey-page) on http://localhost:<port>. For local
// development only: no caching, no directory listings, nothing outside the folder.
import { readFile, stat } from 'node:fs/promises';
import { createServer } from 'node:http';
import path from 'node:path';
import { parseArgs } from 'node:util';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
};

const { values, positionals } = parseArgs({ options: { port: { type: 'string', default: '3000' } }, allowPositionals: true });
const root = path.resolve(positionals[0] ?? path.join(import.meta.dirname, 'passkey-page'));
const port = Number(values.port);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  process.stderr.write(`serve: --port ${values.port} is invalid: a port number from 0 to 65535\n`);
  process.exit(2);
}
if (!(await stat(root).catch(() => undefined))?.isDirectory()) {
  process.stderr.write(`serve: ${root} is not a folder\n`);
  process.exit(2);
}

/** The file a request path names, or undefined when it is malformed or leaves the folder. */
function fileFor(url: string): string | undefined {
  let pathname: string;
  try {
    pathname = decodeURIComponent(new URL(url, 'http://localhost').pathname);
  } catch {
    return undefined;
  }
  const file = path.join(root, pathname.endsWith('/') ? `${pathname}index.html` : pathname);
  // path.join normalises `..`: anything that ends up outside the folder is not served.
  return file.startsWith(root + path.sep) && !file.includes('\0') ? file : undefined;
}

const server = createServer(async (request, response) => {
  const file = fileFor(request.url ?? '/');
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    response.writeHead(405, { allow: 'GET, HEAD' }).end();
    return;
  }
  if (file === undefined) {
    response.writeHead(404).end();
    return;
  }
  try {
    const body = await readFile(file);
    response.writeHead(200, { 'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-store' });
    response.end(request.method === 'HEAD' ? undefined : body);
  } catch {
    response.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('Not found\n');
  }
});
server.once('error', (error: NodeJS.ErrnoException) => {
  process.stderr.write(error.code === 'EADDRINUSE' ? `serve: port ${port} is already in use: choose another with --port\n` : `serve: ${error.message}\n`);
  process.exit(1);
});
server.listen(port, '127.0.0.1', () => {
  const address = server.address();
  const actual = typeof address === 'object' && address !== null ? address.port : port;
  process.stdout.write(`Serving ${path.relative(process.cwd(), root) || '.'} on http://localhost:${actual} (Ctrl+C stops it)\n`);
});
