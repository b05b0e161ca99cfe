// Builds the console into dist/ when its sources changed since the last build (a hash of them is kept
// in dist/.source-hash), so `npm install` and `npm start` pay for Vite only when there is something
// new. `--force` always builds. Fails when the initial load (index.html's script, styles and
// preloaded chunks) is over its budget of 250 kB gzipped.
import { createHash } from 'node:crypto';
import { existsSync, globSync, readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { gzipSync } from 'node:zlib';

const root = resolve(import.meta.dirname, '..');
const dist = resolve(root, 'dist');
const stampFile = resolve(dist, '.source-hash');
const BUDGET_BYTES = 250 * 1024;

/** Everything the bundle is made from: the console's sources and config, and the SDK files it imports. */
function sourceHash(): string {
  const files = [
    ...globSync(['src/**/*', 'index.html', 'vite.config.ts', 'package.json'], { cwd: root }).map((f) => resolve(root, f)),
    ...globSync(['../web/src/*.ts'], { cwd: root }).map((f) => resolve(root, f)),
  ].sort();
  const hash = createHash('sha256');
  for (const file of files) {
    try {
      hash.update(file).update(readFileSync(file));
    } catch {
      // A directory matched by the glob.
    }
  }
  return hash.digest('hex');
}

/** The gzipped size of what index.html loads before any area is opened. */
export function initialLoadBytes(): number {
  const html = readFileSync(resolve(dist, 'index.html'), 'utf8');
  const assets = [...html.matchAll(/(?:src|href)="\.\/(assets\/[^"]+)"/g)].map((m) => m[1]!);
  return assets.reduce((total, asset) => total + gzipSync(readFileSync(resolve(dist, asset))).length, 0);
}

const force = process.argv.includes('--force');
const hash = sourceHash();
if (!force && existsSync(stampFile) && readFileSync(stampFile, 'utf8') === hash) {
  process.stdout.write('console: dist/ is up to date\n');
} else {
  const started = Date.now();
  const { build } = await import('vite');
  await build({ root, configFile: resolve(root, 'vite.config.ts'), logLevel: 'warn' });
  const bytes = initialLoadBytes();
  process.stdout.write(`console: built dist/ in ${Date.now() - started} ms, initial load ${(bytes / 1024).toFixed(1)} kB gzipped\n`);
  if (bytes > BUDGET_BYTES) {
    process.stderr.write(`console: the initial load is over its budget of ${BUDGET_BYTES / 1024} kB gzipped; split a chunk off\n`);
    process.exit(1);
  }
  writeFileSync(stampFile, hash);
}
