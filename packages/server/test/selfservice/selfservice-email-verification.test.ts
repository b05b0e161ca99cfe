// The sign-up verification e-mail through real HTTP and a real SMTP listener, on both databases. Opening the link
// changes nothing: …/email/verify/inspect shows the account (identifier, creation time) without using the link, and the
// reader chooses. "Yes" (…/email/verify) verifies the address as before. "I did not sign up" (…/email/disown) — the
// answer to pre-hijacking (someone signs up with the victim's address and a passkey of their own) — deletes the account
// named after the address with its passkeys, sessions, recovery links and whatever the OpenID Provider issued for it,
// spends the link and is audited, all in one transaction; the address can then sign up. It is refused, changing
// nothing, once the address is verified, when the account's address has changed, and for a used or expired link. An
// account whose userKey is not the address only loses the address.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { BrowserRequest } from '../../src/selfservice/self-service-service.ts';
import { DATABASE_KINDS } from '../support/databases.ts';
import { startSmtpListener, type SmtpListener } from '../support/smtp-listener.ts';
import { SoftAuthenticator } from '../support/soft-authenticator.ts';
import { ADMIN, ORIGIN, SELF_SERVICE, SelfServiceWorld, expectProblem, expectStatus, type Browser } from './selfservice-fixture.ts';

const DAY_MS = 24 * 3600 * 1000;

