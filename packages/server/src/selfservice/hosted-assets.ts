// The hosted pages' static assets, built once at start-up from the TypeScript sources of
// packages/web (the @keyway/web SDK) and packages/hosted (page scripts, CSS): types stripped by Node
// itself (no bundler), kept in memory with a gzip copy, and served under one content hash
// (`/_keyway/<version>/…`) so browsers may cache them for a year.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { posix, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { transpileModule } from '../../../web/scripts/transpile.ts';
import type { PageName, ShellAssets } from '../../../hosted/src/shells.ts';

/** packages/ — asset keys are paths below it (`web/src/index.js`), so relative imports resolve unchanged. */
const PACKAGES_DIR = resolve(import.meta.dirname, '..', '..', '..');
const STYLESHEET = 'hosted/src/keyway.css';
const SDK_ENTRY = 'web/src/index.ts';
const PAGE_SCRIPTS: Record<PageName, string> = {
  signup: 'hosted/src/signup-page.ts',
  signin: 'hosted/src/signin-page.ts',
  passkeys: 'hosted/src/passkeys-page.ts',
  recover: 'hosted/src/recover-page.ts',
};
const IMPORT_SPECIFIER = /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)(['"])(\.{1,2}\/[^'"\n]+)\1/g;

export interface HostedAsset {
  body: Buffer;
  gzip: Buffer;
  contentType: string;
}

export interface HostedAssets {
  /** Content hash of every asset: part of each URL. */
  version: string;
  /** `/_keyway/<version>` */
  prefix: string;
  /** Keyed by path below `prefix`, e.g. `web/src/index.js`. */
  files: ReadonlyMap<string, HostedAsset>;
  /** The stylesheet, script and module preloads of a page. */
  forPage(page: PageName): ShellAssets;
  /** `<prefix>/web/src/index.js`: the whole @keyway/web SDK as an ES module. */
  sdk: string;
}

/** Reads and transpiles every module the page scripts reach (and nothing else: server-only sources are not served). */
export function buildHostedAssets(): HostedAssets {
  const modules = new Map<string, string>();
  const graph = new Map<string, string[]>();
  const visit = (key: string): void => {
    if (modules.has(key)) return;
    const code = transpileModule(readFileSync(resolve(PACKAGES_DIR, key), 'utf8'));
    const jsKey = key.replace(/\.ts$/, '.js');
    modules.set(key, code);
    const imports: string[] = [];
    graph.set(jsKey, imports);
    for (const match of code.matchAll(IMPORT_SPECIFIER)) {
      const target = posix.normalize(posix.join(posix.dirname(key), match[2]!)).replace(/\.js$/, '.ts');
      if (target.startsWith('..')) throw new Error(`hosted asset ${key} imports ${match[2]} outside packages/`);
      imports.push(target.replace(/\.ts$/, '.js'));
      visit(target);
    }
  };
  for (const entry of Object.values(PAGE_SCRIPTS)) visit(entry);
  // The whole SDK too, so a relying party's own pages can import @keyway/web from Keyway's origin.
  visit(SDK_ENTRY);

  const files = new Map<string, HostedAsset>();
  const add = (key: string, body: Buffer, contentType: string) => files.set(key, { body, gzip: gzipSync(body, { level: 9 }), contentType });
  for (const [key, code] of modules) add(key.replace(/\.ts$/, '.js'), Buffer.from(code), 'text/javascript; charset=utf-8');
  add(STYLESHEET, readFileSync(resolve(PACKAGES_DIR, STYLESHEET)), 'text/css; charset=utf-8');

  const hash = createHash('sha256');
  for (const key of [...files.keys()].sort()) hash.update(key).update('\0').update(files.get(key)!.body).update('\0');
  const version = hash.digest('base64url').slice(0, 16);
  const prefix = `/_keyway/${version}`;

  const closure = (jsKey: string, seen = new Set<string>()): Set<string> => {
    for (const dep of graph.get(jsKey) ?? []) {
      if (!seen.has(dep)) {
        seen.add(dep);
        closure(dep, seen);
      }
    }
    return seen;
  };
  const pages = new Map<PageName, ShellAssets>();
  for (const [page, entry] of Object.entries(PAGE_SCRIPTS) as [PageName, string][]) {
    const jsKey = entry.replace(/\.ts$/, '.js');
    pages.set(page, {
      stylesheet: `${prefix}/${STYLESHEET}`,
      script: `${prefix}/${jsKey}`,
      preload: [...closure(jsKey)].sort().map((key) => `${prefix}/${key}`),
    });
  }
  return { version, prefix, files, forPage: (page) => pages.get(page)!, sdk: `${prefix}/${SDK_ENTRY.replace(/\.ts$/, '.js')}` };
}

/** For the size report: the gzip sizes of what a page downloads. */
export function pageTransferSizes(assets: HostedAssets, page: PageName): { raw: number; gzip: number } {
  const shell = assets.forPage(page);
  const keys = [shell.stylesheet, ...(shell.script ? [shell.script] : []), ...shell.preload].map((url) => url.slice(assets.prefix.length + 1));
  let raw = 0;
  let gzip = 0;
  for (const key of new Set(keys)) {
    const file = assets.files.get(key)!;
    raw += file.body.length;
    gzip += file.gzip.length;
  }
  return { raw, gzip };
}
