import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { MAX_EXPRESSIONS, validateDefinition } from '../../src/journeys/definition-validation.ts';
import { DATABASE_KINDS } from '../support/databases.ts';
import { startTestServer, type TenantFixture, type TestServer } from '../support/test-server.ts';
import { definition, endReject, endSuccess } from './engine-fixture.ts';

const problemsOf = (document: unknown) => validateDefinition(document).problems.map((p) => `${p.severity} ${p.code} ${p.stepId ?? '-'} ${p.pointer}`);

describe('journey definition validation reports', () => {
  test('a valid definition has no errors (unwired outcomes are warnings)', () => {
    const report = validateDefinition(
      definition([{ id: 'check', type: 'general.condition', parameters: { condition: '${true}' }, outcomes: { true: 'done' } }, endSuccess()]),
    );
    assert.equal(report.valid, true);
    assert.deepEqual(
      problemsOf(definition([{ id: 'check', type: 'general.condition', parameters: { condition: '${true}' }, outcomes: { true: 'done' } }, endSuccess()])),
      ['warning UNWIRED_OUTCOME check /steps/0/outcomes'],
    );
  });

  test('each problem names the step and the JSON pointer of the parameter', () => {
    const report = validateDefinition(
      definition(
        [
          { id: 'check', type: 'general.condition', parameters: {}, outcomes: { true: 'done', false: 'nowhere', maybe: 'done' } },
          { id: 'vars', type: 'general.setVariables', parameters: { variables: { x: '${1 +}', undeclared: 1 }, extra: 1 }, outcomes: { success: 'done' } },
          { id: 'mystery', type: 'acme.unknown', outcomes: {} },
          { id: 'orphan', type: 'general.end', parameters: { result: 'maybe' } },
          { id: 'ask', type: 'general.condition', parameters: { condition: 'yes' }, timeoutSeconds: 5, outcomes: { true: 'vars', false: 'done' } },
          endSuccess(),
        ],
        { start: 'check', variables: { x: { type: 'integer', default: 'zero' } } },
      ),
    );
    assert.equal(report.valid, false);
    const lines = report.problems
      .filter((p) => p.severity === 'error')
      .map((p) => `${p.code} ${p.stepId ?? '-'} ${p.pointer}`)
      .sort();
    assert.deepEqual(lines, [
      'DANGLING_REFERENCE check /steps/0/outcomes/false',
      'EXPRESSION_SYNTAX vars /steps/1/parameters/variables/x',
      'INVALID_PARAMETER ask /steps/4/parameters/condition',
      'INVALID_PARAMETER orphan /steps/3/parameters/result',
      'INVALID_VARIABLE - /variables/x/default',
      'MISSING_PARAMETER check /steps/0/parameters/condition',
      'TIMEOUT_NOT_ALLOWED ask /steps/4/timeoutSeconds',
      'UNDECLARED_VARIABLE vars /steps/1/parameters/variables/undeclared',
      'UNKNOWN_OUTCOME check /steps/0/outcomes/maybe',
      'UNKNOWN_PARAMETER vars /steps/1/parameters/extra',
      'UNKNOWN_STEP_TYPE mystery /steps/2/type',
      'UNREACHABLE_STEP ask /steps/4',
      'UNREACHABLE_STEP mystery /steps/2',
      'UNREACHABLE_STEP orphan /steps/3',
      'UNREACHABLE_STEP vars /steps/1',
    ]);
    const syntax = report.problems.find((p) => p.code === 'EXPRESSION_SYNTAX')!;
    assert.match(syntax.message, /does not parse/);
  });

  test('an expression stands for any value: a whole `${…}` passes a boolean or enum parameter', () => {
    const report = validateDefinition(
      definition([
        {
          id: 'check',
          type: 'general.condition',
          parameters: { condition: '${_identityStore.passkeys.registrations["passkeyReg1"].currentPasskeyRegistrationRecord != null}' },
          outcomes: { true: 'end', false: 'end' },
        },
        { id: 'end', type: 'general.end', parameters: { result: '${"success"}' } },
      ]),
    );
    assert.deepEqual(report.problems, []);
  });

  test('shape errors come first and alone: missing start, duplicate ids, reserved names', () => {
    assert.deepEqual(problemsOf({ schemaVersion: 1, store: 'customers', steps: [] }), ['error SCHEMA_VIOLATION - /start', 'error SCHEMA_VIOLATION - /steps']);
    assert.deepEqual(
      problemsOf(definition([{ id: 'success', type: 'general.end', parameters: { result: 'success' } }])).filter((l) => l.includes('SCHEMA')).length > 0,
      true,
    );
    assert.deepEqual(problemsOf(definition([endSuccess('a'), endReject('a')])), ['error DUPLICATE_STEP_ID a /steps/1/id']);
    assert.deepEqual(
      problemsOf({ ...definition([endSuccess()]), start: 'ghost' }),
      ['error DANGLING_REFERENCE - /start'],
      'reachability is judged only from an existing start',
    );
    assert.ok(
      problemsOf({ ...definition([endSuccess()]), variables: { user: {} } }).every((l) => l.startsWith('error SCHEMA_VIOLATION - /variables')),
      'user is reserved',
    );
  });

  test(`at most ${MAX_EXPRESSIONS} expressions a definition: more is a SCHEMA_VIOLATION, reported alone before any is parsed`, () => {
    const holding = (count: number, extra: string) =>
      definition(
        [
          {
            id: 'vars',
            type: 'general.setVariables',
            // Template parts count one by one; an escaped $${ is not an expression.
            parameters: { variables: { many: Array.from({ length: count / 2 }, () => '${a + 1} and ${a} $${literal}'), other: extra } },
            outcomes: { success: 'done' },
          },
          endSuccess(),
        ],
        { variables: { a: { type: 'integer', default: 1 }, many: { type: 'array' }, other: {} } },
      );
    assert.deepEqual(problemsOf(holding(MAX_EXPRESSIONS, 'plain')), []);
    assert.deepEqual(problemsOf(holding(MAX_EXPRESSIONS, '${1 +}')), ['error SCHEMA_VIOLATION - /steps'], 'one more, and a syntax error not looked at');
    assert.match(validateDefinition(holding(MAX_EXPRESSIONS, '${1 +}')).problems[0]!.message, /1001 \$\{…\} expressions, more than 1000/);
  });

  test('ui.positions: the designer’s node positions are checked for shape; one for a missing step is a warning', () => {
    const placed = definition([endSuccess()], { ui: { positions: { done: { x: 120.5, y: -40 } } } });
    assert.deepEqual(problemsOf(placed), []);
    assert.deepEqual(problemsOf({ ...placed, ui: { positions: { done: { x: 1 }, ghost: { x: 0, y: 0 } } } }), [
      'error SCHEMA_VIOLATION - /ui/positions/done/y',
    ]);
    assert.deepEqual(problemsOf({ ...placed, ui: { positions: { done: { x: 0, y: 0 }, ghost: { x: 0, y: 0 } } } }), [
      'warning DANGLING_REFERENCE - /ui/positions/ghost',
    ]);
    assert.deepEqual(problemsOf({ ...placed, ui: { positions: { done: { x: 2_000_000, y: 0 } } } }), ['error SCHEMA_VIOLATION - /ui/positions/done/x']);
    assert.deepEqual(problemsOf({ ...placed, ui: { zoom: 2 } }), ['error SCHEMA_VIOLATION - /ui/zoom']);
  });

  test('timeout is an outcome only of client-facing steps that declare a timeout', () => {
    const lines = problemsOf(
      definition([
        { id: 'check', type: 'general.condition', parameters: { condition: '${true}' }, outcomes: { true: 'done', false: 'done', timeout: 'done' } },
        endSuccess(),
      ]),
    );
    assert.deepEqual(lines, ['error UNKNOWN_OUTCOME check /steps/0/outcomes/timeout']);
  });
});

