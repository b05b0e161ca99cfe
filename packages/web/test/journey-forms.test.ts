// The journey client checks forms in the browser with exactly the server's rules and messages: the
// same presented form, the same values, the same locale → the same errors as the server's
// validateSubmission (which decides). Compared over a matrix rather than restated by hand.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { FormDocument } from '../../server/src/journeys/forms/form-format.ts';
import { presentForm } from '../../server/src/journeys/forms/form-presentation.ts';
import { validateSubmission } from '../../server/src/journeys/forms/form-submission.ts';
import { validateJourneyForm, type JourneyForm } from '../src/journey-forms.ts';

const text = (values: Record<string, string>) => ({ values });

const FORM: FormDocument = {
  title: { values: { en: 'Details', de: 'Angaben' }, type: 'title' },
  components: [
    { type: 'text', id: 'userName', label: text({ en: 'User Name' }), index: 0, validate: { required: true, minLength: '', maxLength: '' } },
    { type: 'text', id: 'nickname', label: text({ en: 'Nickname', de: 'Spitzname' }), index: 1, validate: { required: false, minLength: 3, maxLength: '8' } },
    { type: 'text', id: 'code', label: text({ en: 'Code' }), index: 2, validate: { minLength: '4' } },
    { type: 'text', id: 'short', label: text({ en: 'Short' }), index: 3, validate: { maxLength: 5 } },
    { type: 'email', id: 'email', label: text({ en: 'E-mail' }), index: 4, validate: { required: true } },
    { type: 'text', id: 'fixed', label: text({ en: 'Fixed' }), index: 5, readOnly: true, default: 'kept' },
    { type: 'paragraph', id: 'note', label: text({ en: '' }), values: { en: 'Hello' }, index: 6 },
  ],
  continueButton: { type: 'continueButton', values: { en: 'Continue' } },
};

const VALUES: Record<string, unknown>[] = [
  {},
  { userName: '   ', email: 'not-an-address' },
  { userName: 'bob', nickname: 'ab', code: '123', short: 'toolong', email: 'bob@example.com' },
  { userName: 'bob', nickname: 'abcdefghi', code: '1234', short: 'ok', email: ' bob@example.com ' },
  { userName: 'bob', nickname: ' abc ', code: '', short: '', email: 'bob@example' },
  { userName: 42, email: 'x@y.z', fixed: 'changed' },
  { userName: '😀😀', nickname: '😀', email: 'a@b.c' },
];

for (const locale of ['en', 'de-DE', 'fr']) {
  test(`browser check = server check, errors and messages (${locale})`, () => {
    const presented = presentForm(FORM, { name: 'details', version: 1, locale }) as JourneyForm;
    for (const values of VALUES) {
      const server = validateSubmission(FORM, values, locale).errors;
      assert.deepEqual(validateJourneyForm(presented, values), server, JSON.stringify(values));
    }
  });
}

test('a form with its own messages: used when the server sends them with the field', () => {
  const own: FormDocument = {
    ...FORM,
    components: [{ type: 'text', id: 'userName', label: text({ en: 'User Name' }), index: 0, validate: { required: true, missingMessage: text({ en: 'Tell us your {label}' }) } }],
  };
  const presented = presentForm(own, { name: 'own', version: 1, locale: 'en' }) as JourneyForm;
  const input = presented.components[0] as JourneyForm['components'][number] & { messages?: Record<string, string> };
  // The presentation does not carry a form's own messages yet: the browser falls back to Keyway's built-in text.
  input.messages = { missing: 'Tell us your {label}' };
  assert.deepEqual(validateJourneyForm(presented, {}), validateSubmission(own, {}, 'en').errors);
});
