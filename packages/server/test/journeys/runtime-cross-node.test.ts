import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestServer, type TenantFixture, type TestServer } from '../support/test-server.ts';
import { definition, endSuccess, publish, setUpTenant, startPublic, submit, probeStep } from './engine-fixture.ts';

describe('a journey continues on another node sharing one PostgreSQL', () => {
  let nodeA: TestServer;
  let nodeB: TestServer;
  let admin: TenantFixture;
  let userId: string;

  before(async () => {
    nodeA = await startTestServer({ kind: 'postgres', stepTypes: [probeStep] });
    nodeB = await startTestServer({ kind: 'postgres', stepTypes: [probeStep], databaseUrl: nodeA.config.databaseUrl });
    ({ admin, userId } = await setUpTenant(nodeA));
  });
  after(async () => {
    await nodeB.close();
    await nodeA.close();
  });

  test('started on node A, each step submitted alternately on B and A, ends in success on B', async () => {
    await publish(
      admin,
      'two-steps',
      definition(
        [
          { id: 'first', type: 'test.prompt', parameters: { message: 'one' }, outcomes: { next: 'second' } },
          { id: 'second', type: 'test.prompt', parameters: { message: '${answer}' }, outcomes: { next: 'done' } },
          endSuccess(),
        ],
        { variables: { answer: { type: 'string', default: '' } } },
      ),
    );
    const started = await startPublic(nodeA, 'two-steps');
    assert.equal(started.body.journeyStepId, 'first');
    const onB = await submit(nodeB, started.body.sessionId, { clientResponseOptionId: 'client_input', data: { set: { answer: 'from B' } } });
    assert.equal(onB.status, 200, JSON.stringify(onB.body));
    assert.equal(onB.body.journeyStepId, 'second');
    assert.equal(onB.body.data.message, 'from B');
    // Node A sees the state node B wrote: the old session is spent there too.
    const staleOnA = await submit(nodeA, started.body.sessionId, { clientResponseOptionId: 'client_input' });
    assert.equal(staleOnA.status, 409);
    const done = await submit(nodeB, onB.body.sessionId, { clientResponseOptionId: 'client_input', data: { user: userId } });
    assert.equal(done.body.journeyStepId, 'success');
    assert.equal(done.body.data.user.id, userId);
    assert.ok(nodeB.services.journeys.cache.size >= 1, 'node B compiled the version for itself');
  });
});