for (const kind of DATABASE_KINDS) {
  describe(`journey validation over the API on ${kind}`, () => {
    let server: TestServer;
    let admin: TenantFixture;
    before(async () => {
      server = await startTestServer({ kind });
      admin = await server.tenant('acme');
    });
    after(() => server.close());

    test('the JSON Schema is published and referenced from the OpenAPI document', async () => {
      const schema = await server.http.get('/schemas/journey-definition.json');
      assert.equal(schema.status, 200);
      assert.equal(schema.body.title, 'Keyway journey definition');
      assert.deepEqual(schema.body.required, ['schemaVersion', 'store', 'start', 'steps']);
      const openapi = (await server.http.get('/openapi.json')).body;
      const draftBody = openapi.paths['/api/journeys/{journeyId}/draft'].put.requestBody.content['application/json'].schema;
      assert.deepEqual(draftBody, { $ref: '#/components/schemas/UpdateJourneyDraftRequest' });
      assert.match(JSON.stringify(openapi.components.schemas.UpdateJourneyDraftRequest), /schemas\/journey-definition\.json/);
      assert.equal(openapi.paths['/api/journeys/{journeyId}/publish'].post['x-keyway-permission'], 'TNT#{tenant}#Journeys:publish');
    });

    test('an invalid draft is saved with its report; publishing it is refused with every problem and changes nothing', async () => {
      assert.equal((await admin.api.post('/api/journeys', { journeyId: 'broken' })).status, 201);
      const bad = definition([{ id: 'check', type: 'general.condition', parameters: {}, outcomes: { true: 'nowhere' } }]);
      const saved = await admin.api.request('PUT', '/api/journeys/broken/draft', { definition: bad });
      assert.equal(saved.status, 200);
      assert.equal(saved.body.validation.valid, false);
      assert.deepEqual(saved.body.journey.draft, bad);
      const validated = await admin.api.post('/api/journeys/broken/validate', {});
      assert.deepEqual(validated.body, saved.body.validation);
      const auditBefore = (await admin.api.get('/api/audit-events?limit=200')).body.items?.length;
      const published = await admin.api.post('/api/journeys/broken/publish');
      assert.equal(published.status, 400);
      assert.equal(published.body.code, 'JOURNEY_DEFINITION_INVALID');
      assert.deepEqual(published.body.errors.map((e: { field: string }) => e.field).sort(), ['/steps/0/outcomes/true', '/steps/0/parameters/condition']);
      assert.match(published.body.errors.find((e: { field: string }) => e.field === '/steps/0/parameters/condition').message, /^\[check\] MISSING_PARAMETER/);
      assert.equal((await admin.api.get('/api/journeys/broken')).body.latestVersion, null);
      assert.equal((await admin.api.get('/api/audit-events?limit=200')).body.items?.length, auditBefore);
      const body = await admin.api.post('/api/journeys/broken/validate', { definition: definition([endSuccess()]) });
      assert.equal(body.body.valid, true);
    });

    test('node positions are saved with the draft, published with the version and read back unchanged; the engine ignores them', async () => {
      const placed = definition([endSuccess()], { ui: { positions: { done: { x: 312, y: 48.25 } } } });
      assert.equal((await admin.api.post('/api/journeys', { journeyId: 'placed', definition: placed })).status, 201);
      assert.deepEqual((await admin.api.get('/api/journeys/placed')).body.draft, placed);
      const published = await admin.api.post('/api/journeys/placed/publish');
      assert.equal(published.status, 201, JSON.stringify(published.body));
      assert.deepEqual((await admin.api.get(`/api/journeys/placed/versions/${published.body.version}`)).body.definition, placed);
    });

    test('step types are listed with their parameter schemas and outcomes', async () => {
      const listed = await admin.api.get('/api/journeys/step-types');
      assert.equal(listed.status, 200);
      const condition = listed.body.items.find((s: { type: string }) => s.type === 'general.condition');
      assert.deepEqual(condition.outcomes, ['true', 'false']);
      assert.equal(condition.clientFacing, false);
      assert.deepEqual(condition.parameterSchema.required, ['condition']);
    });
  });
}
