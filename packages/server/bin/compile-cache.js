// Turns on Node's compile cache (V8 code for every module, TypeScript types already stripped) for a Keyway process,
// before any of its TypeScript loads: bin/keyway.js and scripts/build-for-start.js call it first. It lives in
// node_modules/.cache (owned by whoever installed Keyway, unlike a shared temporary directory) unless
// NODE_COMPILE_CACHE names another; where it cannot be written, Node runs without it (src/cli.ts says more).
import { enableCompileCache } from 'node:module';
import path from 'node:path';

export function enableKeywayCompileCache() {
  enableCompileCache(process.env.NODE_COMPILE_CACHE || path.resolve(import.meta.dirname, '../../../node_modules/.cache/keyway-compile-cache'));
}
