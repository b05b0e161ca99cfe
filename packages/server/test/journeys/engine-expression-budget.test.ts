// One expression-time budget per run, charged by every step's expressions: the step runner with an injected clock, so
// what each evaluation costs is decided by the test (no wall-clock timing), and stopping early is counted in steps.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { compileJourney, type CompiledJourney } from '../../src/journeys/compiled-journey.ts';
import { JourneyVariables } from '../../src/journeys/engine/journey-variables.ts';
import { DEFAULT_MAX_STEPS_PER_REQUEST, StepRunner, type Run } from '../../src/journeys/engine/step-runner.ts';
import type { JourneyDefinition } from '../../src/journeys/definition.ts';
import { ExpressionBudget } from '../../src/journeys/expressions.ts';
import { BUILT_IN_STEPS } from '../../src/journeys/step-registry.ts';
import { ManualClock } from '../../src/shared/clock.ts';
import { definition, endReject, endSuccess } from './engine-fixture.ts';

/** A clock that reads `stepMs` more at every reading: each charge (two readings) costs exactly `stepMs`. */
function tickingClock(stepMs: number): { read: () => number; charges: () => number } {
  let now = 0;
  let readings = 0;
  return {
    read: () => {
      readings += 1;
      return (now += stepMs);
    },
    charges: () => readings / 2,
  };
}

const compile = (document: Record<string, unknown>): CompiledJourney => compileJourney(document as unknown as JourneyDefinition, BUILT_IN_STEPS);

/** A runner whose runs get a `budgetMs` budget on `clock`; sub-journeys are found in `published` (by journey id). */
function runner(clock: () => number, budgetMs: number, published: Record<string, CompiledJourney> = {}): StepRunner {
  return new StepRunner({
    clock: new ManualClock(),
    // Set Variables, Condition, End and Sub-journey reach nothing outside the run.
    port: {} as never,
    identity: { getUser: () => Promise.reject(new Error('no user is read')) },
    plans: {
      findPublished: (_tenantId, journeyId) =>
        Promise.resolve(published[journeyId] ? { journeyRowId: journeyId, versionId: journeyId, version: 1 } : undefined),
      plan: (versionId) => Promise.resolve(published[versionId]!),
    },
    expressionBudget: () => new ExpressionBudget(budgetMs, clock),
  });
}

function newRun(stepRunner: StepRunner, plan: CompiledJourney): Run {
  const values: Record<string, unknown> = {};
  for (const [name, declaration] of Object.entries(plan.definition.variables ?? {})) values[name] = structuredClone(declaration.default ?? null);
  const vars = new JourneyVariables(values);
  vars.journey = { id: 'budget', version: 1, instanceId: 'i-1', store: plan.definition.store };
  return {
    tenantId: 't',
    instanceId: 'i-1',
    rootVersionId: 'root',
    plan,
    vars,
    origin: '',
    locale: 'en',
    stepsRun: 0,
    expressionTime: stepRunner.expressionBudget(),
  };
}

/** The auditor's loop: Set Variables with eight expressions (and a counter), then a Condition back to it, forever. */
const EIGHT = Object.fromEntries(Array.from({ length: 8 }, (_, i) => [`v${i}`, `\${[1, 2, 3].exists(x, x == n + ${i})}`]));
const slowLoop = (end: Record<string, unknown> = endSuccess()) =>
  definition(
    [
      { id: 'a', type: 'general.setVariables', parameters: { variables: { ...EIGHT, n: '${n + 1}' } }, outcomes: { success: 'c' } },
      { id: 'c', type: 'general.condition', parameters: { condition: '${n >= 0}' }, outcomes: { true: 'a', false: 'done' } },
      end,
    ],
    { variables: { n: { type: 'integer', default: 0 }, ...Object.fromEntries(Object.keys(EIGHT).map((name) => [name, { type: 'boolean' }])) } },
  );

