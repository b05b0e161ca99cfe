// "I lost my passkey" by e-mail through real HTTP and a real SMTP listener, on both databases: an e-mailed link to an
// account whose address nobody verified takes the account over (every other passkey and session goes, whatever
// revokeOthers says, and the address becomes verified), which defeats pre-hijacking (an attacker who signed up with
// the victim's address and a passkey of their own); a verified address recovers as before (the others stay unless
// revokeOthers); admin-issued links keep revokeOthers as chosen; a new e-mail replaces the older e-mailed links; at
// most 3 e-mails go to one address in 15 minutes (beyond, the same 202 and nothing sent); when users share an address
// the link goes to the verified one, and to nobody when that leaves several.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DATABASE_KINDS } from '../support/databases.ts';
import { startSmtpListener, type SmtpListener } from '../support/smtp-listener.ts';
import { SoftAuthenticator } from '../support/soft-authenticator.ts';
import { ADMIN, ORIGIN, SELF_SERVICE, SelfServiceWorld, expectProblem, expectStatus, type Browser } from './selfservice-fixture.ts';

for (const kind of DATABASE_KINDS) {
  describe(`self-service recovery by e-mail on ${kind}`, () => {
    let smtp: SmtpListener;
    let world: SelfServiceWorld;
    before(async () => {
      smtp = await startSmtpListener();
      world = await SelfServiceWorld.create(kind, { env: smtp.env });
      // The store verifies addresses: sign-up takes an e-mail address as identifier and sends a verification link.
      await expectStatus(world.api.patch(ADMIN, { selfService: { ...SELF_SERVICE, verifyEmail: true } }), 200);
    });
    after(async () => {
      await world?.close();
      await smtp?.close();
    });

    /** Delivers the outbox and answers the e-mails `address` received since `since` (an index into smtp.mails). */
    async function mailsTo(address: string, since: number) {
      await world.server.services.emailOutbox.tick();
      return smtp.mails.slice(since).filter((mail) => mail.to.includes(address));
    }

    /** Asks for a lost-passkey e-mail and answers the token of the link it carried. */
    async function recoveryToken(browser: Browser, address: string): Promise<string> {
      // Earlier e-mails (a sign-up's verification link) go out first.
      const since = (await world.server.services.emailOutbox.tick(), smtp.mails.length);
      const asked = await expectStatus(browser.post('/recovery/email', { email: address }), 202);
      assert.deepEqual(asked.body, { accepted: true });
      const [mail, ...more] = await mailsTo(address, since);
      assert.ok(mail, `a recovery e-mail to ${address}`);
      assert.equal(more.length, 0);
      const token = /\/recover#([A-Za-z0-9_-]{43})/.exec(mail.text)?.[1];
      assert.ok(token, mail.text);
      return token;
    }

    /** Signs up with an address and follows the verification link e-mailed for it. */
    async function signUpVerified(browser: Browser, address: string) {
      const since = smtp.mails.length;
      const signedUp = await world.signUp(browser, address);
      const [mail] = await mailsTo(address, since);
      const token = /\/verify-email#([A-Za-z0-9_-]{43})/.exec(mail?.text ?? '')?.[1];
      assert.ok(token, 'a verification e-mail');
      await expectStatus(browser.post('/email/verify', { token }), 200);
      return signedUp;
    }

    async function recover(browser: Browser, token: string, revokeOthers: boolean, authenticator = new SoftAuthenticator()) {
      const begun = await expectStatus(browser.post('/recovery/begin', { token }), 200);
      const credential = authenticator.register(begun.body.publicKey, { origin: ORIGIN });
      const finished = await expectStatus(browser.post('/recovery/finish', { token, credential, revokeOthers }), 201);
      return { begun, finished, credentialId: credential.id as string, authenticator };
    }

    const passkeysOf = async (userId: string) =>
      (await world.db.selectFrom('credentials').select('credential_id').where('user_id', '=', userId).orderBy('id').execute()).map((r) => r.credential_id);
    const liveSessionsOf = async (userId: string) =>
      (await world.db.selectFrom('selfservice_sessions').select('id').where('user_id', '=', userId).where('revoked_at', 'is', null).execute()).length;
    const userRow = (userId: string) => world.db.selectFrom('users').selectAll().where('id', '=', userId).executeTakeFirstOrThrow();
    const auditOf = async (action: string, userId: string) =>
      (await world.db.selectFrom('audit_events').selectAll().where('action', '=', action).where('target_id', '=', userId).orderBy('id').execute()).map(
        (row) => ({ outcome: row.outcome, details: JSON.parse(row.details ?? '{}') as Record<string, unknown> }),
      );

    test('pre-hijacking: the attacker’s passkey and session do not survive the address owner’s e-mail recovery', async () => {
      // 1. The attacker signs up with the victim's address (never verified) and a passkey of their own.
      const attacker = world.browser();
      const attackerKey = new SoftAuthenticator();
      const planted = await world.signUp(attacker, 'victim@example.com', attackerKey);
      assert.equal(planted.response.body.user.emailVerified, false);
      const account = planted.user.id;
      await expectStatus(attacker.get('/me'), 200);

      // 2. The victim cannot sign up and asks for a lost-passkey e-mail instead.
      const victim = world.browser();
      await expectProblem(victim.post('/register/webauthn/begin', { identifier: 'victim@example.com' }), 409, 'IDENTIFIER_TAKEN');
      const token = await recoveryToken(victim, 'victim@example.com');
      const link = await world.db.selectFrom('selfservice_recovery_links').selectAll().where('user_id', '=', account).executeTakeFirstOrThrow();
      assert.equal(link.created_by, 'self-service:email');
      assert.deepEqual(await passkeysOf(account), [planted.credentialId]);
      assert.equal(await liveSessionsOf(account), 1);
      assert.equal((await userRow(account)).email_verified_at, null);

      // 3. The victim recovers without ticking "remove all my other passkeys": they go anyway.
      const { begun, finished, credentialId, authenticator: victimKey } = await recover(victim, token, false);
      assert.deepEqual(begun.body.user, { userKey: 'victim@example.com', displayName: 'victim@example.com' });
      assert.equal(finished.body.user.id, account);
      assert.equal(finished.body.user.emailVerified, true);
      assert.equal(finished.body.revokedPasskeys, 1);
      assert.equal(finished.body.revokedSessions, 1);
      assert.equal(finished.body.revokedBecause, 'emailUnverified');
      assert.equal(finished.body.revokedRecoveryLinks, 0);

      // Persisted: only the victim's passkey, only the victim's session, the link spent, the address verified.
      assert.deepEqual(await passkeysOf(account), [credentialId]);
      assert.equal(await liveSessionsOf(account), 1);
      const now = world.clock.now().getTime();
      assert.equal(Number((await userRow(account)).email_verified_at), now);
      const spent = await world.db.selectFrom('selfservice_recovery_links').selectAll().where('id', '=', link.id).executeTakeFirstOrThrow();
      assert.equal(Number(spent.consumed_at), now);
      const [recovery] = await auditOf('selfservice.recovery', account);
      assert.deepEqual(
        { ...recovery!.details, credentialId: undefined, clientIp: undefined },
        {
          store: 'customers',
          linkId: link.id,
          credentialId: undefined,
          revokeOthers: false,
          revokedBecause: 'emailUnverified',
          revokedPasskeys: 1,
          revokedSessions: 1,
          revokedRecoveryLinks: 0,
          clientIp: undefined,
        },
      );
      const verifications = await auditOf('selfservice.email.verify', account);
      assert.deepEqual(verifications, [{ outcome: 'success', details: { store: 'customers', via: 'recovery', linkId: link.id } }]);

      // 4. The attacker is out: their session ended, their passkey no longer signs in (usernameless: the store does
      // not know it any more; by identifier the victim's account offers only the victim's passkey).
      await expectProblem(attacker.get('/me'), 401, 'SESSION_REQUIRED');
      const intruder = world.browser();
      const options = await expectStatus(intruder.post('/login/webauthn/options', {}), 200);
      await expectProblem(
        intruder.post('/login/webauthn/finish', attackerKey.authenticate(options.body.publicKey, { origin: ORIGIN })),
        400,
        'CREDENTIAL_NOT_FOUND',
      );
      await expectProblem(intruder.get('/me'), 401, 'SESSION_REQUIRED');
      const byName = await expectStatus(intruder.post('/login/webauthn/options', { identifier: 'victim@example.com' }), 200);
      assert.throws(() => attackerKey.authenticate(byName.body.publicKey, { origin: ORIGIN }), { name: 'NotAllowedError' });

      // The victim's own passkey signs in, and their session lives.
      await expectStatus(victim.get('/me'), 200);
      await world.signIn(world.browser(), victimKey, 'victim@example.com');
    });

    test('a verified address recovers by e-mail as before: the other passkeys and sessions stay unless revokeOthers', async () => {
      const oldDevice = world.browser();
      const { user, credentialId: first } = await signUpVerified(oldDevice, 'owner@example.com');
      assert.ok((await userRow(user.id)).email_verified_at !== null);

      const kept = await recover(world.browser(), await recoveryToken(world.browser(), 'owner@example.com'), false);
      assert.deepEqual([kept.finished.body.revokedPasskeys, kept.finished.body.revokedSessions, kept.finished.body.revokedBecause], [0, 0, null]);
      assert.deepEqual(await passkeysOf(user.id), [first, kept.credentialId]);
      await expectStatus(oldDevice.get('/me'), 200);
      assert.deepEqual(await auditOf('selfservice.email.verify', user.id).then((events) => events.map((e) => e.details.via)), [undefined]);

      const revoked = await recover(world.browser(), await recoveryToken(world.browser(), 'owner@example.com'), true);
      assert.deepEqual(
        [revoked.finished.body.revokedPasskeys, revoked.finished.body.revokedSessions, revoked.finished.body.revokedBecause],
        [2, 2, 'requested'],
      );
      assert.deepEqual(await passkeysOf(user.id), [revoked.credentialId]);
      await expectProblem(oldDevice.get('/me'), 401, 'SESSION_REQUIRED');
    });

    test('an admin-issued link keeps revokeOthers as chosen, also for an unverified address', async () => {
      // A user the admin API created with an address, who registered a passkey by a first (admin) link.
      const created = await expectStatus(world.api.post(`${ADMIN}/users`, { userKey: 'grace', email: 'grace@example.com' }), 201);
      const issue = async () => {
        const url = (await expectStatus(world.api.post(`${ADMIN}/users/${created.body.id}/recovery-links`, {}), 201)).body.url as string;
        return url.split('#')[1]!;
      };
      const enrolled = await recover(world.browser(), await issue(), false);
      assert.equal(enrolled.finished.body.revokedBecause, null);
      const again = await recover(world.browser(), await issue(), false);
      assert.deepEqual([again.finished.body.revokedPasskeys, again.finished.body.revokedSessions, again.finished.body.revokedBecause], [0, 0, null]);
      assert.deepEqual(await passkeysOf(created.body.id), [enrolled.credentialId, again.credentialId]);
      assert.equal((await userRow(created.body.id)).email_verified_at, null, 'an admin link proves no address');
    });

    test('a new lost-passkey e-mail replaces the older e-mailed links (not the admin’s); a recovery revokes them all', async () => {
      const { user } = await signUpVerified(world.browser(), 'twice@example.com');
      const first = await recoveryToken(world.browser(), 'twice@example.com');
      const adminUrl = (await expectStatus(world.api.post(`${ADMIN}/users/${user.id}/recovery-links`, {}), 201)).body.url as string;
      const second = await recoveryToken(world.browser(), 'twice@example.com');
      await expectProblem(world.browser().post('/recovery/begin', { token: first }), 410, 'RECOVERY_LINK_USED');
      const [, replacing] = await auditOf('selfservice.recoveryEmail.request', user.id);
      assert.equal(replacing!.details.replacedLinks, 1);
      await expectStatus(world.browser().post('/recovery/begin', { token: adminUrl.split('#')[1] }), 200);

      const { finished } = await recover(world.browser(), second, false);
      assert.equal(finished.body.revokedRecoveryLinks, 1, 'the admin’s link');
      await expectProblem(world.browser().post('/recovery/begin', { token: adminUrl.split('#')[1] }), 410, 'RECOVERY_LINK_USED');
      const outstanding = await world.db
        .selectFrom('selfservice_recovery_links')
        .select('id')
        .where('user_id', '=', user.id)
        .where('consumed_at', 'is', null)
        .execute();
      assert.deepEqual(outstanding, []);
    });

    test('at most 3 lost-passkey e-mails per address in 15 minutes, across client addresses: beyond, the same 202 and nothing sent', async () => {
      const created = await expectStatus(world.api.post(`${ADMIN}/users`, { userKey: 'flooded', email: 'flooded@example.com' }), 201);
      const userId = created.body.id as string;
      const t0 = world.clock.now().getTime();
      const fromAddress = (n: number) => world.browser({ localAddress: `127.0.0.${n}` });
      const tokens = [];
      for (const n of [2, 3, 4]) tokens.push(await recoveryToken(fromAddress(n), 'flooded@example.com'));

      const links = () => world.db.selectFrom('selfservice_recovery_links').selectAll().where('user_id', '=', userId).orderBy('id').execute();
      const refusedAsk = async (browser: Browser) => {
        const since = (await world.server.services.emailOutbox.tick(), smtp.mails.length);
        const before = await links();
        const asked = await expectStatus(browser.post('/recovery/email', { email: 'flooded@example.com' }), 202);
        assert.deepEqual(asked.body, { accepted: true });
        assert.deepEqual(await mailsTo('flooded@example.com', since), [], 'nothing sent');
        assert.deepEqual(await links(), before, 'no link stored, none replaced');
        const [last] = (await auditOf('selfservice.recoveryEmail.request', userId)).slice(-1);
        assert.deepEqual(last, { outcome: 'failure', details: { store: 'customers', clientIp: last!.details.clientIp, reason: 'too many recovery e-mails' } });
      };
      await refusedAsk(fromAddress(5));
      // The newest e-mail's link still works: the refused request changed nothing.
      await expectStatus(world.browser().post('/recovery/begin', { token: tokens[2] }), 200);
      await expectProblem(world.browser().post('/recovery/begin', { token: tokens[1] }), 410, 'RECOVERY_LINK_USED');

      // An e-mail counts for 15 minutes: 1 ms before, still over; at 15 minutes, one more goes out.
      world.clock.set(new Date(t0 + 15 * 60_000 - 1));
      await refusedAsk(fromAddress(6));
      world.clock.set(new Date(t0 + 15 * 60_000));
      const later = await recoveryToken(fromAddress(7), 'flooded@example.com');
      await recover(world.browser(), later, false);
      // An address without an account answers the same however often it is asked.
      for (let i = 0; i < 5; i++)
        assert.deepEqual((await expectStatus(fromAddress(8).post('/recovery/email', { email: 'nobody-here@example.com' }), 202)).body, { accepted: true });
    });

    test('five requests for one address at once, from five client addresses, with two e-mails sent: exactly one more', async () => {
      const created = await expectStatus(world.api.post(`${ADMIN}/users`, { userKey: 'rushed', email: 'rushed@example.com' }), 201);
      const since = (await world.server.services.emailOutbox.tick(), smtp.mails.length);
      await recoveryToken(world.browser(), 'rushed@example.com');
      await recoveryToken(world.browser(), 'rushed@example.com');
      // In a new minute the address's one-minute limiter window admits three: only the count of e-mailed links, taken
      // in turn (each request waits for the one before to commit), holds them to one.
      world.clock.advance(2 * 60_000);
      const answers = await Promise.all(
        [2, 3, 4, 5, 6].map((n) => world.browser({ localAddress: `127.0.0.${n}` }).post('/recovery/email', { email: 'rushed@example.com' })),
      );
      assert.deepEqual(
        answers.map((a) => a.status),
        [202, 202, 202, 202, 202],
      );
      assert.equal((await mailsTo('rushed@example.com', since)).length, 3);
      const stored = await world.db.selectFrom('selfservice_recovery_links').selectAll().where('user_id', '=', created.body.id).execute();
      assert.equal(stored.length, 3);
      assert.equal(stored.filter((l) => l.consumed_at === null).length, 1, 'each newer e-mail replaced the one before');
      const refused = (await auditOf('selfservice.recoveryEmail.request', created.body.id)).filter((e) => e.outcome === 'failure');
      assert.equal(refused.length, 4);
    });

    test('users sharing an address: the verified one gets the link; several verified, or several and none verified: nobody', async () => {
      // The unverified user is the older one: a lookup taking the first row found would pick it.
      const older = await expectStatus(world.api.post(`${ADMIN}/users`, { userKey: 'shared-older', email: 'shared@example.com' }), 201);
      const { user: verified } = await signUpVerified(world.browser(), 'shared@example.com');
      const token = await recoveryToken(world.browser(), 'shared@example.com');
      const begun = await expectStatus(world.browser().post('/recovery/begin', { token }), 200);
      assert.equal(begun.body.user.userKey, 'shared@example.com');
      assert.equal((await auditOf('selfservice.recoveryEmail.request', verified.id)).length, 1);

      const asksNobody = async (address: string) => {
        const since = (await world.server.services.emailOutbox.tick(), smtp.mails.length);
        const links = (await world.db.selectFrom('selfservice_recovery_links').select('id').execute()).length;
        const asked = await expectStatus(world.browser().post('/recovery/email', { email: address }), 202);
        assert.deepEqual(asked.body, { accepted: true }, 'the same answer as for one account');
        assert.deepEqual(await mailsTo(address, since), []);
        assert.equal((await world.db.selectFrom('selfservice_recovery_links').select('id').execute()).length, links);
        const [event] = await world.db
          .selectFrom('audit_events')
          .selectAll()
          .where('action', '=', 'selfservice.recoveryEmail.request')
          .orderBy('id', 'desc')
          .limit(1)
          .execute();
        assert.equal(event!.outcome, 'failure');
        assert.equal(JSON.parse(event!.details!).reason, 'address shared');
      };

      // Two verified users with one address (an import could leave this; the APIs verify only an address a user signed up with).
      await world.db.updateTable('users').set({ email_verified_at: world.clock.now().getTime() }).where('id', '=', older.body.id).execute();
      await asksNobody('shared@example.com');

      await expectStatus(world.api.post(`${ADMIN}/users`, { userKey: 'pair-1', email: 'pair@example.com' }), 201);
      await expectStatus(world.api.post(`${ADMIN}/users`, { userKey: 'pair-2', email: 'pair@example.com' }), 201);
      await asksNobody('pair@example.com');
    });
  });
}
