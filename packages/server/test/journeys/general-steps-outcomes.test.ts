import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { conditionStep } from '../../src/journeys/steps/general/condition.ts';
import { endStep } from '../../src/journeys/steps/general/end.ts';
import { setVariablesStep } from '../../src/journeys/steps/general/set-variables.ts';
import { validateDefinition } from '../../src/journeys/definition-validation.ts';
import { DATABASE_KINDS } from '../support/databases.ts';
import { startTestServer, type TenantFixture, type TestServer } from '../support/test-server.ts';
import { definition, endReject, endSuccess, instanceRows, publish, setUpTenant, startPublic, STORE } from './engine-fixture.ts';

describe('general step types: declarations', () => {
  test('condition, set variables and end declare their outcomes and required parameters', () => {
    assert.deepEqual(conditionStep.outcomes, ['true', 'false']);
    assert.deepEqual(setVariablesStep.outcomes, ['success']);
    assert.deepEqual(endStep.outcomes, []);
    for (const step of [conditionStep, setVariablesStep, endStep]) assert.equal(step.clientFacing, false);
    const missing = (type: string) =>
      validateDefinition(definition([{ id: 's', type }]))
        .problems.filter((p) => p.code === 'MISSING_PARAMETER')
        .map((p) => p.pointer);
    assert.deepEqual(missing('general.condition'), ['/steps/0/parameters/condition']);
    assert.deepEqual(missing('general.setVariables'), ['/steps/0/parameters/variables']);
    assert.deepEqual(missing('general.end'), ['/steps/0/parameters/result']);
  });

  test('end: a rejection code must look like a problem code', () => {
    const report = validateDefinition(definition([{ id: 'e', type: 'general.end', parameters: { result: 'rejection', code: 'lower case' } }]));
    assert.deepEqual(
      report.problems.map((p) => `${p.code} ${p.pointer}`),
      ['INVALID_PARAMETER /steps/0/parameters/code'],
    );
  });
});

for (const kind of DATABASE_KINDS) {
  describe(`general steps at run time on ${kind}`, () => {
    let server: TestServer;
    let admin: TenantFixture;
    let userId: string;

    before(async () => {
      server = await startTestServer({ kind });
      ({ admin, userId } = await setUpTenant(server));
    });
    after(() => server.close());

    test('condition: true and false outcomes from an expression over an input variable', async () => {
      await publish(
        admin,
        'cond',
        definition(
          [
            { id: 'check', type: 'general.condition', parameters: { condition: '${age >= 18}' }, outcomes: { true: 'adult', false: 'minor' } },
            endReject('adult', 'ADULT'),
            endReject('minor', 'MINOR'),
          ],
          { variables: { age: { type: 'integer', input: true, default: 0 } }, access: { public: false } },
        ),
      );
      assert.equal((await admin.api.post('/acme/journeys/cond/start', { variables: { age: 30 } })).body.data.code, 'ADULT');
      assert.equal((await admin.api.post('/acme/journeys/cond/start', { variables: { age: 12 } })).body.data.code, 'MINOR');
      assert.equal((await admin.api.post('/acme/journeys/cond/start', {})).body.data.code, 'MINOR', 'the default applies');
      const notInput = await admin.api.post('/acme/journeys/cond/start', { variables: { other: 1 } });
      assert.equal(notInput.status, 400);
      assert.equal(notInput.body.code, 'VALIDATION_FAILED');
    });

    test('condition: a non-boolean value rejects with JOURNEY_PARAMETERS_INVALID; a failing expression with JOURNEY_EXPRESSION_FAILED', async () => {
      await publish(
        admin,
        'cond-bad',
        definition([
          { id: 'check', type: 'general.condition', parameters: { condition: '${"yes"}' }, outcomes: { true: 'done', false: 'done' } },
          endSuccess(),
        ]),
      );
      const started = await startPublic(server, 'cond-bad');
      assert.equal(started.body.journeyStepId, 'rejection');
      assert.equal(started.body.data.code, 'JOURNEY_PARAMETERS_INVALID');
      assert.equal(started.body.data.stepId, 'check');
      await publish(
        admin,
        'cond-err',
        definition([
          { id: 'check', type: 'general.condition', parameters: { condition: '${missing.value}' }, outcomes: { true: 'done', false: 'done' } },
          endSuccess(),
        ]),
      );
      const failed = await startPublic(server, 'cond-err');
      assert.equal(failed.body.data.code, 'JOURNEY_EXPRESSION_FAILED');
      assert.match(failed.body.data.detail, /missing/);
    });

    test('set variables: typed values, templates and references to earlier variables are stored in the instance', async () => {
      await publish(
        admin,
        'vars',
        definition(
          [
            {
              id: 'set1',
              type: 'general.setVariables',
              parameters: { variables: { n: '${n + 41}', label: 'n is ${n + 41}', list: ['${n}', 'x'], obj: { nested: '${n > 0}' } } },
              outcomes: { success: 'set2' },
            },
            { id: 'set2', type: 'general.setVariables', parameters: { variables: { label: '${label + "!"}' } }, outcomes: { success: 'end' } },
            endReject('end', 'STOP'),
          ],
          { variables: { n: { type: 'integer', default: 1 }, label: { type: 'string' }, list: { type: 'array' }, obj: { type: 'object' } } },
        ),
      );
      const started = await startPublic(server, 'vars');
      assert.equal(started.body.data.code, 'STOP');
      const vars = JSON.parse((await instanceRows(server)).at(-1)!.vars);
      assert.equal(vars.n, 42);
      assert.equal(vars.label, 'n is 42!');
      assert.deepEqual(vars.list, [1, 'x']);
      assert.deepEqual(vars.obj, { nested: true });
    });

    test('end: a success that authenticated nobody carries no ID token and no record of a user merely named; rejection carries the code', async () => {
      await publish(admin, 'end-ok', definition([endSuccess()], { access: { public: false } }));
      const ok = await admin.api.post('/acme/journeys/end-ok/start', { user: { userId } });
      assert.equal(ok.body.journeyStepId, 'success');
      assert.deepEqual(ok.body.data, {});
      const jwks = await server.http.get('/acme/.well-known/jwks.json');
      assert.equal(jwks.status, 200);

      // A disabled user gets no token.
      await admin.api.patch(`/api/identity-store/stores/${STORE}/users/${userId}`, { status: 'disabled' });
      const disabled = await admin.api.post('/acme/journeys/end-ok/start', { user: { userId } });
      assert.equal(disabled.body.journeyStepId, 'rejection');
      assert.equal(disabled.body.data.code, 'USER_DISABLED');
      await admin.api.patch(`/api/identity-store/stores/${STORE}/users/${userId}`, { status: 'active' });

      await publish(admin, 'end-no', definition([{ id: 'no', type: 'general.end', parameters: { result: 'rejection' } }]));
      assert.equal((await startPublic(server, 'end-no')).body.data.code, 'JOURNEY_REJECTED', 'the default code');
    });
  });
}
