// The server starts without loading what only some requests or deployments need, so start-up and idle memory do
// not pay for it: the WebAuthn verifiers (SimpleWebAuthn and its X.509/ASN.1 stack) load with the first ceremony
// that verifies something (passkeys/verifiers.ts); oidc-provider with the first OIDC request (oidc/oidc-providers.ts);
// nodemailer with the first e-mail (email/mail-transport.ts); pg with the first PostgreSQL connection
// (storage/database.ts); tldts, the Public Suffix List, with the first RP ID check (passkeys/origin-rules.ts).
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { SERVER_BUNDLE_DIR } from '../../src/cli/server-bundle.ts';
import { startServerProcess } from '../support/server-process.ts';

const RECORDER = path.resolve(import.meta.dirname, '../support/record-loaded-modules.ts');

/**
 * The modules a loaded URL stands for: itself, or for a file of the server's bundle (dist/server, which a start uses
 * when it is up to date) the modules bundled in it, as its source map lists them. What loads on first use is in
 * chunks of its own there, read only when first imported.
 */
function modulesIn(url: string): string[] {
  const file = url.startsWith('file:') ? fileURLToPath(url) : '';
  if (path.dirname(file) !== SERVER_BUNDLE_DIR) return [url];
  // Rolldown's runtime and chunks that only re-export another have no source map, and no module of their own.
  if (!existsSync(`${file}.map`)) return [];
  const { sources } = JSON.parse(readFileSync(`${file}.map`, 'utf8')) as { sources: string[] };
  return sources.map((source) => pathToFileURL(path.resolve(path.dirname(file), source)).href);
}
const scratch = mkdtempSync(path.join(tmpdir(), 'keyway-startup-modules-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

test('serving /healthz on SQLite loads none of SimpleWebAuthn, @peculiar, oidc-provider, nodemailer, pg or tldts', async () => {
  const moduleLog = path.join(scratch, 'modules.txt');
  const server = await startServerProcess(
    { KEYWAY_DATABASE_URL: `sqlite:${path.join(scratch, 'keyway.db')}`, KEYWAY_PUBLIC_URL: 'http://localhost:1', KEYWAY_TEST_MODULE_LOG: moduleLog },
    { nodeArgs: ['--import', RECORDER] },
  );
  const health = await fetch(`${server.url}/healthz`);
  assert.equal(health.status, 200);
  server.child.kill('SIGTERM');
  await server.exited;
  const modules = readFileSync(moduleLog, 'utf8').split('\n').flatMap(modulesIn);
  assert.ok(
    modules.some((url) => url.includes('/node_modules/fastify/')),
    'the recorder saw the server load',
  );
  assert.deepEqual(
    modules.filter((url) => /node_modules\/(@simplewebauthn|@peculiar|oidc-provider|nodemailer|pg|tldts)\//.test(url)),
    [],
  );
});
