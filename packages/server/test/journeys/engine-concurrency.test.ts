import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { MAX_VARS_BYTES } from '../../src/journeys/engine/step-runner.ts';
import { ManualClock } from '../../src/shared/clock.ts';
import { DATABASE_KINDS } from '../support/databases.ts';
import { startTestServer, type TenantFixture, type TestServer } from '../support/test-server.ts';
import {
  definition,
  endReject,
  endSuccess,
  holdSubmits,
  instanceRows,
  probeCalls,
  publish,
  setUpTenant,
  startPublic,
  submit,
  probeStep,
} from './engine-fixture.ts';

for (const kind of DATABASE_KINDS) {
  describe(`journey engine limits and races on ${kind}`, () => {
    let server: TestServer;
    let admin: TenantFixture;
    let userId: string;
    const clock = new ManualClock('2026-03-01T10:00:00Z');

    before(async () => {
      server = await startTestServer({ kind, stepTypes: [probeStep], clock });
      ({ admin, userId } = await setUpTenant(server));
    });
    after(() => server.close());

    test('two parallel submits of one step: exactly one advances, the other gets 409 and the step runs once', async () => {
      await publish(admin, 'race', definition([{ id: 'ask', type: 'test.prompt', outcomes: { next: 'done' } }, endSuccess()]));
      const started = await startPublic(server, 'race');
      const before = probeCalls.submits;
      const hold = holdSubmits();
      const body = { clientResponseOptionId: 'client_input', data: { user: userId } };
      const a = submit(server, started.body.sessionId, body);
      const b = submit(server, started.body.sessionId, body);
      // The loser answers while the winner is still inside the step.
      const loser = await Promise.race([a, b]);
      assert.equal(loser.status, 409, JSON.stringify(loser.body));
      assert.equal(loser.body.code, 'JOURNEY_STEP_ALREADY_SUBMITTED');
      hold.open();
      const results = await Promise.all([a, b]);
      const winners = results.filter((r) => r.status === 200);
      assert.equal(winners.length, 1);
      assert.equal(winners[0]!.body.journeyStepId, 'success');
      assert.equal(probeCalls.submits - before, 1, 'the step ran once');
      const row = (await instanceRows(server)).at(-1)!;
      assert.equal(row.status, 'succeeded');
      assert.equal(Number(row.revision), 3, 'start, claim, finish');
    });

    test('a step whose node died mid-submit is not run again: the next request ends the journey JOURNEY_INTERRUPTED', async () => {
      await publish(admin, 'crash', definition([{ id: 'ask', type: 'test.prompt', outcomes: { next: 'done' } }, endSuccess()]));
      const started = await startPublic(server, 'crash');
      const hold = holdSubmits();
      const body = { clientResponseOptionId: 'client_input', data: { user: userId } };
      const stuck = submit(server, started.body.sessionId, body);
      // Wait until the first submit has claimed the step (it is then held inside the step).
      while ((await instanceRows(server)).at(-1)!.status !== 'running') await new Promise((resolve) => setImmediate(resolve));
      const tooSoon = await submit(server, started.body.sessionId, body);
      assert.equal(tooSoon.status, 409, 'a step in flight is not taken over');
      clock.advance(3 * 60_000);
      const retried = await submit(server, started.body.sessionId, body);
      assert.equal(retried.status, 200);
      assert.equal(retried.body.journeyStepId, 'rejection');
      assert.equal(retried.body.data.code, 'JOURNEY_INTERRUPTED');
      hold.open();
      // The late first submit cannot overwrite the ended journey.
      assert.equal((await stuck).status, 409);
      const row = (await instanceRows(server)).at(-1)!;
      assert.equal(row.status, 'rejected');
      assert.equal(row.result_code, 'JOURNEY_INTERRUPTED');
    });

    test('a runaway loop of server-side steps is stopped with JOURNEY_STEP_LIMIT_EXCEEDED', async () => {
      await publish(
        admin,
        'loop',
        definition(
          [
            { id: 'spin', type: 'general.setVariables', parameters: { variables: { n: '${n + 1}' } }, outcomes: { success: 'again' } },
            { id: 'again', type: 'general.condition', parameters: { condition: '${n < 1000000}' }, outcomes: { true: 'spin', false: 'done' } },
            endSuccess(),
          ],
          { variables: { n: { type: 'integer', default: 0 } } },
        ),
      );
      const started = await startPublic(server, 'loop');
      assert.equal(started.status, 200);
      assert.equal(started.body.journeyStepId, 'rejection');
      assert.equal(started.body.data.code, 'JOURNEY_STEP_LIMIT_EXCEEDED');
      const row = (await instanceRows(server)).at(-1)!;
      assert.equal(row.status, 'rejected');
      assert.equal(row.result_code, 'JOURNEY_STEP_LIMIT_EXCEEDED');
      assert.equal(JSON.parse(row.vars).n, 50, '100 steps: 50 loops of two');
    });

    for (const [name, doubled] of [
      ['a string', { s: '${s + s}' }],
      ['a list', { s: '${[s, s]}' }],
      ['a map', { s: '${{"a": s, "b": s}}' }],
      ['a template', { s: '${s}${s}' }],
    ] as const) {
      test(`a loop doubling ${name} is stopped as it grows with JOURNEY_STATE_TOO_LARGE, without ballooning memory`, async () => {
        const id = `double-${name.replace(/\W/g, '')}`;
        await publish(
          admin,
          id,
          definition(
            [
              { id: 'double', type: 'general.setVariables', parameters: { variables: doubled }, outcomes: { success: 'again' } },
              { id: 'again', type: 'general.condition', parameters: { condition: '${true}' }, outcomes: { true: 'double', false: 'done' } },
              endSuccess(),
            ],
            { variables: { s: { type: 'string', default: 'abcdefgh' } } },
          ),
        );
        const peakBefore = process.resourceUsage().maxRSS;
        const started = await startPublic(server, id);
        assert.equal(started.status, 200);
        assert.equal(started.body.journeyStepId, 'rejection');
        assert.equal(started.body.data.code, 'JOURNEY_STATE_TOO_LARGE', JSON.stringify(started.body.data));
        assert.equal(started.body.data.stepId, 'double', JSON.stringify(started.body.data));
        // 2^100 copies were asked for: the process peak grew by far less than the state limit would let a few steps make.
        const grewKiB = process.resourceUsage().maxRSS - peakBefore;
        assert.ok(grewKiB < 200 * 1024, `peak memory grew by ${grewKiB} KiB`);
        const row = (await instanceRows(server)).at(-1)!;
        assert.equal(row.status, 'rejected');
        assert.equal(row.result_code, 'JOURNEY_STATE_TOO_LARGE');
        assert.ok(Buffer.byteLength(row.vars) <= MAX_VARS_BYTES, 'the last state within the limit is kept, nothing larger');
      });
    }

    test('one expression doing too much work (a long chain of list concatenations) is stopped with JOURNEY_EXPRESSION_BUDGET_EXCEEDED, without ballooning memory', async () => {
      const eight = (name: string) => `\${${Array.from({ length: 8 }, () => name).join(' + ')}}`;
      await publish(
        admin,
        'heavy',
        definition(
          [
            // 100 → 800 → 6,400 → 51,200 elements (about 200 KB of JSON, within the state limit).
            {
              id: 'seed',
              type: 'general.setVariables',
              parameters: { variables: { l: `\${[${Array.from({ length: 100 }, () => '"x"').join(',')}]}` } },
              outcomes: { success: 'grow1' },
            },
            { id: 'grow1', type: 'general.setVariables', parameters: { variables: { l: eight('l') } }, outcomes: { success: 'grow2' } },
            { id: 'grow2', type: 'general.setVariables', parameters: { variables: { l: eight('l') } }, outcomes: { success: 'grow3' } },
            { id: 'grow3', type: 'general.setVariables', parameters: { variables: { l: eight('l') } }, outcomes: { success: 'heavy' } },
            // 120 concatenations copy the growing list each time: hundreds of millions of element copies.
            {
              id: 'heavy',
              type: 'general.setVariables',
              parameters: { variables: { n: `\${(${Array.from({ length: 120 }, () => 'l').join(' + ')}).size()}` } },
              outcomes: { success: 'done' },
            },
            endSuccess(),
          ],
          { variables: { l: { type: 'array', default: [] }, n: { type: 'integer', default: 0 } } },
        ),
      );
      const peakBefore = process.resourceUsage().maxRSS;
      const started = await startPublic(server, 'heavy');
      assert.equal(started.status, 200);
      assert.equal(started.body.data.code, 'JOURNEY_EXPRESSION_BUDGET_EXCEEDED', JSON.stringify(started.body.data).slice(0, 300));
      assert.equal(started.body.data.stepId, 'heavy');
      const grewKiB = process.resourceUsage().maxRSS - peakBefore;
      // Unstopped, the step would copy hundreds of millions of elements (gigabytes). What it allocates before the
      // deadline stops it depends on how much CPU the process got meanwhile; 512 MiB leaves room for a loaded machine.
      assert.ok(grewKiB < 512 * 1024, `peak memory grew by ${grewKiB} KiB`);
      const row = (await instanceRows(server)).at(-1)!;
      assert.equal(row.result_code, 'JOURNEY_EXPRESSION_BUDGET_EXCEEDED');
      assert.equal(JSON.parse(row.vars).l.length, 51_200, 'the state before the heavy step is kept');
      assert.equal(JSON.parse(row.vars).n, 0);
    });

    test('a submit after the step timeout takes the timeout outcome without running the step', async () => {
      await publish(
        admin,
        'slow',
        definition([
          { id: 'ask', type: 'test.prompt', timeoutSeconds: 60, outcomes: { next: 'done', timeout: 'late' } },
          endSuccess(),
          endReject('late', 'TOO_SLOW'),
        ]),
      );
      const onTime = await startPublic(server, 'slow');
      assert.equal(new Date(onTime.body.stepExpiresAt).getTime() - clock.now().getTime(), 60_000, 'the client is told when the step times out');
      clock.advance(59_000);
      const inTime = await submit(server, onTime.body.sessionId, { clientResponseOptionId: 'client_input', data: { user: userId } });
      assert.equal(inTime.body.journeyStepId, 'success');

      const late = await startPublic(server, 'slow');
      const before = probeCalls.submits;
      clock.advance(61_000);
      const timedOut = await submit(server, late.body.sessionId, { clientResponseOptionId: 'client_input', data: { user: userId } });
      assert.equal(timedOut.body.journeyStepId, 'rejection');
      assert.equal(timedOut.body.data.code, 'TOO_SLOW');
      assert.equal(probeCalls.submits, before, 'the step’s submit did not run');
    });

    test('a step type’s own timeout without a wired timeout outcome rejects with JOURNEY_STEP_TIMEOUT', async () => {
      await publish(
        admin,
        'slow2',
        definition([{ id: 'ask', type: 'test.prompt', parameters: { timeoutSeconds: 5 }, outcomes: { next: 'done' } }, endSuccess()]),
      );
      const started = await startPublic(server, 'slow2');
      clock.advance(6_000);
      const timedOut = await submit(server, started.body.sessionId, { clientResponseOptionId: 'client_input' });
      assert.equal(timedOut.body.journeyStepId, 'rejection');
      assert.equal(timedOut.body.data.code, 'JOURNEY_STEP_TIMEOUT');
    });

    test('an expired journey session is refused with 410 and nothing changes', async () => {
      await publish(admin, 'short', definition([{ id: 'ask', type: 'test.prompt', outcomes: { next: 'done' } }, endSuccess()], { expiresInSeconds: 60 }));
      const started = await startPublic(server, 'short');
      clock.advance(60_000);
      const expired = await submit(server, started.body.sessionId, { clientResponseOptionId: 'client_input' });
      assert.equal(expired.status, 410);
      assert.equal(expired.body.code, 'JOURNEY_SESSION_EXPIRED');
      assert.equal((await instanceRows(server)).at(-1)!.status, 'waiting');
    });
  });
}
