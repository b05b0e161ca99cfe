#!/usr/bin/env -S node --disable-warning=ExperimentalWarning
// The CLI is TypeScript run by Node 24's type stripping; this shim lets npm link it as a bin. It
// turns on the compile cache first (see src/cli.ts), so that even `--help` reads cached code
// instead of loading the TypeScript stripper.
import { enableCompileCache } from 'node:module';
import path from 'node:path';

enableCompileCache(process.env.NODE_COMPILE_CACHE || path.resolve(import.meta.dirname, '../../../node_modules/.cache/keyway-compile-cache'));
await import('../src/cli.ts');
