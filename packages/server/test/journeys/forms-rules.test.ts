// Custom forms without storage: TrustX's forms pass the format check, each format mistake is reported at its path,
// submissions are validated with exactly the rules the presented form shows (required, min/max length, e-mail,
// read-only, transient), and messages are localized (the form's own for the locale, else Keyway's en/de).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { checkFormDocument, FORM_PATTERN_STEPS, type FormDocument } from '../../src/journeys/forms/form-format.ts';
import { pickLocalized } from '../../src/journeys/forms/form-localization.ts';
import { presentForm } from '../../src/journeys/forms/form-presentation.ts';
import { ABSOLUTE_MAX_LENGTH, validateSubmission } from '../../src/journeys/forms/form-submission.ts';
import { PROFILE_FORM, SEED_AUTHENTICATION_FORM, SEED_REGISTRATION_FORM, SEED_RETRY_FORM } from './forms-fixtures.ts';

const clone = <T>(value: T): T => structuredClone(value);
const profile = PROFILE_FORM as unknown as FormDocument;

describe('custom form format', () => {
  test('the three forms of the TrustX passkey processes are valid as written', () => {
    assert.deepEqual(checkFormDocument(SEED_REGISTRATION_FORM), []);
    assert.deepEqual(checkFormDocument(SEED_AUTHENTICATION_FORM), []);
    assert.deepEqual(checkFormDocument(SEED_RETRY_FORM), []);
    assert.deepEqual(checkFormDocument(PROFILE_FORM), []);
  });

  test('shape mistakes are reported at their exact path', () => {
    const form = clone(SEED_REGISTRATION_FORM) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- test edits
    form.components[1].validate.requierd = true;
    form.components[0].validate.minLength = 'three';
    assert.deepEqual(checkFormDocument(form), [
      { field: 'form.components.0.validate.minLength', message: 'must be integer' },
      { field: 'form.components.0.validate.minLength', message: 'must match pattern "^(?:|[0-9]{1,6})$"' },
      { field: 'form.components.0.validate.minLength', message: 'must match a schema in anyOf' },
      { field: 'form.components.1.validate.requierd', message: 'is not a known field' },
    ]);
    assert.deepEqual(checkFormDocument({ title: { values: { en: 'x' }, type: 'title' }, components: [{ type: 'slider', id: 'a', index: 0 }] }), [
      { field: 'form.components.0.type', message: 'must be one of text, email, select, radio, checkbox, date, phone, number, paragraph, image, notification' },
    ]);
    assert.deepEqual(checkFormDocument({ components: [] }), [{ field: 'form.title', message: 'is required' }]);
    assert.deepEqual(
      checkFormDocument({ title: { values: { en: 'REGISTRATION' }, type: 'title' } }),
      [],
      'a title-only form (a passkey prompt) needs no components',
    );
    assert.deepEqual(checkFormDocument('<form>'), [{ field: 'form', message: 'must be object' }]);
    const badId = clone(SEED_RETRY_FORM);
    badId.components[0]!.id = 'user-name';
    assert.equal(checkFormDocument(badId)[0]!.field, 'form.components.0.id');
  });

  test('rules a schema cannot state: unique ids and indexes, min ≤ max, defaults within limits, reserved ids, one button', () => {
    const form = clone(PROFILE_FORM) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- test edits
    form.components[1].id = 'nickname';
    form.components[2].index = 0;
    form.components[0].validate.minLength = 20;
    form.components[3].default = 'enterprise-plan-with-a-very-long-name';
    form.components[3].validate = { maxLength: 10, required: true };
    form.continueButton = { type: 'continueButton', values: { en: 'Go' } };
    assert.deepEqual(checkFormDocument(form), [
      { field: 'form.components.0.validate.minLength', message: '20 is more than maxLength 12' },
      { field: 'form.components.1.id', message: 'nickname is also the id of component 0; ids must be unique' },
      { field: 'form.components.2.index', message: '0 is also the index of component 0; indexes order the form and must be unique' },
      { field: 'form.components.3.default', message: 'is longer than maxLength 10' },
      { field: 'form.continueButton', message: 'give either submitButton or continueButton, not both' },
    ]);
    const readOnlyEmpty = clone(SEED_REGISTRATION_FORM);
    Object.assign(readOnlyEmpty.components[0]!, { readOnly: true });
    assert.deepEqual(checkFormDocument(readOnlyEmpty), [
      { field: 'form.components.0.default', message: 'a read-only required field needs a default, or nobody can ever submit the form' },
    ]);
    const proto = clone(SEED_RETRY_FORM);
    proto.components[0]!.id = '__proto__';
    assert.deepEqual(checkFormDocument(proto), [{ field: 'form.components.0.id', message: '__proto__ is reserved' }]);
  });

  test("patterns: a form's patterns together may take FORM_PATTERN_STEPS per submission, counted with each field's maxLength", () => {
    // [a-z ]*[0-9]{1,30}: 3 + 1 + 29 × 2 + 1 (the match) = 63 states, unbounded, so 63 × maxLength (10,000 unset).
    const field = (id: string, index: number, maxLength?: number) => ({
      type: 'text' as const,
      id,
      label: { values: { en: id } },
      validate: { pattern: '[a-z ]*[0-9]{1,30}', ...(maxLength === undefined ? {} : { maxLength }) },
      index,
    });
    const form = (...components: ReturnType<typeof field>[]) => ({ title: { type: 'title', values: { en: 'Codes' } }, components });
    assert.deepEqual(checkFormDocument(form(field('a', 0))), [], '630,000 steps');
    assert.deepEqual(checkFormDocument(form(field('a', 0), field('b', 1))), [
      {
        field: 'form.components.1.validate.pattern',
        message:
          "takes up to 630000 steps per value (its states times the characters it reads, at most maxLength, 10000 when unset), bringing the form's patterns to 1260000, more than the 1000000 a form's patterns may take together: set a lower validate.maxLength or simplify the pattern",
      },
    ]);
    assert.deepEqual(checkFormDocument(form(field('a', 0), field('b', 1, 5_000))), [], 'a maxLength lowers what a pattern may take');
    assert.equal(FORM_PATTERN_STEPS, 1_000_000);
    // A bounded pattern reads no more than its longest match: [0-9]{5} (6 states) reads at most 6 characters.
    const postcodes = Array.from({ length: 100 }, (_, index) => ({ ...field(`p${index}`, index), validate: { pattern: '[0-9]{5}' } }));
    assert.deepEqual(checkFormDocument(form(...postcodes)), []);
  });
});

