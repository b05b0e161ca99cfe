// The form element types beyond text, e-mail and paragraph (select, radio, checkbox, date, phone, number, image,
// notification) over real HTTP on both databases: a form using all of them saves, format defects are refused at
// their path with nothing stored, the journey runtime presents each type with its rules, and each way a value can
// be refused comes back as the field's code and localized message on the same step, with no journey variable
// written; the corrected submission stores the values as kept (a phone number compact, a box "true"/"false").
// Text patterns are matched in linear time: the ReDoS report's patterns save and answer 10,000-character values.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DATABASE_KINDS } from '../support/databases.ts';
import type { ApiResponse } from '../support/http-client.ts';
import { startTestServer, type TenantFixture, type TestServer } from '../support/test-server.ts';
import { definition, publish, setUpTenant, startPublic, submit } from './engine-fixture.ts';
import { ELEMENTS_FORM, ELEMENTS_VALID, PIXEL } from './forms-fixtures.ts';

const BASE = '/api/custom-forms';
const JOURNEY = definition([
  {
    id: 'about',
    type: 'trustx.customDataForm',
    parameters: { dataFormName: 'elements', formDataKey: 'about' },
    outcomes: { success: 'received', cancel: 'rejected', timeout: 'rejected' },
  },
  // The form alone identifies nobody: the journey ends by a rejection that says the answers arrived.
  { id: 'received', type: 'general.end', parameters: { result: 'rejection', code: 'ABOUT_RECEIVED' } },
  { id: 'rejected', type: 'general.end', parameters: { result: 'rejection', code: 'ABOUT_REFUSED' } },
]);

function expect(response: ApiResponse, status: number, code?: string): ApiResponse {
  assert.equal(response.status, status, JSON.stringify(response.body));
  if (code) assert.equal(response.body.code, code);
  return response;
}

// The patterns of the ReDoS report (seconds of a blocked server on a few dozen characters before), as an operator saves them.
const REDOS_FORM = {
  title: { type: 'title', values: { en: 'Codes' } },
  components: [
    ['alternation', '(a|a)*b'],
    ['overlap', '(\\w|\\d)*!'],
    ['adjacent', '\\d*\\d*\\d*!'],
  ].map(([id, pattern], index) => ({ type: 'text', id, label: { values: { en: id } }, validate: { required: true, pattern }, index })),
  submitButton: { type: 'submitButton', values: { en: 'Send' } },
};
const REDOS_JOURNEY = definition([
  {
    id: 'codes',
    type: 'trustx.customDataForm',
    parameters: { dataFormName: 'codes', formDataKey: 'codes' },
    outcomes: { success: 'received', cancel: 'rejected', timeout: 'rejected' },
  },
  { id: 'received', type: 'general.end', parameters: { result: 'rejection', code: 'CODES_RECEIVED' } },
  { id: 'rejected', type: 'general.end', parameters: { result: 'rejection', code: 'CODES_REFUSED' } },
]);

