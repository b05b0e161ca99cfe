// Live step timeouts: the `timeout` branch runs when the deadline passes, fired by the node holding the scheduler's
// database lease, exactly once across nodes sharing one database; the client's session then shows where it went.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ManualClock } from '../../src/shared/clock.ts';
import { DatabaseLease } from '../../src/storage/database-lease.ts';
import { DATABASE_KINDS } from '../support/databases.ts';
import { startTestServer, type TenantFixture, type TestServer } from '../support/test-server.ts';
import { definition, endReject, endSuccess, ORIGIN, probeStep, publish, setUpTenant, startPublic, submit } from './engine-fixture.ts';

for (const kind of DATABASE_KINDS) {
  describe(`live step timeouts on two nodes sharing one ${kind} database`, () => {
    const clock = new ManualClock('2026-03-01T10:00:00Z');
    let nodeA: TestServer;
    let nodeB: TestServer;
    let admin: TenantFixture;
    let userId: string;

    before(async () => {
      nodeA = await startTestServer({ kind, clock, stepTypes: [probeStep] });
      nodeB = await startTestServer({ kind, clock, stepTypes: [probeStep], databaseUrl: nodeA.config.databaseUrl });
      ({ admin, userId } = await setUpTenant(nodeA));
      await publish(
        admin,
        'timed',
        definition([
          { id: 'ask', type: 'test.prompt', parameters: { message: 'quick' }, timeoutSeconds: 60, outcomes: { next: 'done', timeout: 'late' } },
          { id: 'late', type: 'test.prompt', parameters: { message: 'too late, again?' }, outcomes: { next: 'done' } },
          endSuccess(),
        ]),
      );
      await publish(
        admin,
        'timed-out',
        definition([{ id: 'ask', type: 'test.prompt', timeoutSeconds: 30, outcomes: { next: 'done', timeout: 'rejected' } }, endSuccess(), endReject()]),
      );
    });
    after(async () => {
      await nodeB.close();
      await nodeA.close();
    });

    const current = (server: TestServer, sessionId: string) => server.http.get(`/acme/journeys/sessions/${sessionId}`, { origin: ORIGIN });
    const events = async (action: string) =>
      (await nodeA.database.db.selectFrom('audit_events').select('action').where('action', '=', action).execute()).length;

    test('nothing fires before the deadline; after it both nodes tick at once and exactly one fires; the session shows the timeout branch', async () => {
      const started = await startPublic(nodeA, 'timed');
      assert.equal(started.status, 200, JSON.stringify(started.body));
      assert.equal(started.body.journeyStepId, 'ask');

      clock.advance(60_000);
      assert.deepEqual(await Promise.all([nodeA.services.journeyTimers.tick(), nodeB.services.journeyTimers.tick()]), [0, 0], 'at the deadline: not yet');

      clock.advance(1_000);
      const fired = await Promise.all([nodeA.services.journeyTimers.tick(), nodeB.services.journeyTimers.tick()]);
      assert.equal(fired[0] + fired[1], 1, `exactly one node fired: ${JSON.stringify(fired)}`);
      assert.deepEqual(await Promise.all([nodeA.services.journeyTimers.tick(), nodeB.services.journeyTimers.tick()]), [0, 0], 'and only once');

      const instance = await nodeB.database.db.selectFrom('journey_instances').selectAll().where('current_step', '=', 'late').executeTakeFirstOrThrow();
      assert.equal(instance.status, 'waiting');
      assert.equal(instance.revision, 3, 'stored by the start, then claimed once and stored once by the timer');

      // The client's session, unchanged, reads the step the timer entered, on either node.
      const seen = await current(nodeB, started.body.sessionId);
      assert.equal(seen.status, 200, JSON.stringify(seen.body));
      assert.equal(seen.body.journeyStepId, 'late');
      assert.equal(seen.body.data.message, 'too late, again?');

      // A late answer to the old step is refused, not applied to the new one; an answer naming the new step goes on.
      const stale = await submit(nodeA, started.body.sessionId, { journeyStepId: 'ask', clientResponseOptionId: 'client_input', data: {} });
      assert.equal(stale.status, 409);
      assert.equal(stale.body.code, 'JOURNEY_STEP_ALREADY_SUBMITTED');
      const unnamed = await submit(nodeA, started.body.sessionId, { clientResponseOptionId: 'client_input', data: {} });
      assert.equal(unnamed.status, 409, 'an answer that does not name its step may be meant for the old one');
      const named = await submit(nodeA, started.body.sessionId, { journeyStepId: 'late', clientResponseOptionId: 'client_input', data: { user: userId } });
      assert.equal(named.status, 200, JSON.stringify(named.body));
      assert.equal(named.body.journeyStepId, 'success');
    });

    test('a timeout branch that ends the journey: the end is audited once and shown to the client on its next read, which spends the session', async () => {
      const before = await events('journey.rejection');
      const started = await startPublic(nodeB, 'timed-out');
      clock.advance(31_000);
      const fired = await Promise.all([nodeB.services.journeyTimers.tick(), nodeA.services.journeyTimers.tick()]);
      assert.equal(fired[0] + fired[1], 1);
      assert.equal(await events('journey.rejection'), before + 1, 'one audit event');

      const seen = await current(nodeA, started.body.sessionId);
      assert.equal(seen.status, 200, JSON.stringify(seen.body));
      assert.equal(seen.body.journeyStepId, 'rejection');
      assert.equal(seen.body.data.code, 'NOPE_REJECTED');
      assert.equal(seen.body.data.stepId, 'rejected');
      const again = await current(nodeA, started.body.sessionId);
      assert.equal(again.status, 409, 'the end is delivered once');
      assert.equal(again.body.code, 'JOURNEY_STEP_ALREADY_SUBMITTED');
    });

    test('the scan lease: held by one node until it expires or is released, then another takes it', async () => {
      const a = new DatabaseLease({ db: nodeA.database.db, clock, name: 'test-lease', holder: 'a', ttlMs: 10_000 });
      const b = new DatabaseLease({ db: nodeB.database.db, clock, name: 'test-lease', holder: 'b', ttlMs: 10_000 });
      assert.deepEqual(await Promise.all([a.acquire(), b.acquire()]).then((r) => r.filter(Boolean).length), 1, 'one of two at once');
      const holder = (await nodeA.database.db.selectFrom('scheduler_leases').select('holder').where('name', '=', 'test-lease').executeTakeFirstOrThrow())
        .holder;
      const [mine, theirs] = holder === 'a' ? [a, b] : [b, a];
      assert.equal(await mine.acquire(), true, 'renewed by its holder');
      assert.equal(await theirs.acquire(), false);
      clock.advance(10_000);
      assert.equal(await theirs.acquire(), true, 'taken over once expired');
      await theirs.release();
      assert.equal(await mine.acquire(), true, 'free again once released');
      // A lease object gives up only what it took: one that never acquired sends nothing, even under the same holder.
      const untaken = new DatabaseLease({ db: nodeA.database.db, clock, name: 'test-lease', holder: mine.holder, ttlMs: 10_000 });
      await untaken.release();
      const still = await nodeA.database.db.selectFrom('scheduler_leases').select('holder').where('name', '=', 'test-lease').executeTakeFirst();
      assert.equal(still?.holder, mine.holder, 'still held after a release by an object that never took it');
      await mine.release();
      assert.equal(await nodeA.database.db.selectFrom('scheduler_leases').select('holder').where('name', '=', 'test-lease').executeTakeFirst(), undefined);
      await mine.release(); // a second release sends nothing either
    });
  });
}
