// Adding a passkey to an operator needs a sign-in from the last 5 minutes (options and finish), so a leaked session
// cookie cannot plant a lasting passkey; signing in again in the same browser replaces its session. Frozen clock,
// both edges, on both databases.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { FRESH_SIGN_IN_MS } from '../../src/console/console-service.ts';
import { type Browser, SelfServiceWorld, expectProblem, expectStatus } from '../selfservice/selfservice-fixture.ts';
import { DATABASE_KINDS } from '../support/databases.ts';
import { SoftAuthenticator } from '../support/soft-authenticator.ts';
import { CONSOLE_API, ORIGIN, consoleApi, enrolAs, type EnrolledOperator } from './console-fixture.ts';

for (const kind of DATABASE_KINDS) {
  describe(`adding a console passkey needs a recent sign-in on ${kind}`, () => {
    let world: SelfServiceWorld;
    before(async () => {
      world = await SelfServiceWorld.create(kind);
    });
    after(() => world.close());

    const stored = async (operator: EnrolledOperator) => ({
      credentials: (await world.db.selectFrom('console_operator_credentials').select('id').where('operator_id', '=', operator.operator.id).execute()).length,
      ceremonies: (await world.db.selectFrom('console_ceremonies').select('id').where('purpose', '=', 'add-passkey').execute()).length,
    });
    const signInAgain = async (browser: Browser, authenticator: SoftAuthenticator) => {
      const options = await expectStatus(browser.request('POST', `${CONSOLE_API}/sign-in/options`, {}), 200);
      await expectStatus(
        browser.request('POST', `${CONSOLE_API}/sign-in/finish`, { credential: authenticator.authenticate(options.body.publicKey, { origin: ORIGIN }) }),
        200,
      );
    };

    test('at 5 minutes after the sign-in it may still begin; a millisecond later it is 403 REAUTHENTICATION_REQUIRED, nothing stored', async () => {
      const operator = await enrolAs(world, 'admin');
      world.clock.advance(FRESH_SIGN_IN_MS);
      const options = await expectStatus(operator.browser.request('POST', `${CONSOLE_API}/passkeys/options`, {}), 200);
      world.clock.advance(1);
      const before = await stored(operator);
      const refused = await expectProblem(operator.browser.request('POST', `${CONSOLE_API}/passkeys/options`, {}), 403, 'REAUTHENTICATION_REQUIRED');
      assert.equal(refused.body.detail, 'Adding a passkey needs a sign-in from the last 5 minutes; sign in again');
      // The ceremony begun in time cannot be finished late either.
      const credential = new SoftAuthenticator({ attachment: 'cross-platform' }).register(options.body.publicKey, { origin: ORIGIN });
      await expectProblem(operator.browser.request('POST', `${CONSOLE_API}/passkeys/finish`, { credential }), 403, 'REAUTHENTICATION_REQUIRED');
      assert.deepEqual(await stored(operator), before);
      // The session itself goes on: only adding a passkey needs the recent sign-in.
      await expectStatus(operator.browser.request('GET', `${CONSOLE_API}/passkeys`), 200);
    });

    test('signing in again in the same browser replaces its session, and then the passkey is added', async () => {
      const operator = await enrolAs(world, 'viewer');
      const { api: oldApi } = await consoleApi(world, operator.browser);
      const oldCookie = operator.browser.cookies.get('keyway_console');
      world.clock.advance(FRESH_SIGN_IN_MS + 1);
      await expectProblem(operator.browser.request('POST', `${CONSOLE_API}/passkeys/options`, {}), 403, 'REAUTHENTICATION_REQUIRED');

      await signInAgain(operator.browser, operator.authenticator);
      assert.notEqual(operator.browser.cookies.get('keyway_console'), oldCookie);
      // The replaced session and its access token have ended.
      await expectProblem(oldApi.get('/api/console/operators'), 401, 'UNAUTHENTICATED');
      const stale = world.browser();
      stale.cookies.set('keyway_console', oldCookie!);
      await expectProblem(stale.request('GET', `${CONSOLE_API}/session`), 401, 'CONSOLE_SIGN_IN_REQUIRED');

      const options = await expectStatus(operator.browser.request('POST', `${CONSOLE_API}/passkeys/options`, {}), 200);
      const credential = new SoftAuthenticator({ attachment: 'cross-platform' }).register(options.body.publicKey, { origin: ORIGIN });
      const added = await expectStatus(operator.browser.request('POST', `${CONSOLE_API}/passkeys/finish`, { credential }), 201);
      assert.equal(added.body.items.length, 2);
    });

    test('signing in in another browser leaves this browser’s session alone', async () => {
      const operator = await enrolAs(world, 'support');
      await signInAgain(world.browser(), operator.authenticator);
      await expectStatus(operator.browser.request('GET', `${CONSOLE_API}/session`), 200);
    });
  });
}
