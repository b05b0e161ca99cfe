// Bundles the server's commands (src/commands.ts, and with it everything `keyway serve` runs) into
// dist/server/commands.mjs with Rolldown: one module to load at start instead of about 1,450 (see
// src/cli/server-bundle.ts for when a start uses it). Used by `npm install` (prepare), `npm start`, `npm run
// build:server` and the test runner, which all build only when an input changed since the last build.
import { mkdirSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Plugin } from 'rolldown';
import { SERVER_BUNDLE_DIR, SERVER_BUNDLE_FILE, SERVER_BUNDLE_MANIFEST, serverBundleState, type ServerBundleManifest } from '../src/cli/server-bundle.ts';
import { serverPackagePath } from '../src/shared/server-package-dir.ts';

/**
 * CommonJS modules that find files beside themselves by `__dirname` (@fastify/swagger-ui its static assets, pino its
 * transports' workers, @fastify/swagger its package.json) would, bundled, look in dist/server/ instead. Each such
 * module gets its own `__dirname` and `__filename` back: its directory relative to the bundle's, resolved against the
 * bundle's location when it runs, so a moved checkout keeps working.
 */
const ownDirname: Plugin = {
  name: 'keyway:own-dirname',
  transform: {
    filter: { code: /\b__(?:dirname|filename)\b/ },
    handler(code, id) {
      // Only where the module does not declare them itself (an ES module computing its own from import.meta).
      if (!path.isAbsolute(id) || !/\.c?js$/.test(id) || /\b(?:const|let|var)\s+__(?:dirname|filename)\b/.test(code)) return null;
      const relativeFile = JSON.stringify(path.relative(SERVER_BUNDLE_DIR, id));
      const prologue = `var __keywayPath = require('node:path'), __filename = __keywayPath.join(import.meta.dirname, ${relativeFile}), __dirname = __keywayPath.dirname(__filename);`;
      return { code: `${prologue}${code}`, map: null };
    },
  },
};

/**
 * Warnings that are known and harmless: depd (a dependency of oidc-provider's Koa) builds its deprecation wrappers
 * with a direct `eval`, which Rolldown keeps working by leaving that module's names alone.
 */
const isKnownWarning = (log: { code?: string; id?: string }) => log.code === 'EVAL' && log.id?.includes('/depd/') === true;

export interface BundleResult {
  built: boolean;
  ms: number;
  bytes: number;
  modules: number;
  /** why it was (re)built, when it was */
  reason?: string;
}

/** Builds dist/server unless the bundle there is fresh (or always, with force); says what it did. */
export async function ensureServerBundle(options: { force?: boolean } = {}): Promise<BundleResult> {
  const started = performance.now();
  const state = serverBundleState();
  if (state.fresh && !options.force) {
    return { built: false, ms: Math.round(performance.now() - started), bytes: statSync(SERVER_BUNDLE_FILE).size, modules: state.inputs };
  }
  const { rolldown } = await import('rolldown');
  // A second's margin for the file system's coarse clock: an input whose status changed since then may have been read
  // before or after its change.
  const readFrom = Date.now() - 1_000;
  const warnings: string[] = [];
  const bundle = await rolldown({
    input: serverPackagePath('src', 'commands.ts'),
    platform: 'node',
    plugins: [ownDirname],
    onLog: (level, log) => {
      if (level === 'warn' && !isKnownWarning(log)) warnings.push(log.message);
    },
  });
  try {
    const { output } = await bundle.generate({
      format: 'esm',
      sourcemap: true,
      entryFileNames: 'commands.mjs',
      // What loads on first use (SimpleWebAuthn, oidc-provider, nodemailer, pg…) stays in chunks of its own, read when
      // first imported as before; their names carry a hash of their content, so a rebuild never rewrites a chunk
      // that a running server may still import.
      chunkFileNames: '[name]-[hash].mjs',
      // One-byte text: a module's source stays in memory, and one non-ASCII character anywhere (a German word, a
      // typographic quote in a comment) makes V8 keep all of it as two bytes per character.
      charset: 'ascii',
      comments: false,
    });
    if (warnings.length > 0) throw new Error(`bundling the server warned:\n${warnings.join('\n')}`);
    const chunks = output.filter((file) => file.type === 'chunk');
    // Each input's status-change time and size. One that changed while the build ran may be in the bundle with its
    // older text: it is recorded as changed (time 0), so starts use the sources until the next build.
    const inputs: ServerBundleManifest['inputs'] = {};
    for (const id of [...new Set(chunks.flatMap((chunk) => chunk.moduleIds))].filter((id) => path.isAbsolute(id)).sort()) {
      const stats = statSync(id);
      inputs[path.relative(SERVER_BUNDLE_DIR, id)] = [stats.ctimeMs >= readFrom ? 0 : stats.ctimeMs, stats.size];
    }
    mkdirSync(SERVER_BUNDLE_DIR, { recursive: true });
    // Each file is written beside its place and renamed over it: the chunks first, then the entry that imports them,
    // the manifest last. A start meanwhile finds the previous entry (whose chunks are all still there) or the new one
    // with all of its chunks, and a manifest that matches what it loads or reads as stale.
    const entry = chunks.find((chunk) => chunk.isEntry)!;
    const files = [...chunks.filter((chunk) => chunk !== entry), entry].flatMap((chunk) => [
      // (Rolldown's runtime and the chunks that only re-export another have no source map.)
      ...(chunk.map ? [{ name: `${chunk.fileName}.map`, text: chunk.map.toString() }] : []),
      { name: chunk.fileName, text: chunk.code },
    ]);
    for (const file of files) writeAtomically(path.join(SERVER_BUNDLE_DIR, file.name), file.text);
    writeAtomically(SERVER_BUNDLE_MANIFEST, JSON.stringify({ format: 1, inputs } satisfies ServerBundleManifest));
    removeOldFiles(new Set(files.map((file) => file.name)));
    return {
      built: true,
      ms: Math.round(performance.now() - started),
      bytes: Buffer.byteLength(entry.code),
      modules: Object.keys(inputs).length,
      reason: state.fresh ? 'forced' : state.reason,
    };
  } finally {
    await bundle.close();
  }
}

/**
 * Chunks of earlier builds that this one no longer has, once a day old: a server started before the rebuild may still
 * import one of them on first use (its first OIDC request, say), so they outlive the build that replaced them.
 */
const OLD_FILE_AGE_MS = 24 * 60 * 60 * 1000;

function removeOldFiles(current: Set<string>): void {
  for (const name of readdirSync(SERVER_BUNDLE_DIR)) {
    if (current.has(name) || name === path.basename(SERVER_BUNDLE_MANIFEST)) continue;
    const file = path.join(SERVER_BUNDLE_DIR, name);
    if (Date.now() - statSync(file).mtimeMs > OLD_FILE_AGE_MS) rmSync(file, { force: true });
  }
}

function writeAtomically(file: string, text: string): void {
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, text);
  renameSync(temporary, file);
}
