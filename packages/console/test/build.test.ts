// The console's build: one index.html for every tenant (relative asset URLs, resolved against the
// <base href="/{tenantId}/console/"> the server gives the page), each area in its own chunk, and an
// initial load within its budget.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { test } from 'node:test';
import { CONSOLE_DIST, ensureConsoleBuilt, INITIAL_LOAD_BUDGET_BYTES, initialLoadBytes } from '../scripts/console-build.ts';

test('the console builds for every tenant, with code-split areas and an initial load under 250 kB gzipped', async () => {
  const { initialBytes: stamped } = await ensureConsoleBuilt();
  // Measured here from dist/ (an up-to-date check reports the figure kept from the build that made it).
  const initialBytes = initialLoadBytes();
  assert.equal(stamped, initialBytes, 'the build stamp keeps the initial load it measured');
  const html = readFileSync(resolve(CONSOLE_DIST, 'index.html'), 'utf8');
  assert.match(html, /<script type="module" crossorigin src="\.\/assets\/index-[\w-]+\.js"><\/script>/);
  assert.match(html, /<link rel="stylesheet" crossorigin href="\.\/assets\/index-[\w-]+\.css">/);
  assert.doesNotMatch(html, /(?:src|href)="\/|<base/, 'no absolute asset URL and no <base> of its own (the server sets it)');
  assert.doesNotMatch(html, /<script(?![^>]*\bsrc=)[^>]*>/, 'no inline script (the console runs under script-src self)');
  const chunks = readdirSync(resolve(CONSOLE_DIST, 'assets'));
  for (const area of ['UsersArea', 'OverviewArea', 'AuditArea', 'ApiClientsArea', 'PoliciesArea', 'JourneysArea']) {
    assert.ok(
      chunks.some((file) => file.startsWith(`${area}-`)),
      `${area} is its own chunk`,
    );
  }
  assert.ok(initialBytes > 0 && initialBytes <= INITIAL_LOAD_BUDGET_BYTES, `initial load ${initialBytes} bytes gzipped`);
});
