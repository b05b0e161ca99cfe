#!/usr/bin/env -S node --disable-warning=ExperimentalWarning --max-semi-space-size=16
// --max-semi-space-size=16 caps V8's young generation at two 16 MB semi-spaces (Node 24's V8 grows it to two 64 MB
// ones under load: about 110 MB resident during a sign-up run against about 32 MB capped). 16 MB is the cap V8 had for
// years on 64-bit. It costs no CPU that shows: `npm run bench -- --api` (fixed work) took 23.0 s of CPU capped, 23.1 s
// uncapped; scavenges are more, each smaller (their cost is the live objects they copy, not the space), while 8 MB
// made their total 1.7 times as long. `npm start` passes the same flags; run the server as `npx keyway serve`, `npm start`
// or with them (README, Performance).
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
const { enableKeywayCompileCache } = await import('./compile-cache.js');
enableKeywayCompileCache();
await import('../src/cli.ts');
