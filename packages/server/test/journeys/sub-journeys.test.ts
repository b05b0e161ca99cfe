// Sub-journeys: a journey runs another published journey of its store with input and output mapping, its
// client-facing steps included; a journey that would call itself is refused when published.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DATABASE_KINDS } from '../support/databases.ts';
import { startTestServer, type TenantFixture, type TestServer } from '../support/test-server.ts';
import { definition, endReject, endSuccess, probeStep, publish, setUpTenant, startPublic, submit } from './engine-fixture.ts';

for (const kind of DATABASE_KINDS) {
  describe(`sub-journeys on ${kind}`, () => {
    let server: TestServer;
    let admin: TenantFixture;
    let userId: string;

    before(async () => {
      server = await startTestServer({ kind, stepTypes: [probeStep] });
      ({ admin, userId } = await setUpTenant(server));
    });
    after(() => server.close());

    const draft = async (journeyId: string, body: Record<string, unknown>) => {
      if ((await admin.api.get(`/api/journeys/${journeyId}`)).status === 404) assert.equal((await admin.api.post('/api/journeys', { journeyId })).status, 201);
      return admin.api.request('PUT', `/api/journeys/${journeyId}/draft`, { definition: body });
    };

    test('the parent passes input, the sub-journey asks the client and identifies the user, and the parent uses its outputs', async () => {
      await publish(
        admin,
        'greet',
        definition(
          [
            { id: 'compose', type: 'general.setVariables', parameters: { variables: { sentence: '${greeting + ", " + name}' } }, outcomes: { success: 'ask' } },
            { id: 'ask', type: 'test.prompt', parameters: { message: '${sentence}' }, outcomes: { next: 'done' } },
            endSuccess(),
          ],
          { variables: { greeting: { type: 'string', input: true }, name: { type: 'string', input: true }, sentence: { type: 'string' } } },
        ),
      );
      await publish(
        admin,
        'parent',
        definition(
          [
            {
              id: 'call',
              type: 'general.subJourney',
              parameters: { journeyId: 'greet', input: { greeting: 'Hello', name: '${who}' }, output: { said: 'sentence' } },
              outcomes: { success: 'show', rejection: 'rejected' },
            },
            { id: 'show', type: 'test.prompt', parameters: { message: '${"parent heard: " + said}' }, outcomes: { next: 'done' } },
            endSuccess(),
            endReject(),
          ],
          { variables: { who: { type: 'string', default: 'Alice' }, said: { type: 'string' } } },
        ),
      );
      const started = await startPublic(server, 'parent');
      assert.equal(started.status, 200, JSON.stringify(started.body));
      assert.equal(started.body.journeyStepId, 'ask', 'the sub-journey’s client-facing step');
      assert.equal(started.body.data.message, 'Hello, Alice');

      const back = await submit(server, started.body.sessionId, { journeyStepId: 'ask', clientResponseOptionId: 'client_input', data: { user: userId } });
      assert.equal(back.status, 200, JSON.stringify(back.body));
      assert.equal(back.body.journeyStepId, 'show');
      assert.equal(back.body.data.message, 'parent heard: Hello, Alice', 'the parent uses the sub-journey’s output');
      assert.deepEqual(back.body.data.user, { storeName: 'customers', userId }, 'the user the sub-journey identified is the parent’s');

      const done = await submit(server, back.body.sessionId, { journeyStepId: 'show', clientResponseOptionId: 'client_input', data: {} });
      assert.equal(done.body.journeyStepId, 'success', JSON.stringify(done.body));
      assert.equal(done.body.data.user.id, userId);
      const events = await server.database.db.selectFrom('audit_events').select(['action', 'target_id']).where('action', '=', 'journey.success').execute();
      assert.deepEqual(
        events.map((e) => e.target_id),
        ['parent'],
        'one end, the parent’s',
      );
    });

    test('a sub-journey’s rejection leaves the calling step by `rejection`', async () => {
      await publish(admin, 'refuse', definition([endReject('no', 'CHILD_REFUSED')]));
      await publish(
        admin,
        'asks-refuse',
        definition([
          { id: 'call', type: 'general.subJourney', parameters: { journeyId: 'refuse' }, outcomes: { success: 'done', rejection: 'sorry' } },
          endSuccess(),
          endReject('sorry', 'PARENT_SORRY'),
        ]),
      );
      const started = await startPublic(server, 'asks-refuse');
      assert.equal(started.body.journeyStepId, 'rejection');
      assert.equal(started.body.data.code, 'PARENT_SORRY');
    });

    test('an input of the wrong type for the sub-journey’s declaration ends the call JOURNEY_PARAMETERS_INVALID, before the sub-journey runs', async () => {
      await publish(
        admin,
        'counts',
        definition([{ id: 'show', type: 'test.prompt', parameters: { message: '${count}' }, outcomes: { next: 'done' } }, endSuccess()], {
          variables: { count: { type: 'integer', input: true, default: 0 } },
        }),
      );
      const caller = (count: string) =>
        definition([
          { id: 'call', type: 'general.subJourney', parameters: { journeyId: 'counts', input: { count } }, outcomes: { success: 'done' } },
          endSuccess(),
        ]);
      await publish(admin, 'passes-text', caller('${"three"}'));
      const refused = await startPublic(server, 'passes-text');
      assert.equal(refused.body.journeyStepId, 'rejection');
      assert.deepEqual(refused.body.data, {
        code: 'JOURNEY_PARAMETERS_INVALID',
        stepId: 'call',
        detail: 'input.count: not of type integer (the type counts declares)',
      });
      await publish(admin, 'passes-number', caller('${1 + 2}'));
      const shown = await startPublic(server, 'passes-number');
      assert.equal(shown.body.journeyStepId, 'show');
      assert.equal(shown.body.data.message, 3);
    });

    test('cycles are refused when published: a journey calling itself, or back through another; unpublished and non-constant ids too', async () => {
      const call = (journeyId: unknown) => ({
        id: 'call',
        type: 'general.subJourney',
        parameters: { journeyId },
        outcomes: { success: 'done', rejection: 'done' },
      });
      await publish(admin, 'ping', definition([endSuccess()]));

      const self = await draft('loop', definition([call('loop'), endSuccess()]));
      assert.equal(self.status, 200);
      assert.deepEqual(
        self.body.validation.problems.map((p: { code: string; message: string }) => p.code),
        ['SUBJOURNEY_CYCLE'],
      );
      const refused = await admin.api.post('/api/journeys/loop/publish');
      assert.equal(refused.status, 400);
      assert.equal(refused.body.code, 'JOURNEY_DEFINITION_INVALID');

      // pong calls ping (published); ping is then changed to call pong: the cycle is found from either side.
      await publish(admin, 'pong', definition([call('ping'), endSuccess()]));
      const back = await draft('ping', definition([call('pong'), endSuccess()]));
      assert.deepEqual(
        back.body.validation.problems.map((p: { code: string; message: string }) => `${p.code} ${p.message}`),
        ['SUBJOURNEY_CYCLE the journey would call itself: ping → pong → ping'],
      );
      assert.equal((await admin.api.post('/api/journeys/ping/publish')).status, 400);

      const unknown = await draft('calls-nothing', definition([call('nowhere'), endSuccess()]));
      assert.deepEqual(
        unknown.body.validation.problems.map((p: { code: string }) => p.code),
        ['UNKNOWN_SUBJOURNEY'],
      );
      // An output mapping cannot write who the user is: that comes back from the sub-journey on its own.
      const forged = await draft(
        'forges-user',
        definition([{ ...call('ping'), parameters: { journeyId: 'ping', output: { user: 'someone' } } }, endSuccess()]),
      );
      assert.deepEqual(
        [...new Set(forged.body.validation.problems.map((p: { code: string; pointer: string }) => `${p.code} ${p.pointer}`))],
        ['INVALID_PARAMETER /steps/0/parameters/output'],
        'the name `user` is refused (as a reserved name and by the property-name rule)',
      );
      const computed = await draft(
        'calls-computed',
        definition([call('${target}'), endSuccess()], { variables: { target: { type: 'string', default: 'ping' } } }),
      );
      assert.deepEqual(
        computed.body.validation.problems.map((p: { code: string }) => p.code),
        ['SUBJOURNEY_NOT_CONSTANT'],
      );
    });
  });
}
