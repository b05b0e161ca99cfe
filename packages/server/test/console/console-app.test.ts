// Serving the console's single-page application: the page at every path under /{tenant}/console with its security
// headers, hashed assets, the API paths kept out of the fallback, and a clear 503 until the console is built.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startTestServer, type TestServer } from '../support/test-server.ts';

const INDEX =
  '<!doctype html><html lang="en"><head><title>Keyway console</title><script type="module" src="./assets/app-1a2b3c.js"></script></head><body></body></html>';

describe('the console application', () => {
  const dist = mkdtempSync(path.join(tmpdir(), 'keyway-console-dist-'));
  let server: TestServer;
  let unbuilt: TestServer;
  before(async () => {
    writeFileSync(path.join(dist, 'index.html'), INDEX);
    mkdirSync(path.join(dist, 'assets'));
    writeFileSync(path.join(dist, 'assets', 'app-1a2b3c.js'), 'console.log("console");\n');
    server = await startTestServer({ kind: 'sqlite', consoleDist: dist });
    await server.tenant('acme');
    unbuilt = await startTestServer({ kind: 'sqlite', consoleDist: path.join(dist, 'missing') });
  });
  after(async () => {
    await server.close();
    await unbuilt.close();
    rmSync(dist, { recursive: true, force: true });
  });

  test('every page path answers index.html with a strict CSP, no Referer and no framing', async () => {
    for (const url of ['/acme/console', '/acme/console/', '/acme/console/users', '/acme/console/users/abc/passkeys', '/acme/console/enrol']) {
      const page = await server.http.get(url);
      assert.equal(page.status, 200, url);
      // The page gets the console's root as its base, so ./assets/… resolves at any depth.
      assert.equal(page.body, INDEX.replace('<head>', '<head><base href="/acme/console/">'), url);
      assert.match(page.headers.get('content-type') ?? '', /^text\/html/);
      const csp = page.headers.get('content-security-policy') ?? '';
      assert.match(csp, /script-src 'self'(;|$)/);
      assert.match(csp, /frame-ancestors 'none'/);
      assert.equal(page.headers.get('referrer-policy'), 'no-referrer');
      assert.equal(page.headers.get('x-frame-options'), 'DENY');
      assert.equal(page.headers.get('cache-control'), 'no-cache');
    }
  });

  test('hashed assets are served with a long cache; a missing one or a path escape is 404', async () => {
    const asset = await server.http.get('/acme/console/assets/app-1a2b3c.js');
    assert.equal(asset.status, 200);
    assert.match(asset.headers.get('content-type') ?? '', /javascript/);
    assert.match(asset.headers.get('cache-control') ?? '', /max-age=31536000/);
    assert.equal((await server.http.get('/acme/console/assets/missing.js')).status, 404);
    assert.equal((await server.http.get('/acme/console/assets/..%2Findex.html')).status, 404);
    assert.equal((await server.http.get('/acme/console/assets/%2E%2E/%2E%2E/package.json')).status, 404);
  });

  test('the API paths are never the page: an unknown one is a 404 problem', async () => {
    const unknown = await server.http.get('/acme/console/api/nothing-here');
    assert.equal(unknown.status, 404);
    assert.equal(unknown.body.code, 'ROUTE_NOT_FOUND');
    const session = await server.http.get('/acme/console/api/session');
    assert.equal(session.status, 401);
    assert.equal(session.body.code, 'CONSOLE_SIGN_IN_REQUIRED');
  });

  test('until the console is built, a 503 page says how to build it', async () => {
    const page = await unbuilt.http.get('/acme/console/users');
    assert.equal(page.status, 503);
    assert.match(page.body, /console not built — run <code>npm run build:console<\/code>/);
    assert.match(page.headers.get('content-type') ?? '', /^text\/html/);
  });
});
