// The "Try it" panel's mapping to the dry-run request: which steps it asks about, and the script it sends.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { answerableSteps, buildScript, defaultAnswer, parseFormData } from '../src/areas/journeys/dry-run/dry-run-script.ts';

const definition = {
  steps: [
    { id: 'details', type: 'trustx.customDataForm', title: 'Account details' },
    { id: 'addUser', type: 'trustx.addUser' },
    { id: 'form', type: 'trustx.passkeyRegistrationForm' },
    { id: 'signIn', type: 'trustx.passkeyAuthenticationForm' },
  ],
};
const CLIENT_FACING = new Set(['trustx.customDataForm', 'trustx.passkeyRegistrationForm', 'trustx.passkeyAuthenticationForm']);

describe('dry-run script', () => {
  test('asks about the client-facing steps only, in order, naming passkey steps’ ceremonies', () => {
    assert.deepEqual(answerableSteps(definition, CLIENT_FACING), [
      { id: 'details', type: 'trustx.customDataForm', title: 'Account details' },
      { id: 'form', type: 'trustx.passkeyRegistrationForm', title: 'form', ceremony: 'registration' },
      { id: 'signIn', type: 'trustx.passkeyAuthenticationForm', title: 'signIn', ceremony: 'authentication' },
    ]);
    assert.deepEqual(answerableSteps(undefined, CLIENT_FACING), []);
    assert.deepEqual(answerableSteps({ steps: 'nope' }, CLIENT_FACING), []);
  });

  test('forms send their input or the action; a passkey behaviour other than succeeds answers the first visit only', () => {
    const steps = answerableSteps(definition, CLIENT_FACING);
    const script = buildScript(steps, {
      details: { kind: 'form', action: 'submit', formData: '{"userName":"ada"}' },
      form: { kind: 'passkey', behaviour: 'userCancels', formData: '{}' },
    });
    assert.deepEqual(script, { details: { userName: 'ada' }, form: ['userCancels', {}], signIn: {} });
    assert.deepEqual(buildScript(steps, { details: { kind: 'form', action: 'timesOut', formData: 'not json' } })?.details, 'timesOut');
    assert.equal(buildScript(steps, { details: { kind: 'form', action: 'submit', formData: '[1]' } }), undefined, 'form data must be a JSON object');
  });

  test('form data: empty is {}, anything but an object is invalid', () => {
    assert.deepEqual(parseFormData('  '), {});
    assert.equal(parseFormData('{'), 'invalid');
    assert.equal(parseFormData('"x"'), 'invalid');
    assert.deepEqual(defaultAnswer({ id: 'f', type: 't', title: 'f', ceremony: 'registration' }), { kind: 'passkey', behaviour: 'succeeds', formData: '{}' });
  });
});
