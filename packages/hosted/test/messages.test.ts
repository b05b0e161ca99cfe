// Every language has every text: the hosted pages, the journey runner, the shared frame and the journey
// forms' built-in messages, with the same placeholders as English; and the theme's default colours are
// keyway.css's own.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { BUILT_IN } from '../../web/src/journey-forms.ts';
import { builtInMessage } from '../../server/src/journeys/forms/form-localization.ts';
import { RUNNER_MESSAGES } from '../src/journey-runner-messages.ts';
import { LANGUAGES, MESSAGES, SHARED_MESSAGES } from '../src/messages.ts';
import { CSS_PROPERTY, DEFAULT_PALETTES, type PaletteRole } from '../src/theme.ts';

const placeholders = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

function assertComplete(name: string, catalogues: Record<string, Record<string, string>>, languages: readonly string[]): void {
  const english = catalogues.en!;
  for (const lang of languages) {
    const catalogue = catalogues[lang];
    assert.ok(catalogue, `${name}: no ${lang} catalogue`);
    assert.deepEqual(Object.keys(catalogue).sort(), Object.keys(english).sort(), `${name} (${lang}): exactly English's keys`);
    for (const [key, text] of Object.entries(catalogue)) {
      assert.ok(text.trim() !== '', `${name} (${lang}) ${key}: empty`);
      assert.deepEqual(placeholders(text), placeholders(english[key]!), `${name} (${lang}) ${key}: the same placeholders as English`);
    }
  }
}

test('the languages offered are English, German, French and Spanish', () => {
  assert.deepEqual([...LANGUAGES], ['en', 'de', 'fr', 'es']);
});

test('every language has every hosted-page, runner and frame text, with the same placeholders', () => {
  assertComplete('pages', MESSAGES, LANGUAGES);
  assertComplete('runner', RUNNER_MESSAGES, LANGUAGES);
  assertComplete('frame', SHARED_MESSAGES, LANGUAGES);
  assertComplete('journey forms', BUILT_IN, LANGUAGES);
});

test('each language is named in itself, and no language reuses another’s text wholesale', () => {
  assert.deepEqual(
    LANGUAGES.map((lang) => SHARED_MESSAGES[lang]['lang.name']),
    ['English', 'Deutsch', 'Français', 'Español'],
  );
  for (const lang of LANGUAGES.filter((l) => l !== 'en')) {
    const same = Object.entries(MESSAGES[lang]).filter(([key, text]) => text === MESSAGES.en[key as keyof typeof MESSAGES.en] && text.length > 12);
    assert.deepEqual(
      same.map(([key]) => key),
      [],
      `${lang}: left in English`,
    );
  }
});

test('the journey forms’ built-in messages follow the request’s language, regional variants included', () => {
  assert.equal(builtInMessage('missing', 'fr-CA', { label: 'Courriel' }), 'Courriel est obligatoire.');
  assert.equal(builtInMessage('missing', 'es-MX,es;q=0.9', { label: 'Correo' }), 'Correo es obligatorio.');
  assert.equal(builtInMessage('continue', 'es'), 'Continuar');
  assert.equal(builtInMessage('missing', 'it', { label: 'Email' }), 'Email is required.', 'a language Keyway does not ship: English');
});

test('the theme’s default palettes are keyway.css’s own custom properties', () => {
  const css = readFileSync(new URL('../src/keyway.css', import.meta.url), 'utf8');
  const [light, dark] = [css.slice(css.indexOf(':root {'), css.indexOf('}')), css.slice(css.indexOf('@media (prefers-color-scheme: dark)'))];
  const value = (block: string, property: string) => new RegExp(`${property}:\\s*(#[0-9a-f]{6});`).exec(block!)?.[1];
  const properties = CSS_PROPERTY;
  for (const [role, property] of Object.entries(properties)) {
    assert.equal(DEFAULT_PALETTES.light[role as PaletteRole], value(light, property), `light ${role}`);
    assert.equal(DEFAULT_PALETTES.dark[role as PaletteRole], value(dark, property), `dark ${role}`);
  }
});
