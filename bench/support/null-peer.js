// A server that answers the SimpleWebAuthn example's four routes at once and verifies nothing: what the load
// generator reaches against it is its own ceiling on one core, the highest rate `npm run bench` can show on this
// machine for any server (see "ceiling" in bench/run.ts). Plain JavaScript, node:http only: nothing to load or compile.
import { createServer } from 'node:http';
import { randomBytes } from 'node:crypto';

const options = () =>
  JSON.stringify({
    challenge: randomBytes(32).toString('base64url'),
    rpId: 'localhost',
    rp: { id: 'localhost', name: 'null' },
    user: { id: 'bnVsbA', name: 'null' },
  });
createServer((request, response) => {
  request.resume();
  request.on('end', () => {
    response.setHeader('content-type', 'application/json');
    response.end(request.url?.startsWith('/verify-') ? '{"verified":true}' : options());
  });
}).listen(Number(process.env.PORT), '127.0.0.1');
