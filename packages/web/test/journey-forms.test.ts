// The journey client checks forms in the browser with exactly the server's rules and messages: the
// same presented form, the same values, the same locale → the same errors as the server's
// validateSubmission (which decides). Compared over a matrix rather than restated by hand.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkFormDocument, type FormDocument } from '../../server/src/journeys/forms/form-format.ts';
import { presentForm } from '../../server/src/journeys/forms/form-presentation.ts';
import { validateSubmission } from '../../server/src/journeys/forms/form-submission.ts';
import { ELEMENTS_FORM, ELEMENTS_VALID } from '../../server/test/journeys/forms-fixtures.ts';
import { isFormInput, validateJourneyForm, type JourneyForm, type JourneyFormInput } from '../src/journey-forms.ts';

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

// With its messages stripped (a presentation from a server that does not send them), the browser's
// built-in wording still matches the server's for a form without its own messages.
for (const locale of ['en', 'de-DE', 'fr']) {
  test(`without messages: the built-in fallback = server (${locale})`, () => {
    const presented = presentForm(FORM, { name: 'details', version: 1, locale }) as JourneyForm;
    for (const component of presented.components) if (isFormInput(component)) delete component.messages;
    for (const values of VALUES)
      assert.deepEqual(validateJourneyForm(presented, values), validateSubmission(FORM, values, locale).errors, JSON.stringify(values));
  });
}

// A form with its own messages: in English and German, one only in French, one only in English, a
// message using {max} without a maxLength (the server leaves it as written), a label holding a
// placeholder, and an explicit maxLength equal to the server's cap next to a minLength.
const OWN: FormDocument = {
  title: { values: { en: 'Account', de: 'Konto' }, type: 'title' },
  components: [
    {
      type: 'text',
      id: 'userName',
      label: text({ en: 'User Name', de: 'Benutzername' }),
      index: 0,
      validate: {
        required: true,
        minLength: 3,
        maxLength: '8',
        missingMessage: text({ en: 'Tell us your {label}.', de: 'Bitte {label} angeben.' }),
        invalidLengthMessage: text({ en: '{label}: {min} to {max} characters, please.', de: '' }),
        invalidMessage: text({ fr: '{label} : valeur refusée.' }),
      },
    },
    {
      type: 'email',
      id: 'email',
      label: text({ en: 'E-mail', de: 'E-Mail', fr: 'Courriel' }),
      index: 1,
      validate: {
        required: true,
        missingMessage: text({ fr: 'Le {label} est obligatoire.' }),
        invalidMessage: text({ en: 'Not an address: {label}.', 'de-AT': 'Keine Adresse: {label}.' }),
      },
    },
    {
      type: 'text',
      id: 'note',
      label: text({ en: 'Note {min}' }),
      index: 2,
      validate: { invalidLengthMessage: text({ en: '{label} is longer than {max}.' }) },
    },
    { type: 'text', id: 'code', label: text({ en: 'Code', de: 'Kennung' }), index: 3, validate: { minLength: '2', maxLength: 10_000 } },
    { type: 'text', id: 'plain', label: text({ en: 'Plain' }), index: 4, validate: { minLength: 2, maxLength: '' } },
  ],
  submitButton: { type: 'submitButton', values: { en: 'Save', de: 'Speichern' } },
};

const OWN_VALUES: Record<string, unknown>[] = [
  {},
  { userName: 'ab', email: 'nope', note: 'x'.repeat(10_001), code: 'x', plain: 'y' },
  { userName: 'abcdefghij', email: 'a@b.c', note: 'ok', code: 'x'.repeat(10_001) },
  { userName: 7, email: 'a@b.c', code: 'ok', plain: 'ok' },
  { userName: 'alice', email: 'alice@example.com', note: '', code: '', plain: '' },
];

for (const locale of ['en', 'de-DE', 'de-AT', 'fr', 'fr-CA', 'es']) {
  test(`a form's own messages: browser check = server check (${locale})`, () => {
    const presented = presentForm(OWN, { name: 'own', version: 1, locale }) as JourneyForm;
    for (const values of OWN_VALUES)
      assert.deepEqual(validateJourneyForm(presented, values), validateSubmission(OWN, values, locale).errors, JSON.stringify(values));
  });
}

const messagesOf = (locale: string) =>
  Object.fromEntries(
    presentForm(OWN, { name: 'own', version: 1, locale })
      .components.filter(isFormInput)
      .map((input) => [input.id, (input as JourneyFormInput).messages]),
  );

