// Deleting an operator's passkey ends the console sessions opened with it (and their access tokens) in the same
// transaction; sessions opened with other passkeys, and the session that deletes, go on. On both databases.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type Browser, SelfServiceWorld, expectProblem, expectStatus } from '../selfservice/selfservice-fixture.ts';
import { DATABASE_KINDS } from '../support/databases.ts';
import { SoftAuthenticator } from '../support/soft-authenticator.ts';
import { CONSOLE_API, ORIGIN, consoleApi, enrolAs } from './console-fixture.ts';

for (const kind of DATABASE_KINDS) {
  describe(`deleting an operator passkey ends its sessions on ${kind}`, () => {
    let world: SelfServiceWorld;
    before(async () => {
      world = await SelfServiceWorld.create(kind);
    });
    after(() => world.close());

    const signIn = async (authenticator: SoftAuthenticator): Promise<Browser> => {
      const browser = world.browser();
      const options = await expectStatus(browser.request('POST', `${CONSOLE_API}/sign-in/options`, {}), 200);
      await expectStatus(
        browser.request('POST', `${CONSOLE_API}/sign-in/finish`, { credential: authenticator.authenticate(options.body.publicKey, { origin: ORIGIN }) }),
        200,
      );
      return browser;
    };
    const addPasskey = async (browser: Browser): Promise<{ authenticator: SoftAuthenticator; id: string }> => {
      const authenticator = new SoftAuthenticator({ attachment: 'cross-platform' });
      const options = await expectStatus(browser.request('POST', `${CONSOLE_API}/passkeys/options`, {}), 200);
      const added = await expectStatus(
        browser.request('POST', `${CONSOLE_API}/passkeys/finish`, { credential: authenticator.register(options.body.publicKey, { origin: ORIGIN }) }),
        201,
      );
      return { authenticator, id: added.body.items.at(-1).id as string };
    };

    test('the thief’s sessions and access tokens end with the stolen passkey; the others go on', async () => {
      const operator = await enrolAs(world, 'admin', 'Pat');
      const stolen = await addPasskey(operator.browser);
      // Two browsers signed in with the stolen passkey, each with an access token; one with the enrolled passkey.
      const thief = await signIn(stolen.authenticator);
      const thiefAgain = await signIn(stolen.authenticator);
      const { api: thiefApi } = await consoleApi(world, thief);
      await expectStatus(thiefApi.get('/api/console/operators'), 200);
      const elsewhere = await signIn(operator.authenticator);
      const { api: elsewhereApi } = await consoleApi(world, elsewhere);
      const { api: ownApi } = await consoleApi(world, operator.browser);

      await expectStatus(operator.browser.request('DELETE', `${CONSOLE_API}/passkeys/${stolen.id}`), 204);

      for (const browser of [thief, thiefAgain]) {
        await expectProblem(browser.request('GET', `${CONSOLE_API}/session`), 401, 'CONSOLE_SIGN_IN_REQUIRED');
        await expectProblem(browser.request('GET', `${CONSOLE_API}/passkeys`), 401, 'CONSOLE_SIGN_IN_REQUIRED');
      }
      await expectProblem(thiefApi.get('/api/console/operators'), 401, 'UNAUTHENTICATED');
      // The sessions are marked ended and hold no access token.
      const stolenCredential = await world.db
        .selectFrom('console_sessions')
        .select(['id', 'revoked_at', 'credential_id'])
        .where('operator_id', '=', operator.operator.id)
        .orderBy('id')
        .execute();
      const ended = stolenCredential.filter((s) => s.revoked_at !== null);
      assert.equal(ended.length, 2);
      assert.equal(new Set(ended.map((s) => s.credential_id)).size, 1);
      const tokens = await world.db
        .selectFrom('console_access_tokens')
        .select('session_id')
        .where(
          'session_id',
          'in',
          ended.map((s) => s.id),
        )
        .execute();
      assert.deepEqual(tokens, []);
      // The enrolment session and the one opened with the remaining passkey go on, tokens and all.
      await expectStatus(ownApi.get('/api/console/operators'), 200);
      await expectStatus(elsewhereApi.get('/api/console/operators'), 200);
      await expectStatus(elsewhere.request('GET', `${CONSOLE_API}/session`), 200);
      // The deleted passkey signs in nobody any more.
      const browser = world.browser();
      const options = await expectStatus(browser.request('POST', `${CONSOLE_API}/sign-in/options`, {}), 200);
      await expectProblem(
        browser.request('POST', `${CONSOLE_API}/sign-in/finish`, { credential: stolen.authenticator.authenticate(options.body.publicKey, { origin: ORIGIN }) }),
        400,
        'CREDENTIAL_NOT_FOUND',
      );
      const audit = await world.db
        .selectFrom('audit_events')
        .select(['actor', 'details'])
        .where('action', '=', 'console.passkey.delete')
        .where('target_id', '=', operator.operator.id)
        .executeTakeFirstOrThrow();
      assert.deepEqual(JSON.parse(String(audit.details)), { passkey: stolen.id, endedSessions: 2 });
    });

    test('the session that deletes the passkey it was opened with goes on; other operators’ sessions are untouched', async () => {
      const operator = await enrolAs(world, 'support', 'Sam');
      const other = await enrolAs(world, 'support', 'Other');
      const second = await addPasskey(operator.browser);
      const withSecond = await signIn(second.authenticator);
      const alsoWithSecond = await signIn(second.authenticator);
      await expectStatus(withSecond.request('DELETE', `${CONSOLE_API}/passkeys/${second.id}`), 204);
      await expectStatus(withSecond.request('GET', `${CONSOLE_API}/session`), 200);
      await expectProblem(alsoWithSecond.request('GET', `${CONSOLE_API}/session`), 401, 'CONSOLE_SIGN_IN_REQUIRED');
      await expectStatus(operator.browser.request('GET', `${CONSOLE_API}/session`), 200);
      await expectStatus(other.browser.request('GET', `${CONSOLE_API}/session`), 200);
    });

    test('a refused deletion (the last passkey, or someone else’s) ends nothing', async () => {
      const operator = await enrolAs(world, 'viewer');
      const other = await enrolAs(world, 'viewer');
      const otherSignedIn = await signIn(other.authenticator);
      const only = await expectStatus(operator.browser.request('GET', `${CONSOLE_API}/passkeys`), 200);
      const theirs = await expectStatus(other.browser.request('GET', `${CONSOLE_API}/passkeys`), 200);
      const sessions = async () => world.db.selectFrom('console_sessions').select(['id', 'revoked_at']).orderBy('id').execute();
      const before = await sessions();
      await expectProblem(operator.browser.request('DELETE', `${CONSOLE_API}/passkeys/${only.body.items[0].id}`), 409, 'LAST_OPERATOR_PASSKEY');
      await expectProblem(operator.browser.request('DELETE', `${CONSOLE_API}/passkeys/${theirs.body.items[0].id}`), 404, 'OPERATOR_PASSKEY_NOT_FOUND');
      assert.deepEqual(await sessions(), before);
      await expectStatus(otherSignedIn.request('GET', `${CONSOLE_API}/session`), 200);
    });
  });
}
