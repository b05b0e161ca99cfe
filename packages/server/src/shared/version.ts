import { readFileSync } from 'node:fs';
import { serverPackagePath } from './server-package-dir.ts';

/** Keyway's version: the server package's, read when asked (the CLI prints it without loading anything else). */
export function keywayVersion(): string {
  const manifest = JSON.parse(readFileSync(serverPackagePath('package.json'), 'utf8')) as { version: string };
  return manifest.version;
}
