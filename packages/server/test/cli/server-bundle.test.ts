// The server's bundle (dist/server, scripts/server-bundle.ts): a start uses it only while every file it was built from
// is as it was, and a server started from it serves what the sources serve, files found beside the code included.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { ensureServerBundle } from '../../scripts/server-bundle.ts';
import { commandsModuleSpecifier, SERVER_BUNDLE_DIR, SERVER_BUNDLE_FILE, serverBundleState, type ServerBundleManifest } from '../../src/cli/server-bundle.ts';
import { createTestDatabase, type TestDatabase } from '../support/databases.ts';
import { startServerProcess, type ServerProcess } from '../support/server-process.ts';

const scratch = mkdtempSync(path.join(tmpdir(), 'keyway-server-bundle-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

/** A bundle directory built from two files beside it: dist/commands.mjs, its manifest, and src/a.ts and src/b.ts. */
function fixture(name: string): { dir: string; source: (file: string) => string } {
  const root = path.join(scratch, name);
  const dir = path.join(root, 'dist');
  mkdirSync(dir, { recursive: true });
  mkdirSync(path.join(root, 'src'));
  const source = (file: string) => path.join(root, 'src', file);
  writeFileSync(source('a.ts'), 'export const a = 1;\n');
  writeFileSync(source('b.ts'), 'export const b = 2;\n');
  writeFileSync(path.join(dir, 'commands.mjs'), 'export const a = 1, b = 2;\n');
  const inputs: ServerBundleManifest['inputs'] = {};
  for (const file of ['a.ts', 'b.ts']) {
    const stats = statSync(source(file));
    inputs[path.relative(dir, source(file))] = [stats.ctimeMs, stats.size];
  }
  writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify({ format: 1, inputs } satisfies ServerBundleManifest));
  return { dir, source };
}

describe('whether a start may use the bundle', () => {
  test('fresh while every input has the status-change time and size it was built with', () => {
    assert.deepEqual(serverBundleState(fixture('fresh').dir), { fresh: true, inputs: 2 });
  });

  test('stale once an input is written again, even to the same length', () => {
    const { dir, source } = fixture('rewritten');
    writeFileSync(source('b.ts'), 'export const b = 3;\n');
    assert.deepEqual(serverBundleState(dir), { fresh: false, reason: '../src/b.ts changed' });
  });

  test('stale once an input is gone', () => {
    const { dir, source } = fixture('removed');
    rmSync(source('a.ts'));
    assert.deepEqual(serverBundleState(dir), { fresh: false, reason: '../src/a.ts is gone' });
  });

  test('not used without its manifest or its entry, nor with a manifest of another format', () => {
    const noManifest = fixture('no-manifest');
    rmSync(path.join(noManifest.dir, 'manifest.json'));
    assert.deepEqual(serverBundleState(noManifest.dir), { fresh: false, reason: 'not built' });
    const noEntry = fixture('no-entry');
    rmSync(path.join(noEntry.dir, 'commands.mjs'));
    assert.deepEqual(serverBundleState(noEntry.dir), { fresh: false, reason: 'not built' });
    const otherFormat = fixture('other-format');
    writeFileSync(path.join(otherFormat.dir, 'manifest.json'), '{"format":0}');
    assert.deepEqual(serverBundleState(otherFormat.dir), { fresh: false, reason: 'built by another version' });
    assert.deepEqual(serverBundleState(path.join(scratch, 'nothing-here')), { fresh: false, reason: 'not built' });
  });
});

describe('a server started from the bundle', () => {
  let testDatabase: TestDatabase;
  let server: ServerProcess;
  before(async () => {
    // A no-op when `npm install`, `npm start` or the test runner built it from these very files.
    await ensureServerBundle();
    testDatabase = await createTestDatabase('sqlite');
    server = await startServerProcess({ ...testDatabase.env });
  });
  after(async () => {
    server.child.kill('SIGTERM');
    await server.exited;
    await testDatabase.drop();
  });

  test('runs the bundle, and says so in its start-up line', () => {
    const state = serverBundleState();
    assert.ok(state.fresh && state.inputs > 1_000, `fresh, built from Keyway's and its dependencies' modules: ${JSON.stringify(state)}`);
    assert.equal(commandsModuleSpecifier(), pathToFileURL(SERVER_BUNDLE_FILE).href);
    const serving = server.stdoutLines.map((line) => JSON.parse(line) as Record<string, unknown>).find((entry) => entry.msg === 'keyway is serving');
    assert.equal(serving?.runsFrom, 'bundle');
  });

  test('finds the files it reads beside its code: API reference assets, Swagger UI, hosted pages, its version', async () => {
    const docs = await fetch(`${server.url}/docs/`);
    assert.equal(docs.status, 200);
    const page = await docs.text();
    // Keyway's own stylesheet (src/http/docs-page/, found through serverPackagePath) and Swagger UI's (beside its
    // package's code, found through the __dirname the build gives each bundled CommonJS module).
    for (const asset of ['./static/theme/keyway-docs.css', './static/swagger-ui.css']) {
      assert.ok(page.includes(`"${asset}"`), `the docs page links ${asset}`);
      const response = await fetch(new URL(asset, `${server.url}/docs/`));
      assert.equal(response.status, 200, asset);
      assert.ok((await response.text()).length > 100, `${asset} has its content`);
    }
    const favicon = await fetch(`${server.url}/favicon.svg`);
    assert.equal(favicon.status, 200);
    assert.match(await favicon.text(), /<svg/);
    const home = await fetch(`${server.url}/`, { headers: { accept: 'text/html' } });
    assert.equal(home.status, 200);
    const { version } = JSON.parse(readFileSync(path.resolve(import.meta.dirname, '../../package.json'), 'utf8')) as { version: string };
    assert.ok((await home.text()).includes(version), 'the home page shows the version from package.json');
  });
});

test('a rebuild leaves a day-old chunk of an earlier build to the servers that may still import it, and removes older ones', async () => {
  const dayAndAHalfAgo = new Date(Date.now() - 36 * 60 * 60 * 1000);
  const older = path.join(SERVER_BUNDLE_DIR, 'earlier-chunk-Older0.mjs');
  const recent = path.join(SERVER_BUNDLE_DIR, 'earlier-chunk-Recent.mjs');
  writeFileSync(older, 'export {};\n');
  utimesSync(older, dayAndAHalfAgo, dayAndAHalfAgo);
  writeFileSync(recent, 'export {};\n');
  try {
    const result = await ensureServerBundle({ force: true });
    assert.equal(result.built, true);
    assert.equal(result.reason, 'forced');
    assert.equal(existsSync(older), false, 'a chunk no build has had for over a day is removed');
    assert.equal(existsSync(recent), true, 'a chunk replaced less than a day ago stays');
    assert.deepEqual(serverBundleState(), { fresh: true, inputs: result.modules });
  } finally {
    rmSync(recent, { force: true });
  }
});