for (const kind of DATABASE_KINDS) {
  describe(`self-service e-mail verification and “I did not sign up” on ${kind}`, () => {
    let smtp: SmtpListener;
    let world: SelfServiceWorld;
    before(async () => {
      smtp = await startSmtpListener();
      world = await SelfServiceWorld.create(kind, { env: smtp.env });
      await expectStatus(world.api.patch(ADMIN, { selfService: { ...SELF_SERVICE, verifyEmail: true } }), 200);
    });
    after(async () => {
      await world?.close();
      await smtp?.close();
    });

    /** Signs up with `address` (a passkey of `authenticator`) and answers the token of the verification link e-mailed for it. */
    async function signUpWithLink(browser: Browser, address: string, authenticator = new SoftAuthenticator()) {
      await world.server.services.emailOutbox.tick();
      const since = smtp.mails.length;
      const signedUp = await world.signUp(browser, address, authenticator);
      await world.server.services.emailOutbox.tick();
      const mails = smtp.mails.slice(since).filter((mail) => mail.to.includes(address.toLowerCase()));
      assert.equal(mails.length, 1, `one verification e-mail to ${address}`);
      const token = /\/verify-email#([A-Za-z0-9_-]{43})/.exec(mails[0]!.text)?.[1];
      assert.ok(token, mails[0]!.text);
      return { ...signedUp, token };
    }

    const userRow = (userId: string) => world.db.selectFrom('users').selectAll().where('id', '=', userId).executeTakeFirst();
    const linkOf = (userId: string) => world.db.selectFrom('email_verifications').selectAll().where('user_id', '=', userId).executeTakeFirst();
    const rowsOf = async (table: 'credentials' | 'selfservice_sessions' | 'selfservice_recovery_links' | 'email_verifications', userId: string) =>
      (await world.db.selectFrom(table).select('id').where('user_id', '=', userId).execute()).length;
    const oidcStateOf = async (userId: string) =>
      (await world.db.selectFrom('oidc_state').select('model').where('account_id', '=', userId).orderBy('model').execute()).map((row) => row.model);
    const auditOf = async (action: string, userId: string) =>
      (await world.db.selectFrom('audit_events').selectAll().where('action', '=', action).where('target_id', '=', userId).orderBy('id').execute()).map(
        (row) => JSON.parse(row.details ?? '{}') as Record<string, unknown>,
      );
    /** Everything a refused call must leave as it was: row counts, and the account's and link's rows. */
    const snapshot = async (userId: string) => ({
      counts: await world.counts(),
      user: await userRow(userId),
      link: await linkOf(userId),
      oidc: await oidcStateOf(userId),
      links: (await world.db.selectFrom('email_verifications').select(['id', 'consumed_at']).orderBy('id').execute()).map((r) => ({ ...r })),
    });
    /** Disown refused with `code`, and nothing changed. */
    const refuses = async (userId: string, token: string, status: number, code: string) => {
      const before = await snapshot(userId);
      await expectProblem(world.browser().post('/email/disown', { token }), status, code);
      assert.deepEqual(await snapshot(userId), before, `${code}: nothing changed`);
      assert.deepEqual(await auditOf('selfservice.email.disown', userId), []);
    };
    /** What the OpenID Provider would hold for a user who signed in to an application: an OP session, a grant, a refresh token. */
    async function issueClientState(userId: string, tag: string) {
      for (const model of ['Session', 'Grant', 'RefreshToken']) {
        await world.db
          .insertInto('oidc_state')
          .values({
            tenant_id: 'acme',
            model,
            id: `${tag}-${model}`,
            payload: JSON.stringify({ accountId: userId }),
            grant_id: model === 'Session' ? null : `${tag}-grant`,
            client_id: model === 'Session' ? null : 'app',
            account_id: userId,
            user_code: null,
            uid: null,
            expires_at: world.clock.now().getTime() + DAY_MS,
            consumed_at: null,
            created_at: world.clock.now().getTime(),
          })
          .execute();
      }
    }

    test('inspect shows the account the link is about and changes nothing; the link still verifies afterwards', async () => {
      const browser = world.browser();
      const created = world.clock.now().toISOString();
      const { user, token } = await signUpWithLink(browser, 'Inspect@Example.com');
      world.clock.advance(60_000);
      const before = await snapshot(user.id);

      const inspected = await expectStatus(browser.post('/email/verify/inspect', { token }), 200);
      assert.deepEqual(inspected.body, {
        email: 'inspect@example.com',
        userKey: 'Inspect@Example.com',
        createdAt: created,
        emailVerified: false,
        userKeyIsEmail: true,
      });
      // Again, from a browser that never signed up (a mail scanner, or the victim's own): the same, and still nothing changes.
      assert.deepEqual((await expectStatus(world.browser().post('/email/verify/inspect', { token }), 200)).body, inspected.body);
      assert.deepEqual(await snapshot(user.id), before);

      // Nothing to inspect without the right token.
      await expectProblem(browser.post('/email/verify/inspect', { token: 'A'.repeat(43) }), 404, 'EMAIL_VERIFICATION_NOT_FOUND');
      await expectProblem(browser.post('/email/verify/inspect', { token: 'not a token' }), 404, 'EMAIL_VERIFICATION_NOT_FOUND');
      await expectProblem(browser.post('/email/verify/inspect', {}), 400, 'VALIDATION_FAILED');

      // "Yes, I created this account": verified as before, the link spent, audited.
      assert.deepEqual((await expectStatus(browser.post('/email/verify', { token }), 200)).body, { email: 'inspect@example.com' });
      const now = world.clock.now().getTime();
      assert.equal(Number((await userRow(user.id))!.email_verified_at), now);
      assert.equal(Number((await linkOf(user.id))!.consumed_at), now);
      const [verified, ...more] = await auditOf('selfservice.email.verify', user.id);
      assert.deepEqual(verified, { store: 'customers', verificationId: (await linkOf(user.id))!.id });
      assert.equal(more.length, 0);
      for (const path of ['/email/verify/inspect', '/email/verify', '/email/disown'])
        await expectProblem(browser.post(path, { token }), 410, 'EMAIL_VERIFICATION_USED');
      assert.equal((await userRow(user.id))!.email, 'inspect@example.com', 'a used link disowns nothing');
    });

    test('pre-hijacking: “I did not sign up” deletes the planted account and all it holds, spends the link, is audited; the address then signs up', async () => {
      // The attacker signs up with the victim's address and a passkey of their own, and uses the account meanwhile:
      // a second sign-in, an application's sign-in (OIDC state), an outstanding admin recovery link.
      const attacker = world.browser();
      const attackerKey = new SoftAuthenticator();
      const { user, token, credentialId } = await signUpWithLink(attacker, 'victim@example.com', attackerKey);
      const elsewhere = world.browser();
      await world.signIn(elsewhere, attackerKey, 'victim@example.com');
      await issueClientState(user.id, 'attacker');
      await expectStatus(world.api.post(`${ADMIN}/users/${user.id}/recovery-links`, {}), 201);
      // Someone else's account and application state, which must stay.
      const bystander = await signUpWithLink(world.browser(), 'bystander@example.com');
      await issueClientState(bystander.user.id, 'bystander');
      world.clock.advance(10 * 60_000);
      const link = (await linkOf(user.id))!;
      assert.equal(await rowsOf('credentials', user.id), 1);
      assert.equal(await rowsOf('selfservice_sessions', user.id), 2);
      assert.equal(await rowsOf('selfservice_recovery_links', user.id), 1);
      assert.deepEqual(await oidcStateOf(user.id), ['Grant', 'RefreshToken', 'Session']);
      const bystanderBefore = await snapshot(bystander.user.id);

      // The victim opens the link: the page shows the account, which is not theirs.
      const victim = world.browser();
      const inspected = await expectStatus(victim.post('/email/verify/inspect', { token }), 200);
      assert.equal(inspected.body.userKey, 'victim@example.com');
      assert.equal(inspected.body.userKeyIsEmail, true);
      const disowned = await expectStatus(victim.post('/email/disown', { token }), 200);
      assert.deepEqual(disowned.body, { email: 'victim@example.com', outcome: 'accountDeleted' });

      // The account is gone, with everything it held; the link went with it.
      assert.equal(await userRow(user.id), undefined);
      for (const table of ['credentials', 'selfservice_sessions', 'selfservice_recovery_links', 'email_verifications'] as const)
        assert.equal(await rowsOf(table, user.id), 0, table);
      assert.deepEqual(await oidcStateOf(user.id), []);
      await expectProblem(attacker.get('/me'), 401, 'SESSION_REQUIRED');
      await expectProblem(elsewhere.get('/me'), 401, 'SESSION_REQUIRED');
      // The attacker's passkey signs in nowhere.
      const retry = world.browser();
      const options = await expectStatus(retry.post('/login/webauthn/options', {}), 200);
      const assertion = attackerKey.authenticate(options.body.publicKey, { origin: ORIGIN, credentialId });
      await expectProblem(retry.post('/login/webauthn/finish', assertion), 400, 'CREDENTIAL_NOT_FOUND');
      // Audited in the same transaction: what went, and the applications' tokens as every revocation is.
      const [event, ...more] = await auditOf('selfservice.email.disown', user.id);
      assert.equal(more.length, 0);
      assert.deepEqual(
        { ...event, clientIp: undefined },
        {
          store: 'customers',
          verificationId: link.id,
          userKey: 'victim@example.com',
          email: 'victim@example.com',
          clientIp: undefined,
          outcome: 'accountDeleted',
          status: 'active',
          deletedPasskeys: 1,
          endedSessions: 2,
          revokedRecoveryLinks: 1,
          // What every account deletion ends besides (identity/deletion-hooks.ts): the applications' artifacts, its
          // sign-up's ceremony sessions.
          removed: { ceremonySessions: 2, journeyInstances: 0, oidcArtifacts: 3, selfServiceFlows: 0 },
        },
      );
      assert.equal((await world.db.selectFrom('ceremony_sessions').select('id').where('user_id', '=', user.id).execute()).length, 0);
      assert.deepEqual(
        (await auditOf('oidc.refreshToken.revoke', user.id)).map((d) => [d.reason, d.count]),
        [['emailDisowned', 1]],
      );
      // Nobody else's state was touched.
      const bystanderAfter = await snapshot(bystander.user.id);
      assert.deepEqual({ ...bystanderAfter, counts: undefined, links: undefined }, { ...bystanderBefore, counts: undefined, links: undefined });

      // The link worked once: it is gone with the account.
      for (const path of ['/email/verify/inspect', '/email/verify', '/email/disown'])
        await expectProblem(victim.post(path, { token }), 404, 'EMAIL_VERIFICATION_NOT_FOUND');

      // The victim signs up with their address, and confirms it with the new link.
      const own = await signUpWithLink(victim, 'victim@example.com');
      assert.notEqual(own.user.id, user.id);
      await expectStatus(victim.post('/email/verify', { token: own.token }), 200);
      assert.notEqual((await userRow(own.user.id))!.email_verified_at, null);
    });

    test('disown is refused, changing nothing, for a verified address, a changed address or a used link', async () => {
      // Verified meanwhile (here as a lost-passkey recovery of an unverified address verifies it): the link can still
      // be inspected — it shows the address verified — but no longer disowns.
      const verified = await signUpWithLink(world.browser(), 'verified@example.com');
      await world.db.updateTable('users').set({ email_verified_at: world.clock.now().getTime() }).where('id', '=', verified.user.id).execute();
      assert.equal((await expectStatus(world.browser().post('/email/verify/inspect', { token: verified.token }), 200)).body.emailVerified, true);
      await refuses(verified.user.id, verified.token, 409, 'EMAIL_ALREADY_VERIFIED');

      // The account's address changed since the link went out: the link is about an address the account no longer has.
      const changed = await signUpWithLink(world.browser(), 'changed@example.com');
      await expectStatus(world.api.patch(`${ADMIN}/users/${changed.user.id}`, { email: 'other@example.com' }), 200);
      await expectProblem(world.browser().post('/email/verify/inspect', { token: changed.token }), 404, 'EMAIL_VERIFICATION_NOT_FOUND');
      await refuses(changed.user.id, changed.token, 404, 'EMAIL_VERIFICATION_NOT_FOUND');

      // Used: the owner confirmed it.
      const used = await signUpWithLink(world.browser(), 'used@example.com');
      await expectStatus(world.browser().post('/email/verify', { token: used.token }), 200);
      await refuses(used.user.id, used.token, 410, 'EMAIL_VERIFICATION_USED');
    });

    test('an account whose userKey is not the address (renamed by an administrator) keeps its passkeys and sessions and loses only the address', async () => {
      const holder = world.browser();
      const { user, token, credentialId } = await signUpWithLink(holder, 'renamed@example.com');
      await expectStatus(world.api.patch(`${ADMIN}/users/${user.id}`, { userKey: 'renamed-holder' }), 200);
      await expectStatus(world.api.post(`${ADMIN}/users/${user.id}/recovery-links`, {}), 201);
      await issueClientState(user.id, 'renamed');
      const inspected = await expectStatus(world.browser().post('/email/verify/inspect', { token }), 200);
      assert.equal(inspected.body.userKey, 'renamed-holder');
      assert.equal(inspected.body.userKeyIsEmail, false);

      const disowned = await expectStatus(world.browser().post('/email/disown', { token }), 200);
      assert.deepEqual(disowned.body, { email: 'renamed@example.com', outcome: 'emailRemoved' });
      const row = (await userRow(user.id))!;
      assert.equal(row.email, null);
      assert.equal(row.email_verified_at, null);
      // Users search no longer finds it by the address it lost; still by its userKey.
      const found = async (q: string) =>
        (await expectStatus(world.api.get(`${ADMIN}/users?q=${encodeURIComponent(q)}`), 200)).body.items.map((u: { id: string }) => u.id);
      assert.deepEqual(await found('renamed@example.com'), []);
      assert.deepEqual(await found('renamed-holder'), [user.id]);
      assert.deepEqual(
        (await world.db.selectFrom('credentials').select('credential_id').where('user_id', '=', user.id).execute()).map((r) => r.credential_id),
        [credentialId],
      );
      await expectStatus(holder.get('/me'), 200);
      assert.deepEqual(await oidcStateOf(user.id), ['Grant', 'RefreshToken', 'Session']);
      // Its outstanding recovery links are revoked, as for any change of address; the link is spent.
      const links = await world.db.selectFrom('selfservice_recovery_links').select('consumed_at').where('user_id', '=', user.id).execute();
      assert.deepEqual(
        links.map((l) => l.consumed_at !== null),
        [true],
      );
      assert.equal(Number((await linkOf(user.id))!.consumed_at), world.clock.now().getTime());
      const [event] = await auditOf('selfservice.email.disown', user.id);
      assert.equal(event!.outcome, 'emailRemoved');
      assert.equal(event!.revokedRecoveryLinks, 1);
      await expectProblem(world.browser().post('/email/disown', { token }), 410, 'EMAIL_VERIFICATION_USED');
    });

    test('disown is one transaction: when a part fails, the account, its link and the audit log stay as they were', async () => {
      const { user, token } = await signUpWithLink(world.browser(), 'atomic@example.com');
      await issueClientState(user.id, 'atomic');
      const before = await snapshot(user.id);
      const { identity } = world.server.services;
      const failing = world.selfServiceWith({
        identity: {
          findStore: (...args) => identity.findStore(...args),
          preparePendingUser: (...args) => identity.preparePendingUser(...args),
          deleteUser: (...args) => identity.deleteUser(...args),
          endWhatUserDeletionEnds: async () => {
            throw new Error('the OpenID Provider’s state cannot be ended');
          },
        },
      });
      const request: BrowserRequest = {
        tenantId: 'acme',
        storeName: 'customers',
        requestId: 'req-atomic',
        clientIp: '127.0.0.1',
        userAgent: undefined,
        flowToken: undefined,
        sessionToken: undefined,
      };
      await assert.rejects(failing.disownEmail(request, token), /cannot be ended/);
      assert.deepEqual(await snapshot(user.id), before);
      assert.deepEqual(await auditOf('selfservice.email.disown', user.id), []);
      // And it then succeeds through the server.
      await expectStatus(world.browser().post('/email/disown', { token }), 200);
      assert.equal(await userRow(user.id), undefined);
    });

    test('verify and disown racing for one link: exactly one of them happens', async () => {
      const { user, token } = await signUpWithLink(world.browser(), 'race@example.com');
      const [verified, disowned] = await Promise.all([world.browser().post('/email/verify', { token }), world.browser().post('/email/disown', { token })]);
      const won = [verified, disowned].filter((r) => r.status === 200);
      assert.equal(won.length, 1, JSON.stringify([verified.body, disowned.body]));
      const lost = verified.status === 200 ? disowned : verified;
      assert.ok(['EMAIL_VERIFICATION_USED', 'EMAIL_VERIFICATION_NOT_FOUND'].includes(lost.body.code), JSON.stringify(lost.body));
      const row = await userRow(user.id);
      if (verified.status === 200) assert.notEqual(row!.email_verified_at, null);
      else assert.equal(row, undefined);
    });

    test('inspect, verify and disown share the link’s rate limit', async () => {
      const { token } = await signUpWithLink(world.browser(), 'limited@example.com');
      const limited = world.selfServiceWith({ rateLimitPerIdentifier: 2 });
      const request: BrowserRequest = {
        tenantId: 'acme',
        storeName: 'customers',
        requestId: 'req-limited',
        clientIp: '127.0.0.9',
        userAgent: undefined,
        flowToken: undefined,
        sessionToken: undefined,
      };
      await limited.inspectEmailVerification(request, token);
      await limited.inspectEmailVerification(request, token);
      await assert.rejects(limited.disownEmail(request, token), (error: { code?: string }) => error.code === 'RATE_LIMITED');
      await assert.rejects(limited.verifyEmail(request, token), (error: { code?: string }) => error.code === 'RATE_LIMITED');
      assert.ok(await world.db.selectFrom('users').select('id').where('email', '=', 'limited@example.com').executeTakeFirst(), 'nothing was disowned');
    });

    // Last: it moves the clock past the admin token's lifetime.
    test('an expired link (24 hours after it was sent) is refused by all three, changing nothing', async () => {
      const expired = await signUpWithLink(world.browser(), 'expired@example.com');
      world.clock.advance(DAY_MS);
      await expectStatus(world.browser().post('/email/verify/inspect', { token: expired.token }), 200);
      world.clock.advance(1);
      for (const path of ['/email/verify/inspect', '/email/verify'])
        await expectProblem(world.browser().post(path, { token: expired.token }), 410, 'EMAIL_VERIFICATION_EXPIRED');
      await refuses(expired.user.id, expired.token, 410, 'EMAIL_VERIFICATION_EXPIRED');
    });
  });
}