type Defect = [name: string, edit: (form: any) => void, problems: { field: string; message: string }[]]; // eslint-disable-line @typescript-eslint/no-explicit-any -- test edits
const DEFECTS: Defect[] = [
  [
    'two options with one value',
    (f) => (f.components[2].options[1].value = 'DE'),
    [{ field: 'form.components.2.options.1.value', message: 'DE is also the value of another option; values must be unique' }],
  ],
  ['a select without options', (f) => (f.components[2].options = []), [{ field: 'form.components.2.options', message: 'must NOT have fewer than 1 items' }]],
  [
    'an option value with a control character',
    (f) => (f.components[3].options[0].value = 'a\u0007'),
    [
      {
        field: 'form.components.3.options.0.value',
        message: 'must not contain NUL, control characters other than tab and line breaks, or unpaired surrogates',
      },
    ],
  ],
  [
    'a default that is no option',
    (f) => (f.components[2].default = 'XX'),
    [{ field: 'form.components.2.default', message: "breaks the field's own rules (invalid)" }],
  ],
  [
    'a date range the wrong way round',
    (f) => (f.components[6].validate.min = '2011-01-01'),
    [{ field: 'form.components.6.validate.min', message: '2011-01-01 is more than max 2010-12-31' }],
  ],
  [
    'a date limit that is no day',
    (f) => (f.components[7].validate.min = '2026-02-30'),
    [{ field: 'form.components.7.validate.min', message: 'is not a calendar date' }],
  ],
  [
    'a number range the wrong way round',
    (f) => (f.components[9].validate.max = '0.5'),
    [{ field: 'form.components.9.validate.min', message: '1 is more than max 0.5' }],
  ],
  [
    'a number limit that is no number',
    (f) => (f.components[10].validate.max = 'lots'),
    [
      { field: 'form.components.10.validate.max', message: 'must be number' },
      { field: 'form.components.10.validate.max', message: 'must match pattern "^(?:|-?[0-9]{1,15}(?:\\.[0-9]{1,15})?)$"' },
      { field: 'form.components.10.validate.max', message: 'must match a schema in anyOf' },
    ],
  ],
  [
    'a pattern that does not compile',
    (f) => (f.components[11].validate.pattern = '[0-9'),
    [{ field: 'form.components.11.validate.pattern', message: 'is not a valid regular expression (JavaScript syntax, v flag)' }],
  ],
  [
    'a pattern with a lookahead (not matchable in linear time)',
    (f) => (f.components[11].validate.pattern = '(?=.*[0-9]).{8,}'),
    [
      {
        field: 'form.components.11.validate.pattern',
        message:
          'uses a lookahead or lookbehind ((?=, (?!, (?<=, (?<!), which form patterns do not support (they are matched in linear time, so only regular constructs)',
      },
    ],
  ],
  [
    'a pattern with a backreference',
    (f) => (f.components[11].validate.pattern = '([0-9])\\1{4}'),
    [
      {
        field: 'form.components.11.validate.pattern',
        message: 'uses a backreference (\\1, \\k<name>), which form patterns do not support (they are matched in linear time, so only regular constructs)',
      },
    ],
  ],
  [
    'a pattern that expands too far',
    (f) => (f.components[11].validate.pattern = '[0-9]{1,2000}'),
    [
      {
        field: 'form.components.11.validate.pattern',
        message:
          'expands to 4000 states, more than 1000: a counted repetition such as {2,50} repeats its part that many times (for a length limit use minLength and maxLength); simplify it',
      },
    ],
  ],
  [
    'a pattern that takes too many steps over the longest value the field allows',
    (f) => (f.components[11].validate.pattern = '[a-z ]*a[a-z ]{100}'),
    [
      {
        field: 'form.components.11.validate.pattern',
        message:
          "takes up to 1050000 steps per value (its states times the characters it reads, at most maxLength, 10000 when unset), more than the 1000000 a form's patterns may take together: set a lower validate.maxLength or simplify the pattern",
      },
    ],
  ],
  [
    'an image from another site',
    (f) => (f.components[0].src = 'https://evil.example/x.png'),
    [{ field: 'form.components.0.src', message: 'must match pattern "^data:image/(?:png|jpeg|gif|webp);base64,[A-Za-z0-9+/]+={0,2}$"' }],
  ],
  [
    'an SVG image',
    (f) => (f.components[0].src = 'data:image/svg+xml;base64,PHN2Zy8+'),
    [{ field: 'form.components.0.src', message: 'must match pattern "^data:image/(?:png|jpeg|gif|webp);base64,[A-Za-z0-9+/]+={0,2}$"' }],
  ],
  [
    'an unknown severity',
    (f) => (f.components[1].severity = 'panic'),
    ['"info"', '"success"', '"warning"', '"error"']
      .map((literal) => ({ field: 'form.components.1.severity', message: `must be ${literal}` }))
      .concat({ field: 'form.components.1.severity', message: 'must match a schema in anyOf' }),
  ],
  [
    'a read-only required box that is not ticked',
    (f) => Object.assign(f.components[4], { readOnly: true, default: 'false' }),
    [{ field: 'form.components.4.default', message: 'a read-only required field needs a default, or nobody can ever submit the form' }],
  ],
  [
    'a length rule on a date',
    (f) => (f.components[6].validate.minLength = 3),
    [{ field: 'form.components.6.validate.minLength', message: 'is not a known field' }],
  ],
];

