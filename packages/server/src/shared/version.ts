import { readFileSync } from 'node:fs';
import path from 'node:path';

/** Keyway's version: the server package's, read when asked (the CLI prints it without loading anything else). */
export function keywayVersion(): string {
  const manifest = JSON.parse(readFileSync(path.resolve(import.meta.dirname, '../../package.json'), 'utf8')) as { version: string };
  return manifest.version;
}
