// `npm install` (prepare) and `npm start`: builds what a start needs where its sources changed since the last build,
// the console (packages/console/dist) and the server's bundle (packages/server/dist/server); each script says what it
// did. JavaScript, like packages/server/bin/keyway.js, so that Node's compile cache is on before the TypeScript
// below loads: finding both up to date then takes about 0.1 s, not the 0.4 s of two processes that each load
// Node's type stripper.
import { enableKeywayCompileCache } from '../packages/server/bin/compile-cache.js';

enableKeywayCompileCache();
await import('../packages/console/scripts/build.ts');
await import('../packages/server/scripts/build.ts');
