// The console's build: one index.html for every tenant (assets relative to the <base> the server fills
// in), each area in its own chunk, and an initial load within its budget.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { test } from 'node:test';
import { CONSOLE_DIST, ensureConsoleBuilt, INITIAL_LOAD_BUDGET_BYTES } from '../scripts/console-build.ts';

test('the console builds with relative assets, code-split areas and an initial load under 250 kB gzipped', async () => {
  const { initialBytes } = await ensureConsoleBuilt();
  const html = readFileSync(resolve(CONSOLE_DIST, 'index.html'), 'utf8');
  assert.equal(html.match(/<base href="\/__KEYWAY_CONSOLE_BASE__\/" \/>/g)?.length, 1, 'one <base> for the server to fill in');
  assert.match(html, /<script type="module" crossorigin src="\.\/assets\/index-[\w-]+\.js"><\/script>/);
  assert.doesNotMatch(html, /<script(?![^>]*\bsrc=)[^>]*>/, 'no inline script (the console runs under script-src self)');
  const chunks = readdirSync(resolve(CONSOLE_DIST, 'assets'));
  for (const area of ['UsersArea', 'OverviewArea', 'AuditArea', 'ApiClientsArea', 'PoliciesArea', 'JourneysArea']) {
    assert.ok(
      chunks.some((file) => file.startsWith(`${area}-`)),
      `${area} is its own chunk`,
    );
  }
  assert.ok(initialBytes <= INITIAL_LOAD_BUDGET_BYTES, `initial load ${initialBytes} bytes gzipped`);
});
