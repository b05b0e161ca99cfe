// SQL statements and durable commits per self-service ceremony, counted at the dialect on both databases. The
// numbers are today's, asserted exactly: a change that adds a statement or a commit to sign-in or sign-up has to
// say so here, and work that removes some updates them on purpose.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import { DATABASE_KINDS } from '../support/databases.ts';
import { SoftAuthenticator } from '../support/soft-authenticator.ts';
import { relaxCommit } from '../../src/storage/relaxed-commit.ts';
import { StatementCounter, type StatementCounts } from '../../src/storage/statement-counter.ts';
import { ORIGIN, SelfServiceWorld, expectStatus } from '../selfservice/selfservice-fixture.ts';

/** Per request, steady state (after one warm-up ceremony: keys cached). The statements are listed by `new StatementCounter({ keepSql: true }).sql`. */
// Before the ephemeral store and these merges: sign-up 20 + 20 statements, 4 + 3 commits; sign-in 12 + 18, 3 + 3 —
// every commit durable. Now the rate-limit commit of each request writes only ephemeral state (no disk flush), so
// a sign-in makes one durable commit per request: options (session, flow binding and start audit event in one
// transaction) and finish (the outcome); sign-up begin makes two (its pending account, its start). Now the writes of
// options and begin serve only the ceremony in flight and relax their commits (one statement each, relaxed-commit.ts):
// each ceremony waits for the disk once, at its outcome. The three rate-limit windows of a request are one upsert.
// The store, its self-service settings, relying party and policy come from memory while the store's config_version is
// unchanged (shared/versioned-cache.ts): one small read per request instead of four (sign-in was 11 + 15). A sign-in's
// options charge the rate limits in the transaction that starts the ceremony: one commit, not two.
// A sign-in from a browser that already has a session revokes that one (rotation) in the same transaction: one
// UPDATE … RETURNING (it was a select and an update).
// A sign-up's begin stores its new account, charges its rate limits and starts the ceremony in one transaction, from
// the row it built (no read back, the user handle set at creation, no credentials to look up for a new account): it
// was 16 statements and 3 commits. Its finish answers the account the activation's UPDATE … RETURNING gives (was 14).
// Rows read together are read in one statement (storage/joined-row.ts): a finish's flow with its ceremony session
// (both finishes) and a sign-in's credential with its user. (Identifier-first options' user with its credentials, so
// joined, took four times as long as the two lookups: they stay two.) Sign-in was 8 + 12 (8 + 13 rotating), sign-up
// finish 13.
const EXPECTED: Record<string, Record<'signUpBegin' | 'signUpFinish' | 'signInOptions' | 'signInFinish' | 'signInFinishRotating', StatementCounts>> = {
  sqlite: {
    signUpBegin: { statements: 10, writes: 7, commits: 1, durableCommits: 0, rollbacks: 0 },
    signUpFinish: { statements: 12, writes: 9, commits: 2, durableCommits: 1, rollbacks: 0 },
    signInOptions: { statements: 8, writes: 4, commits: 1, durableCommits: 0, rollbacks: 0 },
    signInFinish: { statements: 10, writes: 7, commits: 2, durableCommits: 1, rollbacks: 0 },
    signInFinishRotating: { statements: 11, writes: 8, commits: 2, durableCommits: 1, rollbacks: 0 },
  },
  postgres: {
    signUpBegin: { statements: 10, writes: 7, commits: 1, durableCommits: 0, rollbacks: 0 },
    signUpFinish: { statements: 12, writes: 9, commits: 2, durableCommits: 1, rollbacks: 0 },
    signInOptions: { statements: 8, writes: 4, commits: 1, durableCommits: 0, rollbacks: 0 },
    signInFinish: { statements: 10, writes: 7, commits: 2, durableCommits: 1, rollbacks: 0 },
    signInFinishRotating: { statements: 11, writes: 8, commits: 2, durableCommits: 1, rollbacks: 0 },
  },
};

