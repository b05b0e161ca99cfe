// The server's Node flags (bin/keyway.js' first line, which `npx keyway serve` runs it with; the young-generation
// cap there keeps it within its memory budget under load) are the ones `npm start` gives it too.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';

const ROOT = path.resolve(import.meta.dirname, '../../../..');
const BIN = 'packages/server/bin/keyway.js';

test('npm start runs bin/keyway.js with the Node flags of its #! line, the young-generation cap among them', () => {
  const shebang = readFileSync(path.join(ROOT, BIN), 'utf8').split('\n', 1)[0]!;
  const fromShebang = /^#!\/usr\/bin\/env -S node (.+)$/.exec(shebang)?.[1]?.split(' ');
  assert.ok(fromShebang, `bin/keyway.js starts with #!/usr/bin/env -S node and its flags: ${shebang}`);
  assert.ok(fromShebang.includes('--max-semi-space-size=16'), 'the young generation is capped');

  const { scripts } = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
  const serve = scripts.start!.split(' && ').find((command) => command.includes(BIN));
  assert.ok(serve, `npm start runs ${BIN}: ${scripts.start}`);
  assert.deepEqual(serve.split(' '), ['node', ...fromShebang, BIN, 'serve']);
});
