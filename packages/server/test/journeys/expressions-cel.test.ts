import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { compileValue, CompiledJourneyCache, evaluateValue } from '../../src/journeys/compiled-journey.ts';
import {
  compileString,
  evaluateString,
  evaluationContext,
  EXPRESSION_BUDGET_MS,
  ExpressionBudget,
  ExpressionBudgetError,
  ExpressionError,
  splitTemplate,
} from '../../src/journeys/expressions.ts';
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
const evaluate = (source: string) => evaluateString(compileString(source), evaluationContext(vars), new ExpressionBudget());

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
    assert.deepEqual(evaluateValue(compiled, evaluationContext(vars), new ExpressionBudget()), { condition: true });
    cache.get('v2', load);
    cache.get('v3', load);
    assert.equal(cache.size, 2, 'bounded');
    assert.deepEqual(compileValue({ a: 'plain', b: [1] }), { kind: 'const', value: { a: 'plain', b: [1] } });
  });

  describe('the expression time of a run', () => {
    /** A clock that reads `stepMs` more at every reading: each evaluation (two readings) costs exactly `stepMs`. */
    const ticking = (stepMs: number) => {
      let now = 0;
      let readings = 0;
      return {
        now: () => {
          readings += 1;
          return (now += stepMs);
        },
        evaluations: () => readings / 2,
      };
    };
    /** A clock that never moves: only the deadline of a costly evaluation (V8 terminating it) can spend the budget. */
    const frozen = () => 0;
    // Deep equality over a hundred references to a list of 50,000 digits (about 100 KB as JSON): five million element
    // comparisons, tens of milliseconds at least, for one short expression.
    const long = Array.from({ length: 50_000 }, (_, i) => i % 10);
    const heavyVars = { v: long, w: [...long], x: [...long.slice(0, -1), -1] };
    const hundred = (name: string) => `[${Array.from({ length: 100 }, () => name).join(', ')}]`;

    test('every evaluation is charged: the evaluation that spends the rest fails, and so does every one after it', () => {
      const clock = ticking(30);
      const budget = new ExpressionBudget(100, clock.now);
      const cheap = compileString('${retries > 1}');
      const context = evaluationContext(vars);
      for (let i = 0; i < 3; i++) assert.equal(evaluateString(cheap, context, budget), true, `evaluation ${i + 1}: 30 ms each, within 100`);
      assert.throws(
        () => evaluateString(cheap, context, budget),
        (error: unknown) => error instanceof ExpressionBudgetError && /100 ms in total/.test(error.message) && error.expression === 'retries > 1',
      );
      assert.equal(clock.evaluations(), 4);
      assert.throws(() => evaluateString(cheap, context, budget), ExpressionBudgetError);
      assert.equal(clock.evaluations(), 4, 'a spent budget evaluates nothing more');
      assert.equal(budget.exhausted, true);
    });

    test('a template charges each of its expressions; a fresh budget (a new request) starts again', () => {
      const clock = ticking(40);
      const template = compileString('${retries} and ${retries} and ${retries}');
      assert.throws(() => evaluateString(template, evaluationContext(vars), new ExpressionBudget(100, clock.now)), ExpressionBudgetError);
      assert.equal(clock.evaluations(), 3);
      assert.equal(evaluateString(compileString('${retries}'), evaluationContext(vars), new ExpressionBudget(100, clock.now)), 2);
    });

    test('==, != and in run under the deadline of the time left: a large deep comparison is stopped, not finished', () => {
      const context = evaluationContext(heavyVars);
      for (const source of [`\${${hundred('v')} == ${hundred('w')}}`, `\${${hundred('v')} != ${hundred('w')}}`, `\${x in ${hundred('v')}}`]) {
        const budget = new ExpressionBudget(1, frozen);
        assert.throws(() => evaluateString(compileString(source), context, budget), ExpressionBudgetError, source.slice(0, 40));
        assert.equal(budget.exhausted, true);
      }
      // With a budget of time to do it, the same comparison is made.
      assert.equal(evaluateString(compileString(`\${${hundred('v')} == ${hundred('w')}}`), context, new ExpressionBudget(EXPRESSION_BUDGET_MS * 100)), true);
      // Ordering comparisons and paths cannot take long: no deadline, so a frozen clock charges them nothing.
      const budget = new ExpressionBudget(1, frozen);
      assert.equal(evaluateString(compileString('${retries > 1 ? ratio : 0.0}'), evaluationContext(vars), budget), 0.5);
      assert.equal(budget.exhausted, false);
    });
  });
});
