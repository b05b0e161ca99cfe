// The `keyway` command. Node's compile cache (V8 code for every module, TypeScript types already
// stripped) is turned on before the commands and their dependencies load: a start then reads
// compiled code instead of parsing about 1,500 modules again. It lives in node_modules/.cache (owned
// by whoever installed Keyway, unlike a shared temporary directory) unless NODE_COMPILE_CACHE names
// another; where it cannot be written, Keyway runs without it.
import { enableCompileCache } from 'node:module';
import path from 'node:path';

enableCompileCache(process.env.NODE_COMPILE_CACHE || path.resolve(import.meta.dirname, '../../../node_modules/.cache/keyway-compile-cache'));
await import('./commands.ts');
