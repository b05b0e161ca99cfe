// `npm install` (prepare) and `npm start`: builds what a start needs where its sources changed since the last build,
// the console (packages/console/dist) and the server's bundle (packages/server/dist/server); each script says what it
// did. JavaScript, like packages/server/bin/keyway.js, so that Node's compile cache is on before the TypeScript
// below loads: finding both up to date then takes about 0.1 s, not the 0.4 s of two processes that each load
// Node's type stripper.
import { enableCompileCache } from 'node:module';
import path from 'node:path';

enableCompileCache(process.env.NODE_COMPILE_CACHE || path.resolve(import.meta.dirname, '../node_modules/.cache/keyway-compile-cache'));
await import('../packages/console/scripts/build.ts');
await import('../packages/server/scripts/build.ts');
