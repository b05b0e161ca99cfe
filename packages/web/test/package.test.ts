// @keyway/web as a package: zero runtime dependencies, an exports map whose targets the build
// produces (ESM + declarations, `.js` specifiers), and the same public API as the source.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { test } from 'node:test';

const root = resolve(import.meta.dirname, '..');
const manifest = JSON.parse(readFileSync(resolve(root, 'package.json'), 'utf8'));

test('zero runtime dependencies, ESM, an exports map with types', () => {
  assert.equal(manifest.name, '@keyway/web');
  assert.equal(manifest.type, 'module');
  assert.equal(manifest.dependencies, undefined);
  assert.equal(manifest.peerDependencies, undefined);
  assert.deepEqual(Object.keys(manifest.exports['.']), ['types', 'default'], 'types first, as TypeScript requires');
});

test('the build produces what the exports map names, and the same API as the source', async () => {
  execFileSync(process.execPath, ['--disable-warning=ExperimentalWarning', resolve(root, 'scripts', 'build.ts')], { stdio: 'pipe' });
  const dist = resolve(root, 'dist');
  for (const target of Object.values(manifest.exports['.']) as string[]) assert.ok(existsSync(resolve(root, target)), `${target} exists`);
  for (const source of readdirSync(resolve(root, 'src')).filter((f) => f.endsWith('.ts'))) {
    for (const built of [source.replace(/\.ts$/, '.js'), source.replace(/\.ts$/, '.d.ts')]) {
      const text = readFileSync(resolve(dist, built), 'utf8');
      assert.doesNotMatch(text, /from\s+['"]\.{1,2}\/[^'"]+\.ts['"]/, `${built} imports .js files`);
    }
  }
  const built = await import(pathToFileURL(resolve(root, manifest.exports['.'].default)).href);
  const source = await import('../src/index.ts');
  assert.deepEqual(Object.keys(built).sort(), Object.keys(source).sort());
  assert.equal(typeof built.Keyway, 'function');
  assert.equal(built.KeywayServerError.code, 'ERR_SERVER');
});
