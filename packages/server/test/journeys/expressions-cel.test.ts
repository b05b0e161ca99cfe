import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { compileValue, CompiledJourneyCache, evaluateValue } from '../../src/journeys/compiled-journey.ts';
import { compileString, evaluateString, evaluationContext, ExpressionError, splitTemplate } from '../../src/journeys/expressions.ts';
import { definition, endSuccess } from './engine-fixture.ts';

const vars = {
  _identityStore: {
    passkeys: {
      registrations: {
        passkeyReg1: { currentPasskeyRegistrationRecord: { startPasskeyRegistrationResponse: { clientRequest: { challenge: 'abc', timeout: 60000 } } } },
      },
      authentications: {
        passkeyAuth1: { currentPasskeyAuthenticationRecord: { startPasskeyAuthenticationResponse: { clientRequest: { challenge: 'xyz' } } } },
      },
    },
  },
  loginData: { webauthn_encoded_result: 'ZW5jb2RlZA' },
  registrationForm: { username: 'alice', displayName: 'Alice' },
  user: { userId: 'u1', externalId: 'ext-1', storeName: 'customers' },
  retries: 2,
  ratio: 0.5,
};
const evaluate = (source: string) => evaluateString(compileString(source), evaluationContext(vars));

describe('journey expressions (CEL)', () => {
  test('the TrustX paths with bracket string keys, form outputs, loginData and the user', () => {
    assert.deepEqual(
      evaluate('${_identityStore.passkeys.registrations["passkeyReg1"].currentPasskeyRegistrationRecord.startPasskeyRegistrationResponse.clientRequest}'),
      { challenge: 'abc', timeout: 60000 },
    );
    assert.equal(
      evaluate(
        '${_identityStore.passkeys.authentications["passkeyAuth1"].currentPasskeyAuthenticationRecord.startPasskeyAuthenticationResponse.clientRequest.challenge}',
      ),
      'xyz',
    );
    assert.equal(evaluate('${loginData.webauthn_encoded_result}'), 'ZW5jb2RlZA');
    assert.equal(evaluate('${registrationForm.username}'), 'alice');
    assert.equal(evaluate('${user.externalId}'), 'ext-1');
  });

  test('whole expressions keep their type; templates make strings; $${ is a literal', () => {
    assert.equal(evaluate('${retries + 1}'), 3);
    assert.equal(evaluate('${retries > 1}'), true);
    assert.equal(evaluate('${ratio * 2.0}'), 1);
    assert.equal(evaluate('Hello ${registrationForm.displayName}, try ${retries}'), 'Hello Alice, try 2');
    assert.equal(evaluate('${has(registrationForm.username) ? "yes" : "no"}'), 'yes');
    assert.equal(evaluate('${registrationForm.?missing.orValue("fallback")}'), 'fallback');
    assert.deepEqual(evaluate('${ {"a": "}", "b": [1, 2]} }'), { a: '}', b: [1, 2] });
    assert.equal(evaluate('cost: $${price}'), 'cost: ${price}');
    assert.deepEqual(splitTemplate('a ${"}"} b'), [{ literal: 'a ' }, { source: '"}"' }, { literal: ' b' }]);
  });

  test('syntax errors are found at compile time, evaluation errors at run time, each an ExpressionError', () => {
    assert.throws(() => compileString('${1 +}'), ExpressionError);
    assert.throws(() => compileString('${unclosed'), /unterminated/);
    assert.throws(() => compileString('${}'), /empty/);
    assert.throws(
      () => evaluate('${nobody.name}'),
      (error: unknown) => error instanceof ExpressionError && /nobody/.test(error.message),
    );
    assert.throws(() => evaluate('${registrationForm.nope}'), ExpressionError);
  });

  test('sandbox: no globals, prototypes, functions or code construction are reachable', () => {
    for (const source of [
      '${constructor}',
      '${registrationForm.constructor}',
      '${registrationForm["__proto__"]}',
      '${process}',
      '${globalThis}',
      '${Function("return 1")}',
      '${registrationForm.username.constructor}',
    ]) {
      assert.throws(() => evaluate(source), ExpressionError, source);
    }
  });

  test('expressions are compiled once per published version, not per request', () => {
    const cache = new CompiledJourneyCache(2);
    let loads = 0;
    const load = () => {
      loads += 1;
      return definition([
        { id: 'c', type: 'general.condition', parameters: { condition: '${retries > 1}' }, outcomes: { true: 'done', false: 'done' } },
        endSuccess(),
      ]) as never;
    };
    const first = cache.get('v1', load);
    assert.equal(cache.get('v1', load), first);
    assert.equal(loads, 1);
    const compiled = first.steps.get('c')!.parameters;
    assert.equal(compiled.kind, 'object');
    assert.deepEqual(evaluateValue(compiled, evaluationContext(vars)), { condition: true });
    cache.get('v2', load);
    cache.get('v3', load);
    assert.equal(cache.size, 2, 'bounded');
    assert.deepEqual(compileValue({ a: 'plain', b: [1] }), { kind: 'const', value: { a: 'plain', b: [1] } });
  });
});
