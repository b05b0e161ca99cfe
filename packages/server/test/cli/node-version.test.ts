// `keyway` started by a Node older than 24 (a shell's system Node rather than the Node 24 that `npx keyway` and
// `npm start` use) explains itself with exit 78 instead of failing to parse the TypeScript.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { test } from 'node:test';

const BIN = path.resolve(import.meta.dirname, '../../bin/keyway.js');

/** Runs the bin shim with process.versions.node reading `version`. */
function runAs(version: string) {
  const pretend = `data:text/javascript,Object.defineProperty(process.versions,"node",{value:${JSON.stringify(version)}})`;
  return spawnSync(process.execPath, ['--import', pretend, BIN, '--version'], { encoding: 'utf8' });
}

test('an older Node gets a clear message and exit 78; Node 24 runs the command', () => {
  const old = runAs('20.11.0');
  assert.equal(old.status, 78);
  assert.match(old.stderr, /^keyway: needs Node\.js 24 or later, this is v20\.11\.0; run it as `npx keyway`/);
  assert.equal(old.stdout, '');
  const current = runAs(process.versions.node);
  assert.equal(current.status, 0, current.stderr);
  assert.match(current.stdout, /^keyway \d+\.\d+\.\d+/);
});
