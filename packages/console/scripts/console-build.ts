// Building the console into dist/ only when its sources changed since the last build: a hash of them, and the
// build's initial load size (measured once, when built: gzipping it again took ~17 ms of every `npm start`), are
// kept in dist/.source-hash. Used by `npm install` (prepare), `npm start` and the browser tests.
import { createHash } from 'node:crypto';
import { globSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { gzipSync } from 'node:zlib';

export const CONSOLE_ROOT = resolve(import.meta.dirname, '..');
export const CONSOLE_DIST = resolve(CONSOLE_ROOT, 'dist');
const STAMP = resolve(CONSOLE_DIST, '.source-hash');
/** The initial load (index.html's script, styles and preloaded chunks), gzipped. */
export const INITIAL_LOAD_BUDGET_BYTES = 250 * 1024;

/** Everything the bundle is made from: the console's sources and config, and the SDK files it imports. */
function sourceHash(): string {
  const files = [
    ...globSync(['src/**/*', 'index.html', 'vite.config.ts', 'package.json'], { cwd: CONSOLE_ROOT }),
    ...globSync(['../web/src/*.ts'], { cwd: CONSOLE_ROOT }),
  ]
    .map((file) => resolve(CONSOLE_ROOT, file))
    .filter((file) => statSync(file).isFile())
    .sort();
  const hash = createHash('sha256');
  for (const file of files) hash.update(file).update(readFileSync(file));
  return hash.digest('hex');
}

/** The gzipped size of what index.html loads before any area is opened. */
export function initialLoadBytes(): number {
  const html = readFileSync(resolve(CONSOLE_DIST, 'index.html'), 'utf8');
  const assets = [...html.matchAll(/(?:src|href)="\.\/(assets\/[^"]+)"/g)].map((m) => m[1]!);
  return assets.reduce((total, asset) => total + gzipSync(readFileSync(resolve(CONSOLE_DIST, asset))).length, 0);
}

interface Stamp {
  sourceHash: string;
  initialBytes: number;
}

/** The last build's stamp; undefined when there is none or it is unreadable (an older format): then dist/ is rebuilt. */
function readStamp(): Stamp | undefined {
  try {
    const stamp = JSON.parse(readFileSync(STAMP, 'utf8')) as Partial<Stamp>;
    return typeof stamp.sourceHash === 'string' && Number.isSafeInteger(stamp.initialBytes) ? (stamp as Stamp) : undefined;
  } catch {
    return undefined;
  }
}

/** Builds dist/ unless it is up to date (or always, with force); says what it did. */
export async function ensureConsoleBuilt(options: { force?: boolean } = {}): Promise<{ built: boolean; ms: number; initialBytes: number }> {
  const started = Date.now();
  const hash = sourceHash();
  const stamp = options.force ? undefined : readStamp();
  if (stamp?.sourceHash === hash) return { built: false, ms: Date.now() - started, initialBytes: stamp.initialBytes };
  const { build } = await import('vite');
  await build({ root: CONSOLE_ROOT, configFile: resolve(CONSOLE_ROOT, 'vite.config.ts'), logLevel: 'warn' });
  const initialBytes = initialLoadBytes();
  writeFileSync(STAMP, JSON.stringify({ sourceHash: hash, initialBytes } satisfies Stamp));
  return { built: true, ms: Date.now() - started, initialBytes };
}