for (const kind of DATABASE_KINDS) {
  describe(`statements and commits per ceremony on ${kind}`, () => {
    const counter = new StatementCounter();
    let world: SelfServiceWorld;
    before(async () => {
      world = await SelfServiceWorld.create(kind, { statementCounter: counter });
    });
    after(() => world.close());

    test('the counter sees reads, writes, commits and rollbacks at the driver', async () => {
      const db = world.db;
      assert.deepEqual(await counter.measure(() => db.selectFrom('tenants').select('id').execute()), {
        statements: 1,
        writes: 0,
        commits: 0,
        durableCommits: 0,
        rollbacks: 0,
      });
      // A write outside a transaction is its own commit.
      assert.deepEqual(await counter.measure(() => db.deleteFrom('tenants').where('id', '=', 'nobody').execute()), {
        statements: 1,
        writes: 1,
        commits: 1,
        durableCommits: 1,
        rollbacks: 0,
      });
      assert.deepEqual(
        await counter.measure(() =>
          db.transaction().execute(async (trx) => {
            await trx.selectFrom('tenants').select('id').execute();
            await trx.deleteFrom('tenants').where('id', '=', 'nobody').execute();
            await sql`update tenants set created_at = created_at where id = ${'nobody'}`.execute(trx);
          }),
        ),
        { statements: 3, writes: 2, commits: 1, durableCommits: 1, rollbacks: 0 },
      );
      // Ephemeral state only, or a relaxed commit: committed without waiting for the disk.
      assert.deepEqual(await counter.measure(() => db.deleteFrom('selfservice_rate_limits').where('key', '=', 'nobody').execute()), {
        statements: 1,
        writes: 1,
        commits: 1,
        durableCommits: 0,
        rollbacks: 0,
      });
      assert.deepEqual(
        await counter.measure(() =>
          db.transaction().execute(async (trx) => {
            await relaxCommit(trx);
            await trx.deleteFrom('tenants').where('id', '=', 'nobody').execute();
          }),
        ),
        { statements: 2, writes: 1, commits: 1, durableCommits: 0, rollbacks: 0 },
      );
      await assert.rejects(
        counter.measure(() =>
          db.transaction().execute(async (trx) => {
            await trx.deleteFrom('tenants').where('id', '=', 'nobody').execute();
            throw new Error('abandon');
          }),
        ),
        /abandon/,
      );
      assert.deepEqual(counter.counts, { statements: 1, writes: 1, commits: 0, durableCommits: 0, rollbacks: 1 });
    });

    test('one sign-up (begin + finish) and one sign-in (options + finish)', async () => {
      // Warm-up: the first ceremonies create the signing key and fill the caches.
      const warm = world.browser();
      const warmUp = await world.signUp(warm, 'warm-up@example.com');
      await world.signIn(warm, warmUp.authenticator, 'warm-up@example.com');

      const browser = world.browser();
      const authenticator = new SoftAuthenticator();
      let begun: Awaited<ReturnType<typeof browser.post>> | undefined;
      const signUpBegin = await counter.measure(async () => {
        begun = await expectStatus(browser.post('/register/webauthn/begin', { identifier: 'counted@example.com' }), 200);
      });
      const credential = authenticator.register(begun!.body.publicKey, { origin: ORIGIN });
      const signUpFinish = await counter.measure(() => expectStatus(browser.post('/register/webauthn/finish', credential), 201));

      // Sign-in from another browser (no session to rotate), the common case.
      const other = world.browser();
      let options: Awaited<ReturnType<typeof other.post>> | undefined;
      const signInOptions = await counter.measure(async () => {
        options = await expectStatus(other.post('/login/webauthn/options', { identifier: 'counted@example.com' }), 200);
      });
      const assertion = authenticator.authenticate(options!.body.publicKey, { origin: ORIGIN });
      const signInFinish = await counter.measure(() => expectStatus(other.post('/login/webauthn/finish', assertion), 200));

      // Again from the same browser, which now has a session to rotate.
      const again = await expectStatus(other.post('/login/webauthn/options', { identifier: 'counted@example.com' }), 200);
      const secondAssertion = authenticator.authenticate(again.body.publicKey, { origin: ORIGIN });
      const signInFinishRotating = await counter.measure(() => expectStatus(other.post('/login/webauthn/finish', secondAssertion), 200));

      const measured = { signUpBegin, signUpFinish, signInOptions, signInFinish, signInFinishRotating };
      assert.deepEqual(measured, EXPECTED[kind]);
    });
  });
}
