// Where `keyway` loads its commands (and with them the server) from. The sources are about 1,450 modules (Keyway's
// own and its dependencies'); resolving, reading and linking each costs a start about half a second. `npm install`
// and `npm start` therefore bundle them into one module, dist/server/commands.mjs (scripts/server-bundle.ts), and a
// start loads that bundle when it was built from exactly the files there are now. Otherwise (a source edited since,
// a dependency updated, never built) it loads the sources, which behave the same and only start slower.
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { serverPackagePath } from '../shared/server-package-dir.ts';

export const SERVER_BUNDLE_DIR = serverPackagePath('dist', 'server');
const ENTRY = 'commands.mjs';
const MANIFEST = 'manifest.json';
export const SERVER_BUNDLE_FILE = path.join(SERVER_BUNDLE_DIR, ENTRY);
export const SERVER_BUNDLE_MANIFEST = path.join(SERVER_BUNDLE_DIR, MANIFEST);

/**
 * What the bundle was built from: every file it contains (paths relative to the bundle's directory, so a moved
 * checkout keeps its bundle) with the status-change time and size each had then. The status-change time (ctime), not
 * the modification time: every write of a file moves it and no tool sets it back (npm, tar and `cp -p` set mtimes).
 */
export interface ServerBundleManifest {
  format: 1;
  inputs: Record<string, [ctimeMs: number, size: number]>;
}

/** Fresh with the number of files it was built from, or stale and why. */
export type ServerBundleState = { fresh: true; inputs: number } | { fresh: false; reason: string };

/**
 * Whether the bundle in `dir` may run: its manifest is there and every input still has the status-change time and
 * size it was built with (some 1,800 stat calls, 10–30 ms, against the 400 ms the bundle saves).
 */
export function serverBundleState(dir = SERVER_BUNDLE_DIR): ServerBundleState {
  let manifest: ServerBundleManifest;
  try {
    manifest = JSON.parse(readFileSync(path.join(dir, MANIFEST), 'utf8')) as ServerBundleManifest;
    statSync(path.join(dir, ENTRY));
  } catch {
    return { fresh: false, reason: 'not built' };
  }
  if (manifest.format !== 1 || typeof manifest.inputs !== 'object' || manifest.inputs === null) return { fresh: false, reason: 'built by another version' };
  const inputs = Object.entries(manifest.inputs);
  for (const [file, [ctimeMs, size]] of inputs) {
    const stats = statSync(path.join(dir, file), { throwIfNoEntry: false });
    if (stats === undefined) return { fresh: false, reason: `${file} is gone` };
    if (stats.ctimeMs !== ctimeMs || stats.size !== size) return { fresh: false, reason: `${file} changed` };
  }
  return { fresh: true, inputs: inputs.length };
}

/** The specifier to import the commands from: the bundle when it is fresh, else the sources (relative to cli/). */
export function commandsModuleSpecifier(): string {
  return serverBundleState().fresh ? pathToFileURL(SERVER_BUNDLE_FILE).href : '../commands.ts';
}