describe('custom form submissions', () => {
  test('TrustX registration form: both fields required; values are trimmed and persisted by component id', () => {
    const form = SEED_REGISTRATION_FORM as unknown as FormDocument;
    const empty = validateSubmission(form, {}, 'en');
    assert.equal(empty.valid, false);
    assert.deepEqual(empty.errors, [
      { field: 'userName', code: 'missing', message: 'User Name is required.' },
      { field: 'displayName', code: 'missing', message: 'Display Name is required.' },
    ]);
    assert.deepEqual(
      validateSubmission(form, { userName: '   ', displayName: 'Ada' }, 'en').errors.map((e) => e.field),
      ['userName'],
      'whitespace only is missing',
    );
    const ok = validateSubmission(form, { userName: ' ada ', displayName: 'Ada Lovelace', extra: 'ignored' }, 'en');
    assert.deepEqual(ok, {
      valid: true,
      values: { userName: 'ada', displayName: 'Ada Lovelace' },
      persisted: { userName: 'ada', displayName: 'Ada Lovelace' },
      errors: [],
    });
  });

  test('TrustX authentication form: transient fields are validated and returned but not persisted', () => {
    const result = validateSubmission(SEED_AUTHENTICATION_FORM as unknown as FormDocument, { name: 'john.doe', displayName: 'John Doe' }, 'en');
    assert.equal(result.valid, true);
    assert.deepEqual(result.values, { name: 'john.doe', displayName: 'John Doe' });
    assert.deepEqual(result.persisted, {});
  });

  test('length rules: limits given as strings or numbers, measured after trimming in UTF-16 code units; bounds inclusive', () => {
    const base = { nickname: 'ada', email: '', secret: '123456' };
    assert.equal(validateSubmission(profile, base, 'en').valid, true, 'exactly minLength');
    assert.equal(validateSubmission(profile, { ...base, nickname: 'a'.repeat(12) }, 'en').valid, true, 'exactly maxLength');
    const short = validateSubmission(profile, { ...base, nickname: ' ab ' }, 'en');
    assert.deepEqual(
      short.errors,
      [{ field: 'nickname', code: 'invalidLength', message: 'Nickname: 3-12 characters' }],
      'the form’s own message with placeholders',
    );
    assert.equal(validateSubmission(profile, { ...base, nickname: 'a'.repeat(13) }, 'en').errors[0]!.code, 'invalidLength');
    const code = validateSubmission(profile, { ...base, secret: '12345' }, 'en');
    assert.deepEqual(code.errors, [{ field: 'secret', code: 'invalidLength', message: 'One-time code must be 6 to 6 characters long.' }]);
    assert.equal(validateSubmission(profile, { ...base, nickname: '😀😀' }, 'en').valid, true, 'two emoji are four code units, as the browser counts');
    const unlimited = validateSubmission(
      SEED_REGISTRATION_FORM as unknown as FormDocument,
      { userName: 'x'.repeat(ABSOLUTE_MAX_LENGTH + 1), displayName: 'd' },
      'en',
    );
    assert.deepEqual(unlimited.errors, [
      { field: 'userName', code: 'invalidLength', message: `User Name must be at most ${ABSOLUTE_MAX_LENGTH} characters long.` },
    ]);
  });

  test('optional fields: empty passes without length checks; e-mail must be an address; non-strings are invalid', () => {
    const base = { nickname: 'ada', secret: '123456' };
    assert.equal(validateSubmission(profile, { ...base, email: '' }, 'en').valid, true);
    assert.deepEqual(validateSubmission(profile, { ...base, email: 'not-an-address' }, 'en').errors, [
      { field: 'email', code: 'invalid', message: 'E-mail must be an e-mail address such as name@example.com.' },
    ]);
    assert.equal(validateSubmission(profile, { ...base, email: 'ada@example.com' }, 'en').persisted.email, 'ada@example.com');
    assert.deepEqual(validateSubmission(profile, { ...base, nickname: ['ada'] }, 'en').errors, [
      { field: 'nickname', code: 'invalid', message: 'Nickname is not valid.' },
    ]);
    assert.equal(validateSubmission(profile, 'nickname=ada', 'en').errors.length, 2, 'a non-object submission has no values');
  });

  test('read-only fields keep their default whatever is submitted', () => {
    const result = validateSubmission(profile, { nickname: 'ada', secret: '123456', plan: 'enterprise' }, 'en');
    assert.equal(result.values.plan, 'basic');
    assert.equal(result.persisted.plan, 'basic');
  });

  test('hostile keys never reach a prototype', () => {
    const hostile = JSON.parse('{"__proto__": {"polluted": true}, "nickname": "ada", "secret": "123456"}');
    const result = validateSubmission(profile, hostile, 'en');
    assert.equal(result.valid, true);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    assert.deepEqual(Object.keys(result.values), ['nickname', 'email', 'secret', 'plan']);
  });

  test('messages: the form’s own in the locale, else Keyway’s (en, de, fr, es); other languages fall back to English', () => {
    assert.deepEqual(validateSubmission(profile, { secret: '123456' }, 'de-DE').errors, [
      { field: 'nickname', code: 'missing', message: 'Bitte einen Spitznamen wählen' },
    ]);
    assert.deepEqual(
      validateSubmission(profile, { nickname: 'ab', secret: '123456' }, 'de').errors,
      [{ field: 'nickname', code: 'invalidLength', message: 'Spitzname muss 3 bis 12 Zeichen lang sein.' }],
      'empty German message → built-in German',
    );
    assert.deepEqual(
      validateSubmission(profile, { nickname: 'ada', secret: '1' }, 'de').errors,
      [{ field: 'secret', code: 'invalidLength', message: 'One-time code muss 6 bis 6 Zeichen lang sein.' }],
      'label falls back to English',
    );
    assert.deepEqual(validateSubmission(profile, { secret: '123456' }, 'it').errors[0]!.message, 'Please choose a nickname');
    assert.deepEqual(validateSubmission(SEED_REGISTRATION_FORM as unknown as FormDocument, { userName: 'a' }, 'de,en;q=0.8').errors, [
      { field: 'displayName', code: 'missing', message: 'Display Name ist erforderlich.' },
    ]);
  });

  test('localized values: exact tag, then language, then a regional variant, then English, then anything set', () => {
    assert.equal(pickLocalized({ en: 'Hello', de: 'Hallo', 'de-AT': 'Servus' }, 'de-AT'), 'Servus');
    assert.equal(pickLocalized({ en: 'Hello', de: 'Hallo' }, 'de-CH'), 'Hallo');
    assert.equal(pickLocalized({ en: 'Hello', 'de-DE': 'Hallo' }, 'de'), 'Hallo');
    assert.equal(pickLocalized({ en: 'Hello', de: '' }, 'de'), 'Hello');
    assert.equal(pickLocalized({ fr: 'Bonjour' }, 'de'), 'Bonjour');
    assert.equal(pickLocalized({ en: '' }, 'en'), undefined);
  });
});