test("the presented form carries each field's messages: the form's own in the language, else Keyway's (en, de, fr, es), else the form's in any language", () => {
  assert.deepEqual(checkFormDocument(OWN), [], 'a form an admin can save');
  const en = messagesOf('en');
  assert.deepEqual(en.userName, {
    missing: 'Tell us your User Name.',
    invalidLength: 'User Name: 3 to 8 characters, please.',
    invalid: 'User Name is not valid.',
  });
  assert.deepEqual(en.email, {
    missing: 'E-mail is required.',
    invalidLength: 'E-mail must be at most 10000 characters long.',
    invalid: 'Not an address: E-mail.',
  });
  assert.equal(en.note!.invalidLength, 'Note {min} is longer than {max}.', 'no maxLength: {max} stays as written, and a label is not filled again');
  assert.equal(en.code!.invalidLength, 'Code must be 2 to 10000 characters long.', 'an explicit maxLength equal to the cap still reads "between"');
  assert.equal(en.plain!.invalidLength, 'Plain must be at least 2 characters long.');

  const de = messagesOf('de-DE');
  assert.deepEqual(de.userName, {
    missing: 'Bitte Benutzername angeben.',
    invalidLength: 'Benutzername muss 3 bis 8 Zeichen lang sein.',
    invalid: 'Benutzername ist ungültig.',
  });
  assert.equal(de.email!.invalid, 'Keine Adresse: E-Mail.', 'a regional text (de-AT) serves de-DE');
  assert.equal(de.email!.missing, 'E-Mail ist erforderlich.', 'German has built-ins: the French own text is not used');
  assert.equal(de.code!.invalidLength, 'Kennung muss 2 bis 10000 Zeichen lang sein.');

  const fr = messagesOf('fr-CA');
  assert.deepEqual(
    fr.userName,
    { missing: 'User Name est obligatoire.', invalidLength: 'User Name doit comporter entre 3 et 8 caractères.', invalid: 'User Name : valeur refusée.' },
    "French has built-ins: the form's own French text, else Keyway's French",
  );
  assert.equal(fr.email!.missing, 'Le Courriel est obligatoire.');
  assert.equal(fr.email!.invalid, 'Courriel doit être une adresse e-mail comme nom@example.com.', 'the English own text is not used');
  assert.equal(fr.code!.invalidLength, 'Code doit comporter entre 2 et 10000 caractères.');

  const it = messagesOf('it-CH');
  assert.deepEqual(it.userName, {
    missing: 'Tell us your User Name.',
    invalidLength: 'User Name: 3 to 8 characters, please.',
    invalid: 'User Name : valeur refusée.',
  });
  assert.equal(it.email!.invalid, 'Not an address: E-mail.', "no built-ins in Italian: the form's own text in another language");
  assert.equal(it.code!.invalidLength, 'Code must be 2 to 10000 characters long.', "then Keyway's English");
});

test('the browser shows the sent messages before submitting: the same text the server answers after', () => {
  const presented = presentForm(OWN, { name: 'own', version: 1, locale: 'de' }) as JourneyForm;
  const browser = validateJourneyForm(presented, { email: 'x', code: 'x' });
  assert.deepEqual(browser, [
    { field: 'userName', code: 'missing', message: 'Bitte Benutzername angeben.' },
    { field: 'email', code: 'invalid', message: 'Keine Adresse: E-Mail.' },
    { field: 'code', code: 'invalidLength', message: 'Kennung muss 2 bis 10000 Zeichen lang sein.' },
  ]);
  assert.deepEqual(browser, validateSubmission(OWN, { email: 'x', code: 'x' }, 'de').errors);
});

// The element types beyond text and e-mail: every way each can be refused, in the same matrix.
const ELEMENTS = ELEMENTS_FORM as unknown as FormDocument;
const ELEMENT_VALUES: Record<string, unknown>[] = [
  {},
  ELEMENTS_VALID,
  { ...ELEMENTS_VALID, country: 'XX', plan: 'gold', terms: 'yes', newsletter: 'maybe' },
  { ...ELEMENTS_VALID, country: '', plan: '', terms: 'false', birthday: '' },
  { ...ELEMENTS_VALID, birthday: '2011-01-01', start: '2025-12-31', seats: '0', budget: '1000.5' },
  { ...ELEMENTS_VALID, birthday: '1899-12-31', seats: '51', budget: '1e3' },
  { ...ELEMENTS_VALID, birthday: '2001-02-29', start: '17.05.2026', seats: 'twelve', budget: '1,5' },
  { ...ELEMENTS_VALID, mobile: '030 1234567', postcode: '1011' },
  { ...ELEMENTS_VALID, mobile: '+0 30 1234567', postcode: '10115a' },
  { ...ELEMENTS_VALID, mobile: '+4930123456789012', seats: 'Infinity', budget: '.5' },
  { ...ELEMENTS_VALID, country: 7, plan: ['pro'], terms: true, birthday: null },
  { ...ELEMENTS_VALID, terms: ' true ', seats: ' 50 ', start: '2026-01-01', birthday: '2010-12-31' },
];