/** Each way a value can be refused: the values sent (over the valid ones) → the errors answered. */
const REFUSALS: [name: string, data: Record<string, unknown>, locale: string, errors: { field: string; code: string; message: string }[]][] = [
  ['select: missing', { country: '' }, 'en', [{ field: 'country', code: 'missing', message: 'Country is required.' }]],
  ['select: not an option', { country: 'XX' }, 'de', [{ field: 'country', code: 'invalid', message: 'Land: Bitte eine der Möglichkeiten wählen.' }]],
  ['radio: missing (own message)', { plan: '' }, 'de', [{ field: 'plan', code: 'missing', message: 'Bitte einen Tarif wählen.' }]],
  ['radio: not an option', { plan: 'gold' }, 'en', [{ field: 'plan', code: 'invalid', message: 'Plan: choose one of the options.' }]],
  ['checkbox: required and not ticked', { terms: 'false' }, 'en', [{ field: 'terms', code: 'missing', message: 'I accept the terms is required.' }]],
  ['checkbox: neither true nor false', { newsletter: 'yes' }, 'en', [{ field: 'newsletter', code: 'invalid', message: 'Newsletter is not valid.' }]],
  ['date: not a day', { birthday: '1990-02-30' }, 'de', [{ field: 'birthday', code: 'invalid', message: 'Geburtstag muss ein Datum sein.' }]],
  [
    'date: before the range',
    { birthday: '1899-12-31' },
    'en',
    [{ field: 'birthday', code: 'outOfRange', message: 'Birthday must be from 1900-01-01 to 2010-12-31.' }],
  ],
  [
    'date: after the range',
    { birthday: '2011-01-01' },
    'de',
    [{ field: 'birthday', code: 'outOfRange', message: 'Geburtstag muss zwischen 1900-01-01 und 2010-12-31 liegen.' }],
  ],
  ['date: before an open range', { start: '2025-12-31' }, 'en', [{ field: 'start', code: 'outOfRange', message: 'Start must be 2026-01-01 or later.' }]],
  [
    'phone: no country code',
    { mobile: '030 1234567' },
    'de',
    [{ field: 'mobile', code: 'invalid', message: 'Mobilnummer muss eine Telefonnummer im internationalen Format sein, etwa +49 30 1234567.' }],
  ],
  [
    'phone: too many digits',
    { mobile: '+49 30 123456789012' },
    'en',
    [{ field: 'mobile', code: 'invalid', message: 'Mobile must be a phone number in international format, such as +49 30 1234567.' }],
  ],
  ['number: not a number', { seats: '1,5' }, 'en', [{ field: 'seats', code: 'invalid', message: 'Seats must be a number.' }]],
  ['number: below the range (own message)', { seats: '0' }, 'en', [{ field: 'seats', code: 'outOfRange', message: 'Seats: 1–50.' }]],
  ['number: above an open range', { budget: '1000.01' }, 'de', [{ field: 'budget', code: 'outOfRange', message: 'Budget darf höchstens 1000 sein.' }]],
  ['text: pattern (own message)', { postcode: '1011' }, 'de', [{ field: 'postcode', code: 'invalid', message: 'Postleitzahl: fünf Ziffern.' }]],
  ['a value that is not a string', { seats: 12 }, 'en', [{ field: 'seats', code: 'invalid', message: 'Seats must be a number.' }]],
];

