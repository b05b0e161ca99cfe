// The Node flags Keyway's server runs with: those on bin/keyway.js' first line, which `npx keyway serve` starts it
// with (and `npm start` repeats). The benches start the server with the same ones, read from there, so that they
// measure it as it is deployed and the flags are written in one place.
import { readFileSync } from 'node:fs';
import path from 'node:path';

export const KEYWAY_BIN = path.resolve(import.meta.dirname, '../../packages/server/bin/keyway.js');

/** The flags after `node` on bin/keyway.js' `#!/usr/bin/env -S node …` line. */
export function serverNodeFlags(): string[] {
  const shebang = readFileSync(KEYWAY_BIN, 'utf8').split('\n', 1)[0]!;
  const match = /^#!\/usr\/bin\/env -S node((?: --[^\s]+)*)$/.exec(shebang);
  if (!match) throw new Error(`unexpected first line of ${KEYWAY_BIN}: ${shebang}`);
  return match[1]!.trim().split(' ').filter(Boolean);
}
