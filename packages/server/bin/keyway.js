#!/usr/bin/env -S node --disable-warning=ExperimentalWarning
// The CLI is TypeScript run by Node 24's type stripping; this shim lets npm link it as a bin.
import '../src/cli.ts';
