// The hosted journey runner's static assets, built as the hosted pages' are (selfservice/hosted-assets.ts):
// the TypeScript sources of packages/hosted and the @keyway/web modules the runner imports, types
// stripped by Node at start-up, kept in memory with a gzip copy, under one content hash
// (`/_keyway/journey-runner/<version>/…`), cacheable for a year.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { posix, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { transpileModule } from '../../../web/scripts/transpile.ts';
import type { RunnerAssets } from '../../../hosted/src/journey-runner-shell.ts';
import type { HostedAsset } from '../selfservice/hosted-assets.ts';

const PACKAGES_DIR = resolve(import.meta.dirname, '..', '..', '..');
const ENTRY = 'hosted/src/journey-runner.ts';
const STYLESHEETS = ['hosted/src/keyway.css', 'hosted/src/journey-runner.css'];
const IMPORT_SPECIFIER = /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)(['"])(\.{1,2}\/[^'"\n]+)\1/g;

export interface JourneyRunnerAssets {
  version: string;
  /** `/_keyway/journey-runner/<version>` */
  prefix: string;
  /** Keyed by path below `prefix`, e.g. `web/src/journey.js`. */
  files: ReadonlyMap<string, HostedAsset>;
  page: RunnerAssets;
}

/** Every module the runner script reaches (and nothing else), and the two stylesheets. */
export function buildRunnerAssets(): JourneyRunnerAssets {
  const modules = new Map<string, string>();
  const visit = (key: string): void => {
    if (modules.has(key)) return;
    const code = transpileModule(readFileSync(resolve(PACKAGES_DIR, key), 'utf8'));
    modules.set(key, code);
    for (const match of code.matchAll(IMPORT_SPECIFIER)) {
      const target = posix.normalize(posix.join(posix.dirname(key), match[2]!)).replace(/\.js$/, '.ts');
      if (target.startsWith('..')) throw new Error(`runner asset ${key} imports ${match[2]} outside packages/`);
      visit(target);
    }
  };
  visit(ENTRY);

  const files = new Map<string, HostedAsset>();
  const add = (key: string, body: Buffer, contentType: string) => files.set(key, { body, gzip: gzipSync(body, { level: 9 }), contentType });
  for (const [key, code] of modules) add(key.replace(/\.ts$/, '.js'), Buffer.from(code), 'text/javascript; charset=utf-8');
  for (const sheet of STYLESHEETS) add(sheet, readFileSync(resolve(PACKAGES_DIR, sheet)), 'text/css; charset=utf-8');

  const hash = createHash('sha256');
  for (const key of [...files.keys()].sort()) hash.update(key).update('\0').update(files.get(key)!.body).update('\0');
  const version = hash.digest('base64url').slice(0, 16);
  const prefix = `/_keyway/journey-runner/${version}`;
  const script = ENTRY.replace(/\.ts$/, '.js');
  return {
    version,
    prefix,
    files,
    page: {
      stylesheets: STYLESHEETS.map((sheet) => `${prefix}/${sheet}`),
      script: `${prefix}/${script}`,
      preload: [...modules.keys()].map((key) => key.replace(/\.ts$/, '.js')).filter((key) => key !== script).sort().map((key) => `${prefix}/${key}`),
    },
  };
}
