// Ceremony sessions under pressure, on both databases: concurrent completions of one session (exactly one wins, by
// compare-and-set in the completing transaction), concurrent assertions racing on one counter, and the expiry window
// at both edges with an injected clock (no sleeps).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ManualClock } from '../../src/shared/clock.ts';
import { DATABASE_KINDS } from '../support/databases.ts';
import { SoftAuthenticator } from '../support/soft-authenticator.ts';
import { CeremonyWorld } from './ceremony-fixture.ts';

const PARALLEL = 20;

for (const kind of DATABASE_KINDS) {
  describe(`ceremony sessions on ${kind}`, () => {
    const clock = new ManualClock('2026-03-01T09:00:00Z');
    let world: CeremonyWorld;
    before(async () => {
      world = await CeremonyWorld.create(kind, clock);
    });
    after(() => world.close());

    test(`${PARALLEL} parallel completions of one registration session: exactly one 201 and one credential`, async () => {
      const user = await world.createUser('racer');
      const { sessionId, response } = await world.registrationAttempt(new SoftAuthenticator(), user.id);
      const answers = await Promise.all(Array.from({ length: PARALLEL }, () => world.completeRegistration(user.id, sessionId, response)));
      const statuses = answers.map((a) => a.status);
      assert.equal(statuses.filter((s) => s === 201).length, 1, JSON.stringify(statuses));
      for (const loser of answers.filter((a) => a.status !== 201)) {
        assert.equal(loser.status, 409, JSON.stringify(loser.body));
        assert.equal(loser.body.code, 'SESSION_ALREADY_USED');
      }
      const rows = await world.db.selectFrom('credentials').select('credential_id').where('user_id', '=', user.id).execute();
      assert.deepEqual(
        rows.map((r) => r.credential_id),
        [response.id],
      );
      const audits = await world.db
        .selectFrom('audit_events')
        .select('id')
        .where('action', '=', 'passkey.register')
        .where('target_id', '=', response.id)
        .execute();
      assert.equal(audits.length, 1);
    });

    test(`${PARALLEL} parallel completions of one authentication session: exactly one 200, the counter advanced once`, async () => {
      const user = await world.createUser('signer');
      const authenticator = new SoftAuthenticator();
      await world.register(authenticator, user.id);
      const { sessionId, response } = await world.authenticationAttempt(authenticator, user.id);
      const answers = await Promise.all(Array.from({ length: PARALLEL }, () => world.completeAuthentication(user.id, sessionId, response)));
      assert.equal(answers.filter((a) => a.status === 200).length, 1, JSON.stringify(answers.map((a) => a.status)));
      for (const loser of answers.filter((a) => a.status !== 200)) assert.equal(loser.body.code, 'SESSION_ALREADY_USED');
      const row = await world.db.selectFrom('credentials').select('sign_count').where('user_id', '=', user.id).executeTakeFirstOrThrow();
      assert.equal(Number(row.sign_count), 1);
    });

    test('two sessions answered in parallel with the same counter (a cloned key): exactly one passes the counter check', async () => {
      const user = await world.createUser('clone');
      const authenticator = new SoftAuthenticator();
      await world.register(authenticator, user.id);
      const first = await world.authenticationAttempt(authenticator, user.id, 'default', { signCount: 5 });
      const second = await world.authenticationAttempt(authenticator, user.id, 'default', { signCount: 5 });
      const answers = await Promise.all([
        world.completeAuthentication(user.id, first.sessionId, first.response),
        world.completeAuthentication(user.id, second.sessionId, second.response),
      ]);
      assert.deepEqual(answers.map((a) => a.status).sort(), [200, 400]);
      assert.equal(answers.find((a) => a.status === 400)!.body.code, 'COUNTER_REGRESSION');
      const row = await world.db.selectFrom('credentials').select('sign_count').where('user_id', '=', user.id).executeTakeFirstOrThrow();
      assert.equal(Number(row.sign_count), 5);
    });

    test('two sessions answered in parallel with increasing counters both pass (no false clone alarm)', async () => {
      const user = await world.createUser('double-click');
      const authenticator = new SoftAuthenticator();
      await world.register(authenticator, user.id);
      const first = await world.authenticationAttempt(authenticator, user.id); // counter 1
      const second = await world.authenticationAttempt(authenticator, user.id); // counter 2
      // Whichever commits first, the other still advances or is refused only if it went backwards.
      const answers = await Promise.all([
        world.completeAuthentication(user.id, second.sessionId, second.response),
        world.completeAuthentication(user.id, first.sessionId, first.response),
      ]);
      const statuses = answers.map((a) => a.status);
      // Counter 2 always succeeds; counter 1 succeeds only if it committed first (then 2 > 1 passes too).
      assert.equal(statuses[0], 200, JSON.stringify(answers[0]!.body));
      if (statuses[1] !== 200) assert.equal(answers[1]!.body.code, 'COUNTER_REGRESSION');
      const row = await world.db.selectFrom('credentials').select('sign_count').where('user_id', '=', user.id).executeTakeFirstOrThrow();
      assert.equal(Number(row.sign_count), 2);
    });

    describe('expiry with an injected clock (policy timeout 60 s)', () => {
      const TTL = 60_000;

      test('registration: completion at TTL−1 s and at TTL succeeds; at TTL+1 s it is CHALLENGE_EXPIRED and changes nothing', async () => {
        const user = await world.createUser('timely-reg');
        for (const offset of [TTL - 1000, TTL]) {
          const { sessionId, response } = await world.registrationAttempt(new SoftAuthenticator(), user.id, 'short');
          clock.advance(offset);
          await world.expectStatus(world.completeRegistration(user.id, sessionId, response), 201);
        }
        const { sessionId, response } = await world.registrationAttempt(new SoftAuthenticator(), user.id, 'short');
        clock.advance(TTL + 1000);
        const before = await world.snapshot();
        await world.assertRejected(await world.completeRegistration(user.id, sessionId, response), 400, 'CHALLENGE_EXPIRED', before);
      });

      test('authentication: completion at TTL−1 s succeeds; at TTL+1 s it is CHALLENGE_EXPIRED and changes nothing', async () => {
        const user = await world.createUser('timely-auth');
        const authenticator = new SoftAuthenticator();
        await world.register(authenticator, user.id);
        const early = await world.authenticationAttempt(authenticator, user.id, 'short');
        clock.advance(TTL - 1000);
        await world.expectStatus(world.completeAuthentication(user.id, early.sessionId, early.response), 200);

        const late = await world.authenticationAttempt(authenticator, user.id, 'short');
        clock.advance(TTL + 1000);
        const before = await world.snapshot();
        await world.assertRejected(await world.completeAuthentication(user.id, late.sessionId, late.response), 400, 'CHALLENGE_EXPIRED', before);
      });

      test('a used and expired session says SESSION_ALREADY_USED; sessions expired over a day ago are purged', async () => {
        const user = await world.createUser('purged');
        const authenticator = new SoftAuthenticator();
        await world.register(authenticator, user.id);
        const used = await world.authenticationAttempt(authenticator, user.id, 'short');
        await world.expectStatus(world.completeAuthentication(user.id, used.sessionId, used.response), 200);
        clock.advance(TTL + 1000);
        const before = await world.snapshot();
        await world.assertRejected(await world.completeAuthentication(user.id, used.sessionId, used.response), 409, 'SESSION_ALREADY_USED', before);

        clock.advance(24 * 60 * 60 * 1000);
        const swept = await world.server.services.retention.sweep();
        assert.ok((swept.ceremony_sessions ?? 0) >= 1, JSON.stringify(swept));
        const left = await world.db.selectFrom('ceremony_sessions').select('id').where('id', '=', used.sessionId).executeTakeFirst();
        assert.equal(left, undefined);
      });
    });
  });
}
