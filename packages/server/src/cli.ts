// The `keyway` command. Node's compile cache (V8 code for every module, TypeScript types already
// stripped) is turned on before the commands and their dependencies load: a start then reads
// compiled code instead of parsing about 1,500 modules again. It lives in node_modules/.cache (owned
// by whoever installed Keyway, unlike a shared temporary directory) unless NODE_COMPILE_CACHE names
// another; where it cannot be written, Keyway runs without it. bin/keyway.js turns it on before
// this file loads, so that this file is cached too.
import { enableCompileCache, getCompileCacheDir } from 'node:module';
import path from 'node:path';

if (getCompileCacheDir() === undefined) {
  enableCompileCache(process.env.NODE_COMPILE_CACHE || path.resolve(import.meta.dirname, '../../../node_modules/.cache/keyway-compile-cache'));
}
const { main } = await import('./cli/main.ts');
const code = await main(process.argv.slice(2));
if (code !== undefined) process.exitCode = code;
