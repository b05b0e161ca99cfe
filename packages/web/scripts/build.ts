// Builds dist/ for publishing @keyway/web: ESM JavaScript by type stripping (scripts/transpile.ts) and
// declaration files by tsc. Not needed to run Keyway: the server transpiles the same sources at start.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { rewriteSpecifiers, transpileModule } from './transpile.ts';

const root = resolve(import.meta.dirname, '..');
const src = resolve(root, 'src');
const dist = resolve(root, 'dist');

rmSync(dist, { recursive: true, force: true });
mkdirSync(dist, { recursive: true });
for (const file of readdirSync(src).filter((name) => name.endsWith('.ts'))) {
  writeFileSync(resolve(dist, file.replace(/\.ts$/, '.js')), transpileModule(readFileSync(resolve(src, file), 'utf8')));
}
const tsc = resolve(root, '..', '..', 'node_modules', 'typescript', 'bin', 'tsc');
execFileSync(
  process.execPath,
  [
    tsc,
    '--declaration',
    '--emitDeclarationOnly',
    '--outDir',
    dist,
    '--rootDir',
    src,
    '--target',
    'es2024',
    '--module',
    'nodenext',
    '--moduleResolution',
    'nodenext',
    '--lib',
    'es2024,DOM,DOM.Iterable',
    '--strict',
    '--skipLibCheck',
    '--allowImportingTsExtensions',
    '--rewriteRelativeImportExtensions',
    '--verbatimModuleSyntax',
    ...readdirSync(src)
      .filter((name) => name.endsWith('.ts'))
      .map((name) => resolve(src, name)),
  ],
  { stdio: 'inherit' },
);
for (const file of readdirSync(dist).filter((name) => name.endsWith('.d.ts'))) {
  writeFileSync(resolve(dist, file), rewriteSpecifiers(readFileSync(resolve(dist, file), 'utf8')));
}
process.stdout.write(`built ${dist}\n`);
