// The console's texts: German has every English key (the type checker asks too), no text is empty,
// placeholders match between the languages, and the names outside tests rely on stay as they are.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { de } from '../src/i18n/de.ts';
import { en } from '../src/i18n/en.ts';

const placeholders = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

describe('console catalogues', () => {
  test('German has exactly the English keys, none empty, with the same placeholders', () => {
    assert.deepEqual(Object.keys(de).sort(), Object.keys(en).sort());
    for (const [key, text] of Object.entries(en)) {
      const german = de[key as keyof typeof en];
      assert.ok(text.trim() && german.trim(), `${key} is empty`);
      assert.deepEqual(placeholders(german), placeholders(text), `${key}: placeholders differ`);
    }
  });

  test('the accessible names other tests find the console by', () => {
    assert.deepEqual(
      [
        en['nav.overview'],
        en['nav.users'],
        en['nav.relyingParties'],
        en['nav.policies'],
        en['nav.journeys'],
        en['nav.forms'],
        en['nav.pages'],
        en['nav.apiClients'],
        en['nav.audit'],
      ],
      ['Overview', 'Users', 'Relying parties', 'Policies', 'Journeys', 'Forms', 'Pages', 'API clients', 'Audit log'],
    );
    assert.equal(en['users.search'], 'Search users');
    assert.equal(en['users.add'], 'Add user');
    assert.deepEqual(
      [en['user.userKey'], en['user.externalId'], en['user.email'], en['user.firstName'], en['user.lastName'], en['common.save']],
      ['User key', 'External ID', 'Email', 'First name', 'Last name', 'Save'],
    );
  });
});
