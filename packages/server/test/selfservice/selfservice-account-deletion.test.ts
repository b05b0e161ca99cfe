// A user deletes their own account (DELETE …/me) through real HTTP on both databases: with a sign-in from the last 5
// minutes (injected clock, both edges) the account goes with its passkeys, sessions in every browser, flows and
// recovery links, in the administrators' deletion (audited `user.delete` by the self-service actor), the cookie is
// cleared and no longer works, another user is untouched and the identifier can sign up again. Refusals change
// nothing: a stale sign-in (REAUTHENTICATION_REQUIRED), no session, a locked account, a foreign origin, and a store
// whose `selfService.accountDeletion` is off (ACCOUNT_DELETION_DISABLED; its My passkeys page offers no deletion).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DATABASE_KINDS } from '../support/databases.ts';
import { ADMIN, BASE, SELF_SERVICE, SelfServiceWorld, expectProblem, expectStatus, type Browser } from './selfservice-fixture.ts';

const FIVE_MINUTES = 5 * 60 * 1000;

for (const kind of DATABASE_KINDS) {
  describe(`self-service account deletion on ${kind}`, () => {
    let world: SelfServiceWorld;
    before(async () => {
      world = await SelfServiceWorld.create(kind);
    });
    after(() => world.close());

    /** The rows that are the user's, by table (what an account's deletion must take). */
    async function rowsOf(userId: string): Promise<Record<string, number>> {
      const count = async (table: 'users' | 'credentials' | 'selfservice_sessions' | 'selfservice_recovery_links') => {
        const column = table === 'users' ? 'id' : 'user_id';
        const row = await world.db
          .selectFrom(table)
          .select((eb) => eb.fn.countAll().as('n'))
          .where(column, '=', userId)
          .executeTakeFirstOrThrow();
        return Number(row.n);
      };
      return {
        users: await count('users'),
        credentials: await count('credentials'),
        sessions: await count('selfservice_sessions'),
        recoveryLinks: await count('selfservice_recovery_links'),
      };
    }

    /** A browser that sends `cookie` as its session cookie (a copy of a cookie another browser had). */
    function withSession(cookie: string): Browser {
      const browser = world.browser();
      browser.cookies.set('keyway_session', cookie);
      return browser;
    }

    test('with a fresh sign-in: the account and everything of it goes, audited; the cookie is cleared and dead; the identifier signs up again', async () => {
      const laptop = world.browser();
      const { user, authenticator, credentialId } = await world.signUp(laptop, 'leaving@example.com');
      // A second browser signed in too, and an outstanding recovery link.
      const phone = world.browser();
      await world.signIn(phone, authenticator, 'leaving@example.com', credentialId);
      await expectStatus(world.api.post(`${ADMIN}/users/${user.id}/recovery-links`, {}), 201);
      const other = world.browser();
      const { user: staying } = await world.signUp(other, 'staying@example.com');
      assert.deepEqual(await rowsOf(user.id), { users: 1, credentials: 1, sessions: 2, recoveryLinks: 1 });
      const stayingBefore = await rowsOf(staying.id);
      const laptopCookie = laptop.cookies.get('keyway_session')!;
      const phoneCookie = phone.cookies.get('keyway_session')!;

      const deleted = await expectStatus(laptop.delete('/me'), 204);
      assert.equal(deleted.body, '');
      const cleared = deleted.setCookies.find((c) => c.name === 'keyway_session');
      assert.ok(cleared, 'the answer clears the session cookie');
      assert.equal(cleared.maxAge, 0);
      assert.equal(cleared.value, '');
      assert.equal(cleared.path, '/acme');
      assert.equal(cleared.httpOnly, true);

      assert.deepEqual(await rowsOf(user.id), { users: 0, credentials: 0, sessions: 0, recoveryLinks: 0 });
      await expectProblem(world.api.get(`${ADMIN}/users/${user.id}`), 404, 'USER_NOT_FOUND');
      // Neither browser's cookie works any more, kept or not.
      await expectProblem(laptop.get('/me'), 401, 'SESSION_REQUIRED');
      await expectProblem(withSession(laptopCookie).get('/me'), 401, 'SESSION_REQUIRED');
      await expectProblem(withSession(phoneCookie).get('/me/passkeys'), 401, 'SESSION_REQUIRED');
      await expectProblem(withSession(phoneCookie).delete('/me'), 401, 'SESSION_REQUIRED');
      // Another user is untouched.
      assert.deepEqual(await rowsOf(staying.id), stayingBefore);
      assert.equal((await expectStatus(other.get('/me'), 200)).body.user.id, staying.id);

      // One deletion, the administrators' own, by the self-service actor (the user's own request); no second event.
      const events = await world.db
        .selectFrom('audit_events')
        .selectAll()
        .where('target_id', '=', user.id)
        .where('action', 'in', ['user.delete', 'selfservice.account.delete'])
        .execute();
      assert.equal(events.length, 1);
      const [event] = events;
      assert.equal(event!.action, 'user.delete');
      assert.equal(event!.actor, 'self-service');
      assert.equal(event!.tenant_id, 'acme');
      assert.equal(event!.outcome, 'success');
      assert.ok(event!.request_id, 'the request that asked for it');
      assert.equal((JSON.parse(event!.details!) as { store: string }).store, 'customers');

      // The identifier is free again: a new account, not the old one.
      const again = await world.signUp(world.browser(), 'leaving@example.com');
      assert.notEqual(again.user.id, user.id);
      assert.equal(again.user.userKey, 'leaving@example.com');
    });

    // A flow holds the identifier the user typed. On PostgreSQL the foreign key takes it; on SQLite flows live in the
    // ephemeral file (storage/ephemeral-sqlite.ts) that no foreign key reaches: a deletion hook removes them
    // (selfServiceFlowsOfDeleted). The same for an administrator's deletion.
    test('a ceremony the user began and did not finish goes with the account', async () => {
      const browser = world.browser();
      const { user } = await world.signUp(browser, 'unfinished@example.com');
      await expectStatus(browser.post('/login/webauthn/options', { identifier: 'unfinished@example.com' }), 200);
      const flows = () =>
        world.db
          .selectFrom('selfservice_flows')
          .select('identifier')
          .where((eb) => eb.or([eb('user_id', '=', user.id), eb('identifier', '=', 'unfinished@example.com')]))
          .execute();
      assert.equal((await flows()).length, 1);
      await expectStatus(browser.delete('/me'), 204);
      assert.deepEqual(await flows(), []);
    });

    test('the sign-in must be from the last 5 minutes (at exactly 5 it still counts); a stale one changes nothing', async () => {
      const browser = world.browser();
      const { user, authenticator, credentialId } = await world.signUp(browser, 'stale@example.com');
      world.clock.advance(FIVE_MINUTES + 1);
      const before = await world.counts();
      const refused = await expectProblem(browser.delete('/me'), 403, 'REAUTHENTICATION_REQUIRED');
      assert.equal(refused.body.detail, 'Deleting your account needs a sign-in from the last 5 minutes; sign in again');
      assert.equal(
        refused.setCookies.find((c) => c.name === 'keyway_session'),
        undefined,
        'a refusal leaves the cookie alone',
      );
      assert.deepEqual(await world.counts(), before);
      assert.equal((await rowsOf(user.id)).users, 1);
      await expectStatus(browser.get('/me'), 200);

      // Signing in again makes it fresh; the edge: exactly 5 minutes later it still counts.
      await world.signIn(browser, authenticator, 'stale@example.com', credentialId);
      world.clock.advance(FIVE_MINUTES);
      await expectStatus(browser.delete('/me'), 204);
      assert.equal((await rowsOf(user.id)).users, 0);
    });

    test('no session, a foreign origin or a locked account: refused, nothing changes', async () => {
      const before = await world.counts();
      await expectProblem(world.browser().delete('/me'), 401, 'SESSION_REQUIRED');
      await expectProblem(withSession('not-a-session').delete('/me'), 401, 'SESSION_REQUIRED');
      assert.deepEqual(await world.counts(), before);

      const browser = world.browser();
      const { user } = await world.signUp(browser, 'guarded@example.com');
      // CSRF: only the relying party's origins may change state.
      const foreign = world.browser({ origin: 'https://evil.example' });
      foreign.cookies.set('keyway_session', browser.cookies.get('keyway_session')!);
      await expectProblem(foreign.delete('/me'), 403, 'CSRF_REJECTED');
      const noOrigin = world.browser({ origin: undefined });
      noOrigin.cookies.set('keyway_session', browser.cookies.get('keyway_session')!);
      await expectProblem(noOrigin.delete('/me'), 403, 'CSRF_REJECTED');
      // A locked (or disabled) account has no session: its user cannot delete it; its administrators can.
      await expectStatus(world.api.patch(`${ADMIN}/users/${user.id}`, { status: 'locked' }), 200);
      const locked = await world.counts();
      await expectProblem(browser.delete('/me'), 401, 'SESSION_REQUIRED');
      assert.deepEqual(await world.counts(), locked);
      assert.equal((await rowsOf(user.id)).users, 1);
    });

    test('selfService.accountDeletion off: 403 ACCOUNT_DELETION_DISABLED (before any sign-in is asked for), and My passkeys offers no deletion', async () => {
      const page = async () => (await expectStatus(world.browser().request('GET', `${BASE}/passkeys`, undefined, { accept: 'text/html' }), 200)).body as string;
      assert.match(await page(), /id="delete-account"/, 'on by default');
      assert.match(await page(), /id="delete-account-confirm"/);

      const updated = await expectStatus(world.api.patch(ADMIN, { selfService: { ...SELF_SERVICE, accountDeletion: false } }), 200);
      assert.equal(updated.body.selfService.accountDeletion, false);
      try {
        assert.equal((await expectStatus(world.api.get(ADMIN), 200)).body.selfService.accountDeletion, false);
        const browser = world.browser();
        const { user } = await world.signUp(browser, 'kept@example.com');
        const before = await world.counts();
        const refused = await expectProblem(browser.delete('/me'), 403, 'ACCOUNT_DELETION_DISABLED');
        assert.equal(refused.body.title, 'This store does not let users delete their own account');
        // Refused as such also when the sign-in is stale: no point asking for a passkey first.
        world.clock.advance(FIVE_MINUTES + 1);
        await expectProblem(browser.delete('/me'), 403, 'ACCOUNT_DELETION_DISABLED');
        assert.deepEqual(await world.counts(), before);
        assert.equal((await rowsOf(user.id)).users, 1);
        await expectStatus(browser.get('/me'), 200);
        assert.doesNotMatch(await page(), /delete-account/);
        // An administrator still can.
        await expectStatus(world.api.delete(`${ADMIN}/users/${user.id}`), 204);
      } finally {
        await expectStatus(world.api.patch(ADMIN, { selfService: SELF_SERVICE }), 200);
      }
      // Given explicitly as true, it is stored and answered as such.
      const on = await expectStatus(world.api.patch(ADMIN, { selfService: { ...SELF_SERVICE, accountDeletion: true } }), 200);
      assert.equal(on.body.selfService.accountDeletion, true);
      await expectStatus(world.api.patch(ADMIN, { selfService: SELF_SERVICE }), 200);
      assert.equal((await expectStatus(world.api.get(ADMIN), 200)).body.selfService.accountDeletion, undefined, 'absent: the default (on)');
      await expectProblem(world.api.patch(ADMIN, { selfService: { ...SELF_SERVICE, accountDeletion: 'no' } }), 400, 'VALIDATION_FAILED');
    });
  });
}
