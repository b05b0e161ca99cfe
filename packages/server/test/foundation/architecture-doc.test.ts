// ARCHITECTURE.md is a newcomer's map of the code: these checks fail when the code moves and the map does not, so it
// cannot go stale silently.
import assert from 'node:assert/strict';
import { existsSync, globSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, test } from 'node:test';

const ROOT = resolve(import.meta.dirname, '..', '..', '..', '..');
const SERVER_SRC = 'packages/server/src';
const DOC = readFileSync(join(ROOT, 'ARCHITECTURE.md'), 'utf8');
/** The document without its fenced code blocks: inline code outside them is what names paths. */
const PROSE = DOC.replace(/^```[^\n]*\n[\s\S]*?^```$/gm, '');

/** Every `inline code` span of `text`. */
function inlineCode(text: string): string[] {
  return [...text.matchAll(/`([^`\n]+)`/g)].map((match) => match[1]!);
}

/**
 * Whether an inline code span names a file or directory of the repository: written from the repository root, with a
 * slash (`packages/web/`) or as a dotfile at the root (`.prettierrc.json`). URL paths (`/api/…`), package names
 * (`@keyway/web`), commands (anything with a space) and schemes (`node:sqlite`) are not paths.
 */
function isRepositoryPath(code: string): boolean {
  if (/\s|:|…/.test(code) || code.startsWith('/') || code.startsWith('@')) return false;
  return code.includes('/') || /^\.[\w.-]+\.(json|js|ts|md)$/.test(code);
}

/**
 * Whether a documented path exists. A glob (`e2e/*.ts`, `**` too) must match something; a path with a placeholder
 * (`packages/hosted/src/languages/<code>.ts`) needs the directory above the placeholder.
 */
function exists(path: string): boolean {
  if (path.includes('*')) return globSync(path, { cwd: ROOT }).length > 0;
  const placeholder = path.search(/[<{]/);
  if (placeholder >= 0) return existsSync(join(ROOT, path.slice(0, path.lastIndexOf('/', placeholder))));
  return existsSync(join(ROOT, path));
}

function serverModules(): string[] {
  return readdirSync(join(ROOT, SERVER_SRC), { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort();
}

/** The section of the document under a `## ` heading, up to the next one. */
function section(heading: string): string {
  const start = DOC.indexOf(`\n## ${heading}\n`);
  assert.ok(start >= 0, `ARCHITECTURE.md has a "## ${heading}" section`);
  const end = DOC.indexOf('\n## ', start + 1);
  return DOC.slice(start, end < 0 ? undefined : end);
}

interface Import {
  from: string;
  to: string;
  typeOnly: boolean;
}

/** Relative imports (static, re-exports and dynamic) of the TypeScript files under `dirs`, as repository paths. */
function relativeImports(dirs: string[]): Import[] {
  const imports: Import[] = [];
  for (const file of globSync(
    dirs.flatMap((dir) => [`${dir}/**/*.ts`, `${dir}/**/*.tsx`]),
    { cwd: ROOT },
  )) {
    const text = readFileSync(join(ROOT, file), 'utf8');
    const add = (specifier: string, typeOnly: boolean) => {
      if (specifier.startsWith('.')) imports.push({ from: file, to: relative(ROOT, resolve(ROOT, dirname(file), specifier)), typeOnly });
    };
    for (const match of text.matchAll(/^[ \t]*(?:import|export)\s+(type\s+)?(?:[^;'"]*?\bfrom\s*)?['"]([^'"]+)['"]/gm)) add(match[2]!, match[1] !== undefined);
    for (const match of text.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g)) add(match[1]!, false);
  }
  return imports;
}

/** The layer order of the dependency rule, lowest first, as the document's diagram draws it. */
function documentedLayers(): string[] {
  const diagram = /```\n([\s\S]*?)```/.exec(section('Which way the imports point'))?.[1];
  assert.ok(diagram, 'the dependency section draws the layer order in a code block');
  return diagram
    .split('→')
    .map((part) => part.trim().split(/\s+/)[0]!)
    .filter((name) => name !== '');
}

/** Directories of packages/server/src that belong to the composition (the command line dispatches to every command). */
const COMPOSITION_DIRECTORIES = new Set(['cli']);

/** The server module a file of packages/server/src belongs to; the files at its root, cli/ and http/app.ts compose them. */
function moduleOf(path: string): string {
  const inside = path.slice(SERVER_SRC.length + 1);
  if (!inside.includes('/') || inside === 'http/app.ts' || COMPOSITION_DIRECTORIES.has(inside.split('/')[0]!)) return 'composition';
  return inside.split('/')[0]!;
}

/** Which package sources each package's sources may import (their own always). */
const PACKAGE_IMPORTS: Record<string, string[]> = {
  'packages/web/src': [],
  'packages/hosted/src': ['packages/web/src'],
  'packages/server/src': ['packages/hosted/src', 'packages/web/src'],
  'packages/console/src': ['packages/hosted/src', 'packages/web/src'],
};

/** Every import that breaks the documented rule, as `importer → imported`. */
function violations(layers: string[]): string[] {
  const rank = new Map(layers.map((name, index) => [name, index]));
  const found = new Set<string>();
  for (const { from, to, typeOnly } of relativeImports(Object.keys(PACKAGE_IMPORTS))) {
    const own = Object.keys(PACKAGE_IMPORTS).find((dir) => from.startsWith(`${dir}/`))!;
    const allowed = [own, ...PACKAGE_IMPORTS[own]!];
    if (!allowed.some((dir) => to.startsWith(`${dir}/`))) {
      found.add(`${from} → ${to}`);
      continue;
    }
    if (own !== SERVER_SRC || !to.startsWith(`${SERVER_SRC}/`)) continue;
    const source = moduleOf(from);
    const target = moduleOf(to);
    // Route plugins type their options with the composition's `Services`: erased at run time.
    if (target === 'composition' && typeOnly && to === `${SERVER_SRC}/services.ts`) continue;
    if (rank.get(target)! > rank.get(source)!) found.add(`${from} → ${to}`);
  }
  return [...found].sort();
}

/** The documented exceptions: bullets `- \`importer\` → \`imported\`, \`imported\`: why`. */
function documentedViolations(): string[] {
  const listed: string[] = [];
  for (const line of section('Which way the imports point').split('\n')) {
    if (!line.startsWith('- `') || !line.includes('→')) continue;
    const [importer, imported] = line.split(':')[0]!.split('→') as [string, string];
    for (const to of inlineCode(imported)) listed.push(`${inlineCode(importer)[0]} → ${to}`);
  }
  return listed.sort();
}

describe('ARCHITECTURE.md', () => {
  test('every repository path it names exists', () => {
    const paths = [...new Set(inlineCode(PROSE).filter(isRepositoryPath))];
    assert.ok(paths.length > 50, `the document names the code it describes (found ${paths.length} paths)`);
    assert.deepEqual(
      paths.filter((path) => !exists(path)),
      [],
      'paths in ARCHITECTURE.md that do not exist (write repository paths from the root)',
    );
  });

  test('the path check tells paths from other inline code', () => {
    for (const path of ['packages/web/', 'packages/server/src/http/app.ts', '.prettierrc.json', 'e2e/**/*.test.ts'])
      assert.equal(isRepositoryPath(path), true, path);
    for (const other of ['/api/identity-store', '@keyway/web', 'npm run format', 'node:sqlite', 'config.errors', 'KEYWAY_*', '…/login/webauthn/finish'])
      assert.equal(isRepositoryPath(other), false, other);
    assert.equal(exists('packages/server/src/nowhere.ts'), false);
    assert.equal(exists('packages/hosted/src/languages/<code>.ts'), true);
    assert.equal(exists('packages/nowhere/<code>.ts'), false);
    assert.equal(exists('e2e/**/*.nothing.ts'), false);
  });

  test('it describes every module of the server, and its layer order names each exactly once', () => {
    const described = new Set(inlineCode(section("The server's modules")).map((code) => /^packages\/server\/src\/([^/]+)\/$/.exec(code)?.[1]));
    assert.deepEqual(
      serverModules().filter((name) => !described.has(name)),
      [],
      'modules of packages/server/src missing from the module table',
    );
    const layers = documentedLayers();
    assert.equal(layers.at(-1), 'composition');
    assert.deepEqual(
      [...layers.slice(0, -1)].sort(),
      serverModules().filter((name) => !COMPOSITION_DIRECTORIES.has(name)),
      'the layer order names every module once',
    );
  });

  test('the imports follow its dependency rule, except exactly the exceptions it lists', () => {
    assert.deepEqual(violations(documentedLayers()), documentedViolations());
  });

  test('the import scan finds static, type-only, re-exported and dynamic imports', () => {
    const found = relativeImports([SERVER_SRC]);
    const has = (from: string, to: string, typeOnly: boolean) =>
      found.some((i) => i.from === `${SERVER_SRC}/${from}` && i.to === `${SERVER_SRC}/${to}` && i.typeOnly === typeOnly);
    assert.ok(has('http/app.ts', 'passkeys/ceremony-routes.ts', false));
    assert.ok(has('audit/audit-routes.ts', 'services.ts', true));
    assert.ok(has('passkeys/ceremony-service.ts', 'passkeys/ceremony-deps.ts', true));
    assert.ok(has('cli.ts', 'cli/main.ts', false), 'a dynamic import');
    assert.ok(found.length > 500, `found ${found.length} imports`);
  });
});