for (const kind of DATABASE_KINDS) {
  describe(`form element types on ${kind}`, () => {
    let server: TestServer;
    let admin: TenantFixture;
    before(async () => {
      server = await startTestServer({ kind });
      ({ admin } = await setUpTenant(server));
      expect(await admin.api.post(BASE, { name: 'elements', form: ELEMENTS_FORM }), 201);
      expect(await admin.api.post(`${BASE}/elements/versions/1/publish`), 200);
      await publish(admin, 'about', JOURNEY);
      expect(await admin.api.post(BASE, { name: 'codes', form: REDOS_FORM }), 201);
      expect(await admin.api.post(`${BASE}/codes/versions/1/publish`), 200);
      await publish(admin, 'codes', REDOS_JOURNEY);
    });
    after(() => server.close());

    for (const [name, edit, problems] of DEFECTS) {
      test(`format defect refused at its path, nothing stored: ${name}`, async () => {
        const form = structuredClone(ELEMENTS_FORM);
        edit(form);
        const refused = expect(await admin.api.post(BASE, { name: 'defective', form }), 400, 'VALIDATION_FAILED');
        assert.deepEqual(refused.body.errors, problems);
        expect(await admin.api.get(`${BASE}/defective`), 404, 'FORM_NOT_FOUND');
      });
    }

    test('preview: the form as the runner is sent it, in the language asked; an invalid one has its problems and no presentation', async () => {
      const preview = expect(await admin.api.post(`${BASE}/preview`, { form: ELEMENTS_FORM, locale: 'de' }), 200);
      const started = expect(await startPublic(server, 'about'), 200);
      assert.equal(preview.body.valid, true);
      assert.deepEqual(preview.body.errors, []);
      assert.equal(preview.body.presented.title, 'Über Sie');
      assert.equal(preview.body.presented.components[2].options[0].label, 'Deutschland');
      assert.equal(preview.body.presented.components.length, started.body.data.form.components.length);
      const broken = structuredClone(ELEMENTS_FORM) as { components: { options?: { value: string }[] }[] };
      broken.components[2]!.options![1]!.value = 'DE';
      const refused = expect(await admin.api.post(`${BASE}/preview`, { form: broken }), 200);
      assert.deepEqual(refused.body, {
        valid: false,
        errors: [{ field: 'form.components.2.options.1.value', message: 'DE is also the value of another option; values must be unique' }],
        warnings: [],
        presented: null,
      });
      expect(await admin.api.post(`${BASE}/preview`, { form: ELEMENTS_FORM, locale: 'de\u0000' }), 400, 'VALIDATION_FAILED');
      expect(await admin.api.get(`${BASE}/preview`), 404, 'FORM_NOT_FOUND');
    });

    test('the runner is sent each type with its rules, options and messages in the user’s language', async () => {
      const started = expect(await startPublic(server, 'about', {}, undefined, undefined), 200);
      const { components } = started.body.data.form;
      assert.deepEqual(
        components.map((c: { type: string }) => c.type),
        ['image', 'notification', 'select', 'radio', 'checkbox', 'checkbox', 'date', 'date', 'phone', 'number', 'number', 'text'],
      );
      assert.deepEqual(components[0], { type: 'image', id: 'logo', alt: 'Company logo', src: PIXEL });
      assert.deepEqual(components[1], { type: 'notification', id: 'info', severity: 'warning', label: 'Note', text: 'We check every answer.' });
      assert.deepEqual(components[2].options, [
        { value: 'DE', label: 'Germany' },
        { value: 'FR', label: 'France' },
      ]);
      assert.equal(components[6].min, '1900-01-01');
      assert.equal(components[6].max, '2010-12-31');
      assert.equal(components[6].messages.outOfRange, 'Birthday must be from 1900-01-01 to 2010-12-31.');
      assert.equal(components[9].min, '1');
      assert.equal(components[11].pattern, '[0-9]{5}');
    });

    for (const [name, data, locale, errors] of REFUSALS) {
      test(`refused on the same step with code and message, nothing stored: ${name} (${locale})`, async () => {
        const started = expect(await startPublic(server, 'about'), 200);
        const answered = await server.http.post(
          `/acme/journeys/sessions/${started.body.sessionId}/submit`,
          { clientResponseOptionId: 'client_input', data: { ...ELEMENTS_VALID, ...data } },
          { origin: 'https://app.example.com', 'accept-language': locale },
        );
        expect(answered, 200);
        assert.equal(answered.body.journeyStepId, 'about', 'still the form');
        assert.deepEqual(answered.body.data.form.errors, errors);
        // This test's instance is the newest one.
        const row = await server.database.db.selectFrom('journey_instances').select('vars').orderBy('id', 'desc').executeTakeFirstOrThrow();
        assert.equal(JSON.parse(row.vars).about, undefined, 'no journey variable written');
      });
    }

    test('the patterns of the ReDoS report save, and answer 10,000-character values right (matched in linear time)', async () => {
      const started = expect(await startPublic(server, 'codes'), 200);
      const hostile = { alternation: 'a'.repeat(10_000), overlap: '1'.repeat(10_000), adjacent: '1'.repeat(10_000) };
      const refused = expect(await submit(server, started.body.sessionId, { clientResponseOptionId: 'client_input', data: hostile }), 200);
      assert.equal(refused.body.journeyStepId, 'codes', 'still the form');
      assert.deepEqual(
        refused.body.data.form.errors.map((e: { field: string; code: string }) => [e.field, e.code]),
        [
          ['alternation', 'invalid'],
          ['overlap', 'invalid'],
          ['adjacent', 'invalid'],
        ],
      );
      const matching = { alternation: `${'a'.repeat(9_999)}b`, overlap: `${'1'.repeat(9_999)}!`, adjacent: `${'1'.repeat(9_999)}!` };
      const done = expect(await submit(server, refused.body.sessionId, { clientResponseOptionId: 'client_input', data: matching }), 200);
      assert.equal(done.body.data.code, 'CODES_RECEIVED', JSON.stringify(done.body).slice(0, 500));
      const instance = await server.database.db.selectFrom('journey_instances').select('vars').orderBy('id', 'desc').executeTakeFirstOrThrow();
      assert.deepEqual(JSON.parse(instance.vars).codes, matching);
    });

    test('the corrected submission stores each value as kept', async () => {
      const started = expect(await startPublic(server, 'about'), 200);
      const done = expect(await submit(server, started.body.sessionId, { clientResponseOptionId: 'client_input', data: ELEMENTS_VALID }), 200);
      assert.equal(done.body.journeyStepId, 'rejection', JSON.stringify(done.body));
      assert.equal(done.body.data.code, 'ABOUT_RECEIVED');
      const instance = await server.database.db.selectFrom('journey_instances').select('vars').orderBy('id', 'desc').executeTakeFirstOrThrow();
      assert.deepEqual(JSON.parse(instance.vars).about, { ...ELEMENTS_VALID, mobile: '+49301234567' });
    });
  });
}