describe('custom form presentation', () => {
  test('shows the rules the server applies, in index order, with the button and localized texts', () => {
    const shuffled = clone(PROFILE_FORM);
    shuffled.components.reverse();
    const presented = presentForm(shuffled as unknown as FormDocument, { name: 'profile', version: 2, locale: 'de' });
    assert.equal(presented.title, 'Ihr Profil');
    assert.deepEqual(
      presented.components.map((c) => c.id),
      ['nickname', 'email', 'secret', 'plan', 'note'],
    );
    // Each input carries its messages as the server words them (the form's own German one, else Keyway's German).
    assert.deepEqual(presented.components[0], {
      type: 'text',
      id: 'nickname',
      label: 'Spitzname',
      value: '',
      readOnly: false,
      required: true,
      minLength: 3,
      maxLength: 12,
      messages: { missing: 'Bitte einen Spitznamen wählen', invalidLength: 'Spitzname muss 3 bis 12 Zeichen lang sein.', invalid: 'Spitzname ist ungültig.' },
    });
    assert.deepEqual(presented.components[1], {
      type: 'email',
      id: 'email',
      label: 'E-Mail',
      value: '',
      readOnly: false,
      required: false,
      maxLength: 254,
      messages: {
        missing: 'E-Mail ist erforderlich.',
        invalidLength: 'E-Mail darf höchstens 254 Zeichen lang sein.',
        invalid: 'E-Mail muss eine E-Mail-Adresse wie name@example.com sein.',
      },
    });
    assert.deepEqual(presented.components[3], {
      type: 'text',
      id: 'plan',
      label: 'Plan',
      value: 'basic',
      readOnly: true,
      required: false,
      maxLength: ABSOLUTE_MAX_LENGTH,
      messages: {
        missing: 'Plan ist erforderlich.',
        invalidLength: `Plan darf höchstens ${ABSOLUTE_MAX_LENGTH} Zeichen lang sein.`,
        invalid: 'Plan ist ungültig.',
      },
    });
    assert.deepEqual(
      (presentForm(profile, { name: 'profile', version: 2, locale: 'en' }).components[0] as { messages: unknown }).messages,
      {
        missing: 'Please choose a nickname',
        invalidLength: 'Nickname: 3-12 characters',
        invalid: 'Nickname is not valid.',
      },
      'the form’s own English messages, placeholders filled',
    );
    assert.deepEqual(presented.components[4], { type: 'paragraph', id: 'note', label: '', text: 'Wir geben Ihre Daten nie weiter.' });
    assert.deepEqual(presented.button, { type: 'submit', label: 'Speichern' });
    assert.deepEqual(presented.errors, []);
  });

  test('after a refused submission: the errors and the values as typed; hidden buttons; the retry form gets a default Continue', () => {
    const result = validateSubmission(profile, { nickname: 'ab', secret: '123456', plan: 'x' }, 'en');
    const again = presentForm(
      profile,
      { name: 'profile', version: 1, locale: 'en', hideButtons: true },
      { errors: result.errors, submitted: { nickname: 'ab', secret: '123456', plan: 'x' } },
    );
    assert.equal(again.button, null);
    assert.deepEqual(again.errors, result.errors);
    assert.equal((again.components[0] as { value: string }).value, 'ab');
    assert.equal((again.components[3] as { value: string }).value, 'basic', 'read-only shows its default');
    const retry = presentForm(SEED_RETRY_FORM as unknown as FormDocument, { name: 'retry', version: 1, locale: 'de' });
    assert.deepEqual(retry.button, { type: 'continue', label: 'Weiter' });
    assert.deepEqual(retry.components, [{ type: 'paragraph', id: 'paragraph', label: '', text: 'User cancel error happened - please try again' }]);
  });
});
