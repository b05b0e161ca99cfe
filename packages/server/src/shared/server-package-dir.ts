import path from 'node:path';

/**
 * packages/server, the server package's directory, for the files Keyway reads at run time: its package.json, the
 * journey templates, the API reference's page assets, the attestation worker, and beside it the hosted pages and the
 * console's dist. It is two levels above this module both where the server runs from its sources (src/shared/) and
 * where it runs from its bundle (dist/server/, see scripts/server-bundle.ts), which is why the bundle lives at that
 * depth: `import.meta` in a bundled module is the bundle's, not the source file's.
 */
export const SERVER_PACKAGE_DIR = path.resolve(import.meta.dirname, '..', '..');

/** A path below packages/server (`serverPackagePath('src', 'journeys', 'templates')`). */
export const serverPackagePath = (...segments: string[]): string => path.join(SERVER_PACKAGE_DIR, ...segments);

/** Whether this process runs the server's bundle (dist/server/*.mjs) rather than its TypeScript sources. */
export const RUNS_FROM_BUNDLE = !import.meta.url.endsWith('.ts');
