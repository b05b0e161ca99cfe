#!/usr/bin/env -S node --disable-warning=ExperimentalWarning
// The CLI is TypeScript run by Node 24's type stripping; this shim lets npm link it as a bin. It
// turns on the compile cache first (see src/cli.ts), so that even `--help` reads cached code
// instead of loading the TypeScript stripper. Started by an older Node (the shell's own, rather
// than the Node 24 that `npx keyway` and `npm start` use), it says so instead of failing to parse.
const major = Number(process.versions.node.split('.')[0]);
if (major < 24) {
  console.error(
    `keyway: needs Node.js 24 or later, this is v${process.versions.node}; run it as \`npx keyway\` (or \`npm start\`) in the repository, which use the Node 24 installed with it`,
  );
  process.exit(78);
}
const { enableCompileCache } = await import('node:module');
const path = await import('node:path');

enableCompileCache(process.env.NODE_COMPILE_CACHE || path.resolve(import.meta.dirname, '../../../node_modules/.cache/keyway-compile-cache'));
await import('../src/cli.ts');
