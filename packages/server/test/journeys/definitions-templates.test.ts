import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { FormDocument } from '../../src/journeys/forms/form-format.ts';
import { presentForm } from '../../src/journeys/forms/form-presentation.ts';
import { loadTemplates } from '../../src/journeys/templates.ts';
import { COMMAND_LINE } from '../../src/journeys/user-acts.ts';
import { DATABASE_KINDS } from '../support/databases.ts';
import { startTestServer, type TenantFixture, type TestServer } from '../support/test-server.ts';
import { definition, endReject, endSuccess, setUpTenant } from './engine-fixture.ts';

for (const kind of DATABASE_KINDS) {
  describe(`journey template installation on ${kind}`, () => {
    let server: TestServer;
    let admin: TenantFixture;
    before(async () => {
      server = await startTestServer({ kind });
      ({ admin } = await setUpTenant(server));
    });
    after(() => server.close());

    test('installing a definition creates and publishes it, is idempotent, and publishes a new version only on change', async () => {
      const journeys = server.services.journeyDefinitions;
      const actor = { tenantId: 'acme', actor: 'cli' };
      const first = definition([endSuccess()]);
      assert.deepEqual(await journeys.installDefinition(actor, 'tpl', 'Template', first as never, COMMAND_LINE), {
        journeyId: 'tpl',
        version: 1,
        status: 'created',
      });
      assert.deepEqual(await journeys.installDefinition(actor, 'tpl', 'Template', first as never, COMMAND_LINE), {
        journeyId: 'tpl',
        version: 1,
        status: 'unchanged',
      });
      assert.deepEqual(await journeys.installDefinition(actor, 'tpl', 'Template', definition([endReject()]) as never, COMMAND_LINE), {
        journeyId: 'tpl',
        version: 2,
        status: 'updated',
      });
      await assert.rejects(journeys.installDefinition(actor, 'tpl2', 'Bad', definition([{ id: 'x', type: 'nope' }]) as never, COMMAND_LINE), {
        code: 'JOURNEY_DEFINITION_INVALID',
      });
      assert.equal((await admin.api.get('/api/journeys/tpl2')).status, 404, 'nothing written for an invalid template');
    });

    test('the install endpoint refuses a missing setting, store or template before writing anything', async () => {
      const journeysBefore = (await admin.api.get('/api/journeys')).body.items.length;
      const noPolicy = await admin.api.post('/api/journeys/templates/install', { store: 'customers' });
      assert.equal(noPolicy.status, 400);
      assert.equal(noPolicy.body.code, 'VALIDATION_FAILED');
      assert.equal(noPolicy.body.errors[0].field, 'registrationPolicy');
      assert.match(noPolicy.body.errors[0].message, /has none/);
      assert.equal((await admin.api.get('/api/journeys')).body.items.length, journeysBefore);
      assert.deepEqual((await admin.api.get('/api/custom-forms')).body.items, [], 'no form was created either');
      const noStore = await admin.api.post('/api/journeys/templates/install', { store: 'missing' });
      assert.equal(noStore.status, 404);
      assert.equal(noStore.body.code, 'STORE_NOT_FOUND');
      const unknown = await admin.api.post('/api/journeys/templates/install', { store: 'customers', templates: ['no-such-template'] });
      assert.equal(unknown.status, 404);
      assert.equal(unknown.body.code, 'JOURNEY_NOT_FOUND');
      assert.equal(loadTemplates().length, 4);
    });
  });
}

/** Every `{values: {tag: text}}` in a form body, with its path. */
function localizedTexts(node: unknown, path: string, found: { path: string; values: Record<string, string> }[] = []): typeof found {
  if (Array.isArray(node)) node.forEach((item, index) => localizedTexts(item, `${path}.${index}`, found));
  else if (typeof node === 'object' && node !== null) {
    for (const [key, value] of Object.entries(node)) {
      if (key === 'values' && typeof value === 'object' && value !== null && Object.values(value).every((v) => typeof v === 'string'))
        found.push({ path: `${path}.values`, values: value as Record<string, string> });
      else localizedTexts(value, `${path}.${key}`, found);
    }
  }
  return found;
}

describe('journey templates in German', () => {
  test('every localized text of the templates’ forms has German wherever it has English', () => {
    const texts = loadTemplates().flatMap((template) => template.forms.flatMap((form) => localizedTexts(form.body, `${template.journeyId}/${form.name}`)));
    assert.ok(texts.length > 20, 'the forms were walked');
    for (const { path, values } of texts) {
      assert.ok(Object.hasOwn(values, 'de'), `${path} has no German`);
      assert.equal(values.de === '', values.en === '', `${path}: German is set exactly where English is`);
      if (values.en !== '') assert.notEqual(values.de, values.en, `${path}: German differs from English`);
    }
  });

  test('the forms present in German, and a form two templates share is the same in both (the installer keeps the first)', () => {
    const byName = new Map<string, unknown>();
    for (const template of loadTemplates()) {
      for (const form of template.forms) {
        if (byName.has(form.name)) assert.deepEqual(form.body, byName.get(form.name), `${form.name} differs between templates`);
        byName.set(form.name, form.body);
      }
    }
    const present = (name: string) => presentForm(byName.get(name) as FormDocument, { name, version: 1, locale: 'de-DE' });
    const registration = present('keyway-registration-details');
    assert.equal(registration.title, 'Konto anlegen');
    assert.deepEqual(
      registration.components.map((c) => ('label' in c ? c.label : '')),
      ['Benutzername', 'Anzeigename'],
    );
    assert.deepEqual((registration.components[0] as { messages: unknown }).messages, {
      missing: 'Benutzername ist erforderlich.',
      invalidLength: 'Benutzername darf höchstens 10000 Zeichen lang sein.',
      invalid: 'Benutzername ist ungültig.',
    });
    assert.deepEqual(registration.button, { type: 'continue', label: 'Weiter' });
    assert.equal(present('keyway-sign-in').title, 'Anmelden');
    assert.equal(present('keyway-passkey-registration').title, 'Passkey erstellen');
    assert.equal(present('keyway-passkey-authentication').title, 'Bestätigen Sie, dass Sie es sind');
    const retry = present('keyway-cancelled-retry');
    assert.equal(retry.title, 'Passkey-Anfrage abgebrochen');
    assert.deepEqual(retry.components, [
      { type: 'paragraph', id: 'paragraph', label: '', text: 'Sie haben die Passkey-Anfrage abgebrochen. Versuchen Sie es erneut, wenn Sie bereit sind.' },
    ]);
    assert.deepEqual(retry.button, { type: 'continue', label: 'Erneut versuchen' });
  });
});
