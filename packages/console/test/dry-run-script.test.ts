// The "Try it" panel's mapping to the dry-run request: which steps it asks about, what each offers, the script it sends.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { answerableSteps, buildScript, choicesOf, defaultAnswer, parseFormData } from '../src/areas/journeys/dry-run/dry-run-script.ts';

const definition = {
  steps: [
    { id: 'details', type: 'trustx.customDataForm', title: 'Account details' },
    { id: 'addUser', type: 'trustx.addUser' },
    { id: 'form', type: 'trustx.passkeyRegistrationForm' },
    { id: 'signIn', type: 'trustx.passkeyAuthenticationForm' },
    { id: 'login', type: 'mosaic.loginForm', parameters: { customBranches: [{ id: 'password' }, { nope: 1 }] } },
    { id: 'code', type: 'general.emailOtp' },
    { id: 'device', type: 'mosaic.knownDeviceStatus' },
  ],
};
const CLIENT_FACING = new Set([
  'trustx.customDataForm',
  'trustx.passkeyRegistrationForm',
  'trustx.passkeyAuthenticationForm',
  'mosaic.loginForm',
  'general.emailOtp',
  'mosaic.knownDeviceStatus',
]);

describe('dry-run script', () => {
  test('asks about the client-facing steps only, in order, each with the choices of its kind and its custom branches', () => {
    const steps = answerableSteps(definition, CLIENT_FACING);
    assert.deepEqual(
      steps.map((s) => [s.id, s.kind, s.title]),
      [
        ['details', 'form', 'Account details'],
        ['form', 'passkeyRegistration', 'form'],
        ['signIn', 'passkeyAuthentication', 'signIn'],
        ['login', 'passkeyAuthentication', 'login'],
        ['code', 'emailCode', 'code'],
        ['device', 'deviceStatus', 'device'],
      ],
    );
    assert.deepEqual(choicesOf(steps[1]!), ['succeeds', 'userCancels', 'timesOut', 'failsUserVerification']);
    assert.deepEqual(choicesOf(steps[3]!), ['succeeds', 'userCancels', 'timesOut', 'failsUserVerification', 'unknownCredential', 'branch:password']);
    assert.deepEqual(choicesOf(steps[5]!), ['knownForThisUser', 'knownForAnotherUser', 'unknown']);
    assert.deepEqual(answerableSteps(undefined, CLIENT_FACING), []);
    assert.deepEqual(answerableSteps({ steps: 'nope' }, CLIENT_FACING), []);
  });

  test('the script: form input or action; a passkey or code mishap on the first visit only; a branch in the runtime’s own shape', () => {
    const steps = answerableSteps(definition, CLIENT_FACING);
    const script = buildScript(steps, {
      details: { choice: 'submit', formData: '{"userName":"ada"}' },
      form: { choice: 'userCancels', formData: '{}' },
      signIn: { choice: 'unknownCredential', formData: '{"x":1}' },
      login: { choice: 'branch:password', formData: '{"password":"pw"}' },
      code: { choice: 'wrongCodeOnce', formData: '' },
      device: { choice: 'knownForAnotherUser', formData: 'not json' },
    });
    assert.deepEqual(script, {
      details: { userName: 'ada' },
      form: ['userCancels', {}],
      signIn: ['unknownCredential', { x: 1 }],
      login: { clientResponseOptionId: 'password', data: { password: 'pw' } },
      code: ['wrongCode', 'succeeds'],
      device: { deviceStatus: 'knownForAnotherUser' },
    });
    const always = buildScript(steps, { code: { choice: 'wrongCodeAlways', formData: '' } })!;
    assert.equal((always.code as string[]).length, 10);
    assert.deepEqual(always.login, {}, 'a Login Form that succeeds sends the passkey, no fields');
    assert.deepEqual(buildScript(steps, { details: { choice: 'timesOut', formData: 'not json' } })?.details, 'timesOut');
    assert.equal(buildScript(steps, { details: { choice: 'submit', formData: '[1]' } }), undefined, 'form data must be a JSON object');
  });

  test('form data: empty is {}, anything but an object is invalid; the first choice is the default', () => {
    assert.deepEqual(parseFormData('  '), {});
    assert.equal(parseFormData('{'), 'invalid');
    assert.equal(parseFormData('"x"'), 'invalid');
    assert.deepEqual(defaultAnswer({ id: 'f', type: 't', title: 'f', kind: 'emailCode', branches: [] }), { choice: 'succeeds', formData: '{}' });
  });
});
