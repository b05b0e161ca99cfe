// The designer's document edits: pure functions from one journey definition to the next (each is one undo step),
// the version diff, and how a text field's value is typed by the parameter's schema.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { diffJson, diffSteps, unionOfSteps } from '../src/areas/journeys/designer/definition-diff.ts';
import {
  addStep,
  asDefinition,
  autoLayout,
  placeNodes,
  isValidStepId,
  outcomesOf,
  pasteStep,
  removeStep,
  renameStep,
  setOutcome,
  setParameter,
  uniqueStepId,
  variablesInScope,
  type JourneyDefinition,
  type StepTypeInfo,
} from '../src/areas/journeys/designer/journey-model.ts';
import { fromText } from '../src/areas/journeys/designer/parameter-values.ts';

const form: StepTypeInfo = {
  type: 'trustx.customDataForm',
  title: 'Custom Data Form',
  family: 'trustx',
  clientFacing: true,
  outcomes: ['success', 'cancel'],
  parameterSchema: {},
};
const end: StepTypeInfo = { type: 'general.end', title: 'End', family: 'general', clientFacing: false, outcomes: [], parameterSchema: {} };
const types = new Map([form, end].map((t) => [t.type, t]));

function journey(): JourneyDefinition {
  return {
    schemaVersion: 1,
    store: 'customers',
    start: 'details',
    variables: { rp: { type: 'string' } },
    steps: [
      { id: 'details', type: form.type, parameters: { dataFormName: 'f' }, outcomes: { success: 'done', cancel: 'done' } },
      { id: 'done', type: end.type, parameters: { result: 'success' } },
    ],
  };
}

test('adding a step gives it a free id from its type, and the first one becomes the start', () => {
  const empty = asDefinition(null, 'customers');
  assert.deepEqual(empty, { schemaVersion: 1, store: 'customers', start: '', steps: [] });
  const one = addStep(empty, form);
  assert.equal(one.id, 'customDataForm');
  assert.equal(one.definition.start, 'customDataForm');
  const two = addStep(one.definition, form);
  assert.equal(two.id, 'customDataForm2');
  assert.equal(two.definition.start, 'customDataForm', 'the start stays');
  assert.equal(uniqueStepId(empty, 'success'), 'success2', 'the end ids are reserved');
});

test('renaming keeps every arrow and the start; ids follow the server’s rule', () => {
  const renamed = renameStep(journey(), 'done', 'finished');
  assert.deepEqual(renamed.steps[0]!.outcomes, { success: 'finished', cancel: 'finished' });
  assert.equal(renameStep(journey(), 'details', 'ask').start, 'ask');
  assert.equal(isValidStepId(journey(), 'done', 'details'), false, 'taken');
  assert.equal(isValidStepId(journey(), 'rejection'), false, 'reserved');
  assert.equal(isValidStepId(journey(), '1st'), false, 'starts with a letter');
  assert.equal(isValidStepId(journey(), 'ask'), true);
});

test('removing a step unwires the outcomes that led to it; the start moves to the first step left', () => {
  const removed = removeStep(journey(), 'done');
  assert.deepEqual(removed.steps, [{ id: 'details', type: form.type, parameters: { dataFormName: 'f' } }]);
  assert.equal(removeStep(journey(), 'details').start, 'done');
});

test('outcomes and parameters are set and unset; a pasted copy keeps its parameters and arrows', () => {
  let doc = setOutcome(journey(), 'details', 'cancel', '');
  assert.deepEqual(doc.steps[0]!.outcomes, { success: 'done' });
  doc = setParameter(doc, 'details', 'timeoutSeconds', 30);
  doc = setParameter(doc, 'details', 'dataFormName', undefined);
  assert.deepEqual(doc.steps[0]!.parameters, { timeoutSeconds: 30 });
  const pasted = pasteStep(journey(), journey().steps[0]!);
  assert.equal(pasted.id, 'detailsCopy');
  assert.deepEqual(pasted.definition.steps.at(-1), { ...journey().steps[0]!, id: 'detailsCopy' });
  assert.deepEqual(outcomesOf({ id: 'x', type: form.type, outcomes: { custom: 'done' } }, form), ['success', 'cancel', 'custom']);
});

test('variables in scope: the engine’s, the declared ones and what earlier client-facing steps store', () => {
  assert.deepEqual(variablesInScope(journey(), types, 'done'), ['user', '_journey', '_identityStore', '_authentication', 'rp', 'details']);
  const keyed = setParameter(journey(), 'details', 'formDataKey', 'answers');
  assert.ok(variablesInScope(keyed, types, 'done').includes('answers'));
});

test('the diff names added, removed and changed steps, and the JSON lines that differ', () => {
  const before = journey();
  const after = addStep(setParameter(removeStep(before, 'done'), 'details', 'dataFormName', 'g'), end).definition;
  const changes = diffSteps(before, after);
  assert.deepEqual(Object.fromEntries(changes), { details: 'changed', end: 'added', done: 'removed' });
  assert.deepEqual(
    unionOfSteps(before, after).steps.map((s) => s.id),
    ['details', 'end', 'done'],
  );
  const lines = diffJson({ a: 1, b: 2 }, { a: 1, b: 3 });
  assert.deepEqual(lines, [
    { kind: 'same', text: '{' },
    { kind: 'same', text: '  "a": 1,' },
    { kind: 'removed', text: '  "b": 2' },
    { kind: 'added', text: '  "b": 3' },
    { kind: 'same', text: '}' },
  ]);
});

test('a field’s text is typed by the schema; expressions stay text', () => {
  assert.equal(fromText('300', { type: 'integer' }), 300);
  assert.equal(fromText('300', { anyOf: [{ type: 'integer' }, { type: 'string' }] }), '300');
  assert.equal(fromText('false', { type: 'boolean' }), false);
  assert.equal(fromText('${x > 1}', { type: 'boolean' }), '${x > 1}');
  assert.equal(fromText('abc', { type: 'integer' }), 'abc', 'left for the server to report');
  assert.equal(fromText('', { type: 'string' }), undefined, 'an empty field removes the parameter');
});

test('node positions: placing keeps every shown node (whole pixels), renames and removals follow, Auto layout drops them', () => {
  const doc = journey();
  const shown = new Map(doc.steps.map((s, i) => [s.id, { x: i * 100.4, y: 20.6 }]));
  shown.set('ghost', { x: 1, y: 1 });
  const placed = placeNodes(doc, shown);
  assert.deepEqual(
    placed.ui?.positions,
    Object.fromEntries(doc.steps.map((s, i) => [s.id, { x: Math.round(i * 100.4), y: 21 }])),
    'a node that is no step is not kept',
  );
  assert.equal(doc.ui, undefined, 'the document itself is not changed');
  const renamed = renameStep(placed, 'details', 'account');
  assert.deepEqual(renamed.ui?.positions?.account, placed.ui?.positions?.details);
  assert.equal(renamed.ui?.positions?.details, undefined);
  const removed = removeStep(placed, 'details');
  assert.equal(removed.ui?.positions?.details, undefined);
  assert.deepEqual(
    Object.keys(removed.ui?.positions ?? {}),
    doc.steps.filter((s) => s.id !== 'details').map((s) => s.id),
  );
  const reset = autoLayout(placed);
  assert.equal('ui' in reset, false, 'no empty ui member is left behind');
  assert.deepEqual(reset, doc);
  assert.deepEqual(autoLayout({ ...placed, ui: { ...placed.ui, other: 1 } as never }).ui, { other: 1 }, 'other designer metadata stays');
});