describe('the expression budget of a run', () => {
  test('the auditor’s loop ends with JOURNEY_EXPRESSION_BUDGET_EXCEEDED once the run’s budget is spent, long before the step limit', async () => {
    // 20 ms a step's parameters, 250 ms a run: the 13th evaluation spends the rest and fails.
    const clock = tickingClock(20);
    const stepRunner = runner(clock.read, 250);
    const run = newRun(stepRunner, compile(slowLoop()));
    const stop = await stepRunner.advance(run, 'a');
    assert.equal(stop.kind, 'end');
    assert.equal(stop.kind === 'end' && stop.code, 'JOURNEY_EXPRESSION_BUDGET_EXCEEDED');
    assert.equal(stop.kind === 'end' && stop.stepId, 'a');
    assert.match(String(stop.kind === 'end' && stop.message), /took longer than 250 ms in total/);
    assert.equal(clock.charges(), 13, 'six loops of two steps, then the seventh Set Variables');
    assert.equal(run.stepsRun, 13, `not ${DEFAULT_MAX_STEPS_PER_REQUEST}`);
    // Nothing half-applied: the failing step set none of its variables; the six loops before it set all of theirs.
    assert.deepEqual(run.vars.values.n, 6);
    for (const name of Object.keys(EIGHT)) assert.equal(typeof run.vars.values[name], 'boolean', name);
  });

  test('every run has its own budget: a second request on the same instance starts with the whole budget again', async () => {
    const clock = tickingClock(20);
    const stepRunner = runner(clock.read, 250);
    const plan = compile(slowLoop());
    assert.equal((await stepRunner.advance(newRun(stepRunner, plan), 'a')).kind, 'end');
    const second = newRun(stepRunner, plan);
    assert.equal(second.expressionTime.spentMs, 0);
    await stepRunner.advance(second, 'a');
    assert.equal(second.stepsRun, 13);
  });

  test('within the budget, the same runner runs a journey to its end, and the step limit still applies to cheap loops', async () => {
    const clock = tickingClock(1);
    const stepRunner = runner(clock.read, 250);
    const plan = compile(
      definition(
        [
          { id: 'count', type: 'general.setVariables', parameters: { variables: { n: '${n + 1}' } }, outcomes: { success: 'check' } },
          { id: 'check', type: 'general.condition', parameters: { condition: '${n < 3}' }, outcomes: { true: 'count', false: 'done' } },
          endSuccess(),
        ],
        { variables: { n: { type: 'integer', default: 0 } } },
      ),
    );
    const run = newRun(stepRunner, plan);
    assert.deepEqual(await stepRunner.advance(run, 'count'), { kind: 'end', result: 'success', stepId: 'done' });
    assert.equal(run.vars.values.n, 3);
    assert.equal(run.expressionTime.spentMs, 6, 'one charge per step with expressions; the end step has none');

    const loop = newRun(stepRunner, compile(slowLoop()));
    const stop = await stepRunner.advance(loop, 'a');
    assert.equal(stop.kind === 'end' && stop.code, 'JOURNEY_STEP_LIMIT_EXCEEDED', '100 steps of 1 ms each: the step limit comes first');
  });

  test('spent inside a sub-journey whose caller wires `rejection`: the caller’s steps do not run on, the run ends with the code', async () => {
    const clock = tickingClock(20);
    const child = compile(slowLoop());
    const parent = compile(
      definition(
        [
          { id: 'call', type: 'general.subJourney', parameters: { journeyId: 'child' }, outcomes: { success: 'done', rejection: 'after' } },
          { id: 'after', type: 'general.setVariables', parameters: { variables: { after: true } }, outcomes: { success: 'refused' } },
          endSuccess(),
          endReject('refused', 'PARENT_REFUSED'),
        ],
        { variables: { after: { type: 'boolean', default: false } } },
      ),
    );
    const stepRunner = runner(clock.read, 250, { child, root: parent });
    const run = newRun(stepRunner, parent);
    const stop = await stepRunner.advance(run, 'call');
    assert.equal(stop.kind === 'end' && stop.code, 'JOURNEY_EXPRESSION_BUDGET_EXCEEDED');
    assert.equal(stop.kind === 'end' && stop.stepId, 'after');
    assert.equal(run.vars.values.after, false, 'the caller’s rejection branch did not run');
    assert.equal(clock.charges(), 13);
  });
});