for (const locale of ['en', 'de-DE', 'fr', 'es']) {
  test(`the newer element types: browser check = server check, errors and messages (${locale})`, () => {
    assert.deepEqual(checkFormDocument(ELEMENTS), [], 'a form an admin can save');
    const presented = presentForm(ELEMENTS, { name: 'elements', version: 1, locale }) as JourneyForm;
    for (const values of ELEMENT_VALUES) {
      const server = validateSubmission(ELEMENTS, values, locale).errors;
      assert.deepEqual(validateJourneyForm(presented, values), server, JSON.stringify(values));
    }
    // And with the messages stripped, Keyway's built-in wording is the server's where the form sets none.
    for (const component of presented.components) if (isFormInput(component)) delete component.messages;
    for (const values of ELEMENT_VALUES) {
      const server = validateSubmission(ELEMENTS, values, locale).errors.filter((e) => !['plan', 'seats', 'postcode'].includes(e.field));
      const browser = validateJourneyForm(presented, values).filter((e) => !['plan', 'seats', 'postcode'].includes(e.field));
      assert.deepEqual(browser, server, JSON.stringify(values));
    }
  });
}

test('each refusal of the newer types has its code and message (en and de)', () => {
  const invalid = {
    ...ELEMENTS_VALID,
    country: 'XX',
    plan: '',
    terms: 'false',
    birthday: '2011-01-01',
    start: '2026-02-30',
    mobile: '12345',
    seats: '0',
    budget: 'x',
    postcode: 'abc',
  };
  assert.deepEqual(validateSubmission(ELEMENTS, invalid, 'en').errors, [
    { field: 'country', code: 'invalid', message: 'Country: choose one of the options.' },
    { field: 'plan', code: 'missing', message: 'Pick a Plan.' },
    { field: 'terms', code: 'missing', message: 'I accept the terms is required.' },
    { field: 'birthday', code: 'outOfRange', message: 'Birthday must be from 1900-01-01 to 2010-12-31.' },
    { field: 'start', code: 'invalid', message: 'Start must be a date.' },
    { field: 'mobile', code: 'invalid', message: 'Mobile must be a phone number in international format, such as +49 30 1234567.' },
    { field: 'seats', code: 'outOfRange', message: 'Seats: 1–50.' },
    { field: 'budget', code: 'invalid', message: 'Budget must be a number.' },
    { field: 'postcode', code: 'invalid', message: 'Postcode: five digits.' },
  ]);
  assert.deepEqual(
    validateSubmission(ELEMENTS, { ...ELEMENTS_VALID, start: '2025-01-01', budget: '1001', seats: '99' }, 'de').errors,
    [
      { field: 'start', code: 'outOfRange', message: 'Beginn darf nicht vor dem 2026-01-01 liegen.' },
      { field: 'seats', code: 'outOfRange', message: 'Plätze muss zwischen 1 und 50 liegen.' },
      { field: 'budget', code: 'outOfRange', message: 'Budget darf höchstens 1000 sein.' },
    ],
    'a German user with an English-only own message gets Keyway’s German',
  );
  const accepted = validateSubmission(ELEMENTS, ELEMENTS_VALID, 'en');
  assert.deepEqual(accepted.errors, []);
  assert.equal(accepted.values.mobile, '+49301234567', 'a phone number is kept in its compact E.164 form');
  assert.equal(accepted.values.newsletter, 'false');
  assert.equal(accepted.values.start, '');
});

// Text patterns: matched in linear time by both checks, so the ReDoS report's patterns answer at once, and a pattern
// stored before the linear-time rules (a lookahead) refuses every value in the browser as on the server.
const PATTERNS: FormDocument = {
  title: { values: { en: 'Codes' }, type: 'title' },
  components: [
    ['alternation', '(a|a)*b'],
    ['adjacent', '\\d*\\d*\\d*!'],
    ['letters', '[\\p{L}--[a-z]]+'],
    ['stored', '(?=.*[0-9]).{8,}'],
  ].map(([id, pattern], index) => ({ type: 'text' as const, id: id!, label: text({ en: id!, de: id! }), index, validate: { pattern: pattern! } })),
};
const PATTERN_VALUES: Record<string, unknown>[] = [
  {},
  { alternation: 'a'.repeat(10_000), adjacent: '1'.repeat(10_000), letters: 'Ωmega', stored: 'password1' },
  { alternation: `${'a'.repeat(9_999)}b`, adjacent: `${'1'.repeat(9_999)}!`, letters: 'ΩÉ', stored: '' },
];

test('text patterns: browser check = server check, the ReDoS report’s patterns and a pattern stored before the linear-time rules', () => {
  const presented = presentForm(PATTERNS, { name: 'codes', version: 1, locale: 'en' }) as JourneyForm;
  for (const values of PATTERN_VALUES)
    assert.deepEqual(validateJourneyForm(presented, values), validateSubmission(PATTERNS, values, 'en').errors, JSON.stringify(values).slice(0, 80));
  assert.deepEqual(
    validateSubmission(PATTERNS, PATTERN_VALUES[1]!, 'en').errors.map((e) => e.field),
    ['alternation', 'adjacent', 'letters', 'stored'],
  );
  assert.deepEqual(validateSubmission(PATTERNS, PATTERN_VALUES[2]!, 'en').errors, []);
});
