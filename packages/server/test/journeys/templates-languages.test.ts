// Every text a journey template's forms show exists in every language the hosted runner speaks, so a French or
// Spanish runner never falls back to English labels in the templates Keyway installs.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { LANGUAGES } from '../../../hosted/src/messages.ts';

const TEMPLATES = path.resolve(import.meta.dirname, '../../src/journeys/templates');

/** Every `values` object of localized text (keyed by language) in a template, with its JSON pointer. */
function localizedTexts(node: unknown, pointer: string, found: { pointer: string; languages: string[] }[]): void {
  if (Array.isArray(node)) node.forEach((item, index) => localizedTexts(item, `${pointer}/${index}`, found));
  else if (node !== null && typeof node === 'object') {
    const record = node as Record<string, unknown>;
    const values = record.values;
    if (values !== null && typeof values === 'object' && !Array.isArray(values) && 'en' in values)
      found.push({ pointer: `${pointer}/values`, languages: Object.keys(values).sort() });
    for (const [key, value] of Object.entries(record)) localizedTexts(value, `${pointer}/${key}`, found);
  }
}

test('every localized text of the journey templates is in every hosted language', () => {
  const files = readdirSync(TEMPLATES).filter((file) => file.endsWith('.json'));
  assert.ok(files.length >= 4, 'the templates are found');
  let texts = 0;
  for (const file of files) {
    const found: { pointer: string; languages: string[] }[] = [];
    localizedTexts(JSON.parse(readFileSync(path.join(TEMPLATES, file), 'utf8')), '', found);
    texts += found.length;
    for (const { pointer, languages } of found) assert.deepEqual(languages, [...LANGUAGES].sort(), `${file}${pointer}`);
  }
  assert.ok(texts > 20, `${texts} localized texts checked`);
});
