// What the hosted self-service pages (hosted-assets.ts) and the hosted journey runner
// (journeys/runner-assets.ts) both serve: TypeScript sources of packages/web and packages/hosted, types
// stripped by Node itself on first use (no bundler), kept in memory with a gzip copy, and named by one
// content hash (`<base>/<version>/…`) so browsers may cache them for a year.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { posix, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { Type } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { KeywayError } from '../errors/keyway-error.ts';
import { serverPackagePath } from '../shared/server-package-dir.ts';
import { transpileModule } from '../../../web/scripts/transpile.ts';

/** packages/ — asset keys are paths below it (`web/src/index.js`), so relative imports resolve unchanged. */
const PACKAGES_DIR = serverPackagePath('..');
const IMPORT_SPECIFIER = /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)(['"])(\.{1,2}\/[^'"\n]+)\1/g;

export interface HostedAsset {
  body: Buffer;
  gzip: Buffer;
  contentType: string;
}

export interface HostedAssetBundle {
  /** Content hash of every asset: part of each URL. */
  version: string;
  /** `<base>/<version>` */
  prefix: string;
  /** Keyed by path below `prefix`, e.g. `web/src/index.js`. */
  files: ReadonlyMap<string, HostedAsset>;
}

export interface BuiltHostedAssetBundle extends HostedAssetBundle {
  /** Every served module `jsKey` imports, directly or not (not itself): what its page should modulepreload. */
  dependencies(jsKey: string): Set<string>;
}

/** `hosted/src/x.ts` → `hosted/src/x.js`: the key a source is served under. */
export function jsAssetKey(source: string): string {
  return source.replace(/\.ts$/, '.js');
}

/**
 * Reads and transpiles the entries and every module they reach (and nothing else: server-only sources
 * are not served), plus the stylesheets as they are.
 */
export function buildHostedAssetBundle(options: { base: string; entries: readonly string[]; stylesheets: readonly string[] }): BuiltHostedAssetBundle {
  const modules = new Map<string, string>();
  const graph = new Map<string, string[]>();
  const visit = (key: string): void => {
    if (modules.has(key)) return;
    const code = transpileModule(readFileSync(resolve(PACKAGES_DIR, key), 'utf8'));
    modules.set(key, code);
    const imports: string[] = [];
    graph.set(jsAssetKey(key), imports);
    for (const match of code.matchAll(IMPORT_SPECIFIER)) {
      const target = posix.normalize(posix.join(posix.dirname(key), match[2]!)).replace(/\.js$/, '.ts');
      if (target.startsWith('..')) throw new Error(`hosted asset ${key} imports ${match[2]} outside packages/`);
      imports.push(jsAssetKey(target));
      visit(target);
    }
  };
  for (const entry of options.entries) visit(entry);

  const files = new Map<string, HostedAsset>();
  const add = (key: string, body: Buffer, contentType: string) => files.set(key, { body, gzip: gzipSync(body, { level: 9 }), contentType });
  for (const [key, code] of modules) add(jsAssetKey(key), Buffer.from(code), 'text/javascript; charset=utf-8');
  for (const sheet of options.stylesheets) add(sheet, readFileSync(resolve(PACKAGES_DIR, sheet)), 'text/css; charset=utf-8');

  const hash = createHash('sha256');
  for (const key of [...files.keys()].sort()) hash.update(key).update('\0').update(files.get(key)!.body).update('\0');
  const version = hash.digest('base64url').slice(0, 16);

  const dependencies = (jsKey: string): Set<string> => {
    const seen = new Set<string>();
    const walk = (key: string): void => {
      for (const dep of graph.get(key) ?? []) {
        if (dep !== jsKey && !seen.has(dep)) {
          seen.add(dep);
          walk(dep);
        }
      }
    };
    walk(jsKey);
    return seen;
  };
  return { version, prefix: `${options.base}/${version}`, files, dependencies };
}

/**
 * `GET <base>/:version/*`: a file of the bundle, immutable (a new content gets a new URL), gzip when the
 * browser accepts it. Another version or key is a 404: nothing outside the bundle is reachable. `bundle` is
 * called per request (it builds the bundle on first use).
 */
export function serveHostedAssetBundle(fastify: FastifyInstance, base: string, bundle: () => HostedAssetBundle): void {
  fastify
    .withTypeProvider<TypeBoxTypeProvider>()
    .get(
      `${base}/:version/*`,
      { schema: { hide: true, params: Type.Object({ version: Type.String({ maxLength: 64 }), '*': Type.String({ maxLength: 256 }) }) } },
      async (request, reply) => {
        const assets = bundle();
        const file = request.params.version === assets.version ? assets.files.get(request.params['*']) : undefined;
        if (!file) throw new KeywayError('ROUTE_NOT_FOUND', `No asset ${request.url.split('?')[0]}`);
        reply
          .header('content-type', file.contentType)
          .header('cache-control', 'public, max-age=31536000, immutable')
          .header('x-content-type-options', 'nosniff')
          .header('vary', 'Accept-Encoding');
        // Public, credential-free code: a relying party's page on another origin may import the SDK
        // (module scripts are fetched in CORS mode, Fetch §3.2).
        reply.header('access-control-allow-origin', '*').header('cross-origin-resource-policy', 'cross-origin');
        if (/\bgzip\b/.test(request.headers['accept-encoding'] ?? '')) return reply.header('content-encoding', 'gzip').send(file.gzip);
        return reply.send(file.body);
      },
    );
}
