// The Add User form's mapping to the API: what create sends, and that an edit sends only what changed
// (a cleared optional field as null, so the API clears it rather than ignoring it).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createRequest, EMPTY_USER_FORM, formFromUser, updateRequest, type User } from '../src/areas/users/user-form.ts';

const user: User = {
  id: 'u1',
  userKey: 'ada@example.com',
  externalId: 'ext-1',
  email: 'ada@example.com',
  firstName: 'Ada',
  lastName: 'Lovelace',
  dateOfBirth: '1815-12-10',
  locale: { language: 'en', country: 'GB' },
  nationalities: ['GB', 'IE'],
  status: 'active',
  timezone: 'Europe/London',
  attributes: { team: 'engines', level: '3' },
  createdAt: '2026-01-01T00:00:00Z',
  updatedAt: '2026-01-01T00:00:00Z',
};

describe('user form', () => {
  test('create sends every filled field in the API shape and leaves out the empty ones', () => {
    const request = createRequest({
      ...EMPTY_USER_FORM,
      userKey: 'bob',
      email: ' bob@example.com ',
      language: 'de',
      nationalities: 'DE, at',
      attributes: 'a=1\n\nb = two = 2',
    });
    assert.deepEqual(request, {
      userKey: 'bob',
      email: 'bob@example.com',
      locale: { language: 'de' },
      nationalities: ['DE', 'at'],
      status: 'active',
      attributes: { a: '1', b: 'two = 2' },
    });
  });

  test('a user read back into the form and saved unchanged sends nothing', () => {
    const form = formFromUser(user);
    assert.equal(form.nationalities, 'GB, IE');
    assert.equal(form.attributes, 'team=engines\nlevel=3');
    assert.deepEqual(updateRequest(form, form), {});
  });

  test('an edit sends only the changed fields, a cleared one as null', () => {
    const before = formFromUser(user);
    const after = { ...before, firstName: 'Augusta', email: '', country: '', status: 'locked' as const };
    assert.deepEqual(updateRequest(before, after), { firstName: 'Augusta', email: null, locale: { language: 'en' }, status: 'locked' });
  });

  test('clearing the whole locale sends null', () => {
    const before = formFromUser(user);
    assert.deepEqual(updateRequest(before, { ...before, language: '', country: '' }), { locale: null });
  });
});
