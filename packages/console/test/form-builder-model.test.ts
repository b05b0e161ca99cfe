// The form builder's edits of a form's JSON: components stay ordered by a dense index, new ones get free ids and
// the starter of their type, moves and removals renumber, texts are set per language without losing the others,
// and every result is a form the server accepts.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkFormDocument } from '../../server/src/journeys/forms/form-format.ts';
import {
  addComponent,
  buttonText,
  ELEMENT_TYPES,
  moveComponent,
  ordered,
  removeComponent,
  updateComponent,
  withButtonText,
  withRule,
  withText,
  withTitle,
  type BuilderForm,
} from '../src/areas/content/form-builder-model.ts';

const EMPTY: BuilderForm = { title: { type: 'title', values: { en: 'About you' } } };

test('every element type can be added, and the result is a form the server accepts', () => {
  let form = EMPTY;
  for (const type of ELEMENT_TYPES) form = addComponent(form, type, 'en').form;
  assert.deepEqual(
    ordered(form).map((c) => [c.type, c.id, c.index]),
    ELEMENT_TYPES.map((type, index) => [type, `${type}1`, index]),
  );
  assert.deepEqual(checkFormDocument(form), []);
  const again = addComponent(form, 'text', 'de');
  assert.equal(again.at, ELEMENT_TYPES.length);
  assert.equal(ordered(again.form).at(-1)!.id, 'text2', 'a free id');
  assert.deepEqual(ordered(again.form).at(-1)!.label, { values: { de: 'Neues Feld' } });
});

test('moves and removals keep the indexes dense; out-of-range moves change nothing', () => {
  let form = EMPTY;
  for (const type of ['text', 'date', 'select'] as const) form = addComponent(form, type, 'en').form;
  form = moveComponent(form, 2, 0);
  assert.deepEqual(
    ordered(form).map((c) => [c.id, c.index]),
    [
      ['select1', 0],
      ['text1', 1],
      ['date1', 2],
    ],
  );
  assert.equal(moveComponent(form, 0, 3), form);
  assert.equal(moveComponent(form, -1, 0), form);
  form = removeComponent(form, 1);
  assert.deepEqual(
    ordered(form).map((c) => [c.id, c.index]),
    [
      ['select1', 0],
      ['date1', 1],
    ],
  );
});

test('texts are set per language, rules set and removed, the title and the button text per language', () => {
  let form = addComponent(EMPTY, 'number', 'en').form;
  const number = ordered(form)[0]!;
  form = updateComponent(form, 0, { ...withRule(withRule(number, 'min', 1), 'max', 10), label: withText(number.label, 'de', 'Anzahl') });
  assert.deepEqual(ordered(form)[0]!.validate, { required: false, min: 1, max: 10 });
  assert.deepEqual(ordered(form)[0]!.label, { values: { en: 'New field', de: 'Anzahl' } });
  form = updateComponent(form, 0, withRule(ordered(form)[0]!, 'max', ''));
  assert.deepEqual(ordered(form)[0]!.validate, { required: false, min: 1 }, '"" removes the rule');
  form = withTitle(form, 'de', 'Über Sie');
  assert.deepEqual(form.title, { type: 'title', values: { en: 'About you', de: 'Über Sie' } });
  assert.equal(buttonText(form, 'en'), '');
  form = withButtonText(form, 'de', 'Weiter');
  assert.deepEqual(form.continueButton, { type: 'continueButton', values: { de: 'Weiter' } });
  const submitting = withButtonText({ ...form, continueButton: undefined, submitButton: { type: 'submitButton', values: { en: 'Send' } } }, 'de', 'Senden');
  assert.deepEqual(submitting.submitButton, { type: 'submitButton', values: { en: 'Send', de: 'Senden' } });
  assert.deepEqual(checkFormDocument(form), []);
});
