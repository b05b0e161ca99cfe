// A console session ends once unused for 60 minutes (uses recorded at most once a minute), and after 12 hours in any
// case. Frozen clock, both edges of each window, on both databases.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { SESSION_IDLE_MS, SESSION_TTL_MS, SESSION_USE_RECORDED_EVERY_MS } from '../../src/console/console-service.ts';
import { type Browser, SelfServiceWorld, expectProblem, expectStatus } from '../selfservice/selfservice-fixture.ts';
import { DATABASE_KINDS } from '../support/databases.ts';
import { CONSOLE_API, ORIGIN, enrolAs } from './console-fixture.ts';

for (const kind of DATABASE_KINDS) {
  describe(`console sessions end when idle on ${kind}`, () => {
    let world: SelfServiceWorld;
    before(async () => {
      world = await SelfServiceWorld.create(kind);
    });
    after(() => world.close());

    const live = (browser: Browser) => expectStatus(browser.request('GET', `${CONSOLE_API}/session`), 200);
    const ended = async (browser: Browser) => {
      const answer = await expectProblem(browser.request('GET', `${CONSOLE_API}/session`), 401, 'CONSOLE_SIGN_IN_REQUIRED');
      assert.equal(answer.body.detail, 'The console session ended after 60 minutes without use; sign in with your passkey again');
    };

    test('60 minutes without use end it; one millisecond less does not, and each use starts the window again', async () => {
      const operator = await enrolAs(world, 'viewer');
      world.clock.advance(SESSION_IDLE_MS - 1);
      await live(operator.browser);
      world.clock.advance(SESSION_IDLE_MS - 1);
      await live(operator.browser);
      await expectStatus(operator.browser.request('GET', `${CONSOLE_API}/passkeys`), 200);
      world.clock.advance(SESSION_IDLE_MS);
      await ended(operator.browser);
      await expectProblem(operator.browser.request('GET', `${CONSOLE_API}/passkeys`), 401, 'CONSOLE_SIGN_IN_REQUIRED');
    });

    test('a use within a minute of the last recorded one is not recorded: the window counts from the recorded one', async () => {
      const operator = await enrolAs(world, 'viewer');
      const signedInAt = world.clock.now().getTime();
      world.clock.advance(SESSION_USE_RECORDED_EVERY_MS - 1);
      await live(operator.browser);
      const row = await world.db
        .selectFrom('console_sessions')
        .select('last_used_at')
        .where('operator_id', '=', operator.operator.id)
        .executeTakeFirstOrThrow();
      assert.equal(Number(row.last_used_at), signedInAt);
      world.clock.advance(SESSION_IDLE_MS - SESSION_USE_RECORDED_EVERY_MS + 1);
      await ended(operator.browser);
    });

    test('a session in use still ends 12 hours after sign-in', async () => {
      const operator = await enrolAs(world, 'support');
      const step = SESSION_IDLE_MS - 1;
      let elapsed = 0;
      while (elapsed + step < SESSION_TTL_MS) {
        world.clock.advance(step);
        elapsed += step;
        await live(operator.browser);
      }
      world.clock.advance(SESSION_TTL_MS - elapsed);
      await expectProblem(operator.browser.request('GET', `${CONSOLE_API}/session`), 401, 'CONSOLE_SIGN_IN_REQUIRED');
    });

    test('sessions from before the column count from their sign-in; idle sessions are cleared as the operator signs in again', async () => {
      const operator = await enrolAs(world, 'admin');
      await world.db.updateTable('console_sessions').set({ last_used_at: null }).where('operator_id', '=', operator.operator.id).execute();
      world.clock.advance(SESSION_IDLE_MS - 1);
      await live(operator.browser);
      world.clock.advance(SESSION_IDLE_MS);
      await ended(operator.browser);
      const browser = world.browser();
      const options = await expectStatus(browser.request('POST', `${CONSOLE_API}/sign-in/options`, {}), 200);
      await expectStatus(
        browser.request('POST', `${CONSOLE_API}/sign-in/finish`, {
          credential: operator.authenticator.authenticate(options.body.publicKey, { origin: ORIGIN }),
        }),
        200,
      );
      const sessions = await world.db.selectFrom('console_sessions').select('id').where('operator_id', '=', operator.operator.id).execute();
      assert.equal(sessions.length, 1, 'only the new session is left');
      await live(browser);
    });
  });
}
