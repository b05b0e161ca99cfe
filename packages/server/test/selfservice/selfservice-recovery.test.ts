// Account recovery through real HTTP on both databases: the admin API issues a one-time, expiring link
// (token stored only hashed, audited); the link lets the user register a new passkey, optionally revoking the other
// passkeys and sessions, and signs them in; it works once (410 the second time), not after expiry (injected clock),
// not when unknown (404), and a refused finish changes nothing. A recovery revokes the user's other links, and so do
// the admin API's DELETE, a change of the user's e-mail address, a lock and a disable.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DATABASE_KINDS } from '../support/databases.ts';
import { SoftAuthenticator } from '../support/soft-authenticator.ts';
import { ADMIN, BASE, ORIGIN, SelfServiceWorld, expectProblem, expectStatus } from './selfservice-fixture.ts';

for (const kind of DATABASE_KINDS) {
  describe(`self-service recovery on ${kind}`, () => {
    let world: SelfServiceWorld;
    before(async () => {
      world = await SelfServiceWorld.create(kind);
    });
    after(() => world.close());

    async function link(userId: string, body: Record<string, unknown> = {}) {
      const created = await expectStatus(world.api.post(`${ADMIN}/users/${userId}/recovery-links`, body), 201);
      const url = new URL(created.body.url);
      assert.equal(url.origin, ORIGIN);
      assert.equal(url.pathname, `${BASE}/recover`);
      return { token: url.hash.slice(1), expiresAt: created.body.expiresAt as string, id: created.body.id as string };
    }

    test('a recovery link works once: new passkey, others revoked, signed in; the second use is 410', async () => {
      const oldBrowser = world.browser();
      const { user, credentialId: lost } = await world.signUp(oldBrowser, 'recover@example.com', undefined, 'Rita Recover');
      const issued = await link(user.id);
      assert.equal(issued.expiresAt, '2026-03-01T11:00:00.000Z');
      const stored = await world.db.selectFrom('selfservice_recovery_links').selectAll().where('id', '=', issued.id).executeTakeFirstOrThrow();
      assert.notEqual(stored.token_hash, issued.token, 'only the hash is stored');
      const audit = await world.db.selectFrom('audit_events').selectAll().where('action', '=', 'selfservice.recoveryLink.create').executeTakeFirstOrThrow();
      assert.equal(audit.target_id, user.id);

      const browser = world.browser();
      const begun = await expectStatus(browser.post('/recovery/begin', { token: issued.token }), 200);
      assert.deepEqual(begun.body.user, { userKey: 'recover@example.com', displayName: 'Rita Recover' });
      const fresh = new SoftAuthenticator();
      const credential = fresh.register(begun.body.publicKey, { origin: ORIGIN });
      const finished = await expectStatus(browser.post('/recovery/finish', { token: issued.token, credential, revokeOthers: true }), 201);
      assert.equal(finished.body.user.id, user.id);
      assert.equal(finished.body.credential.credentialId, credential.id);
      assert.equal(finished.body.revokedPasskeys, 1);
      await expectStatus(browser.get('/me'), 200);
      // The lost passkey and the old session are gone.
      assert.equal(await world.db.selectFrom('credentials').select('id').where('credential_id', '=', lost).executeTakeFirst(), undefined);
      await expectProblem(oldBrowser.get('/me'), 401, 'SESSION_REQUIRED');
      const consumed = await world.db.selectFrom('selfservice_recovery_links').selectAll().where('id', '=', issued.id).executeTakeFirstOrThrow();
      assert.equal(Number(consumed.consumed_at), Date.parse('2026-03-01T10:00:00Z'));
      assert.ok((await world.auditActions()).includes('selfservice.recovery'));

      // A second use: refused at begin and at finish, nothing changes.
      const before = await world.counts();
      await expectProblem(world.browser().post('/recovery/begin', { token: issued.token }), 410, 'RECOVERY_LINK_USED');
      await expectProblem(
        browser.post('/recovery/finish', {
          token: issued.token,
          credential: new SoftAuthenticator().register(begun.body.publicKey, { origin: ORIGIN }),
          revokeOthers: false,
        }),
        410,
        'RECOVERY_LINK_USED',
      );
      assert.deepEqual(await world.counts(), before);
      // The recovered account signs in with the new passkey.
      await world.signIn(world.browser(), fresh, 'recover@example.com');
    });

    test('two finishes racing for one link: exactly one succeeds', async () => {
      const { user } = await world.signUp(world.browser(), 'race-recover@example.com');
      const issued = await link(user.id);
      const a = world.browser();
      const b = world.browser();
      const beganA = await expectStatus(a.post('/recovery/begin', { token: issued.token }), 200);
      const beganB = await expectStatus(b.post('/recovery/begin', { token: issued.token }), 200);
      const [ra, rb] = await Promise.all([
        a.post('/recovery/finish', {
          token: issued.token,
          credential: new SoftAuthenticator().register(beganA.body.publicKey, { origin: ORIGIN }),
          revokeOthers: false,
        }),
        b.post('/recovery/finish', {
          token: issued.token,
          credential: new SoftAuthenticator().register(beganB.body.publicKey, { origin: ORIGIN }),
          revokeOthers: false,
        }),
      ]);
      assert.deepEqual([ra.status, rb.status].sort(), [201, 410], JSON.stringify([ra.body, rb.body]));
      const passkeys = await world.db.selectFrom('credentials').select('id').where('user_id', '=', user.id).execute();
      assert.equal(passkeys.length, 2, 'the old passkey and exactly one new one');
    });

    test('an expired link is 410 (at expiry it still works), an unknown one 404; without revokeOthers the others stay', async () => {
      const { user, credentialId: kept } = await world.signUp(world.browser(), 'expire@example.com');
      const short = await link(user.id, { ttlSeconds: 60 });
      world.clock.advance(60_000 + 1);
      await expectProblem(world.browser().post('/recovery/begin', { token: short.token }), 410, 'RECOVERY_LINK_EXPIRED');
      // Begun in time, finished late: refused, nothing stored.
      const edge = await link(user.id, { ttlSeconds: 60 });
      const browser = world.browser();
      world.clock.advance(60_000);
      const begun = await expectStatus(browser.post('/recovery/begin', { token: edge.token }), 200);
      world.clock.advance(1);
      const before = await world.counts();
      await expectProblem(
        browser.post('/recovery/finish', {
          token: edge.token,
          credential: new SoftAuthenticator().register(begun.body.publicKey, { origin: ORIGIN }),
          revokeOthers: true,
        }),
        410,
        'RECOVERY_LINK_EXPIRED',
      );
      assert.deepEqual(await world.counts(), before);

      await expectProblem(world.browser().post('/recovery/begin', { token: 'A'.repeat(43) }), 404, 'RECOVERY_LINK_NOT_FOUND');
      await expectProblem(world.browser().post('/recovery/begin', { token: 'short' }), 404, 'RECOVERY_LINK_NOT_FOUND');

      const ok = await link(user.id);
      const keeper = world.browser();
      const started = await expectStatus(keeper.post('/recovery/begin', { token: ok.token }), 200);
      const done = await expectStatus(
        keeper.post('/recovery/finish', {
          token: ok.token,
          credential: new SoftAuthenticator().register(started.body.publicKey, { origin: ORIGIN }),
          revokeOthers: false,
        }),
        201,
      );
      assert.equal(done.body.revokedPasskeys, 0);
      assert.ok(await world.db.selectFrom('credentials').select('id').where('credential_id', '=', kept).executeTakeFirst());
    });

    const linkRow = (id: string) => world.db.selectFrom('selfservice_recovery_links').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    const revocations = async (userId: string) =>
      (
        await world.db
          .selectFrom('audit_events')
          .selectAll()
          .where('action', '=', 'selfservice.recoveryLink.revoke')
          .where('target_id', '=', userId)
          .orderBy('id')
          .execute()
      ).map((row) => JSON.parse(row.details!) as Record<string, unknown>);

    test('a recovery revokes the user’s other links: a second link cannot recover the account again', async () => {
      // The auditor's sequence: two links exist (one leaked); the owner recovers with the first, removing the others.
      const owner = world.browser();
      const { user } = await world.signUp(owner, 'ada', new SoftAuthenticator());
      const l1 = await link(user.id);
      const l2 = await link(user.id);
      // The attacker opened the second link before the owner finished: their finish comes too late as well.
      const attacker = world.browser();
      const attackerBegun = await expectStatus(attacker.post('/recovery/begin', { token: l2.token }), 200);

      const browser = world.browser();
      const begun = await expectStatus(browser.post('/recovery/begin', { token: l1.token }), 200);
      const ownerKey = new SoftAuthenticator();
      const finished = await expectStatus(
        browser.post('/recovery/finish', { token: l1.token, credential: ownerKey.register(begun.body.publicKey, { origin: ORIGIN }), revokeOthers: true }),
        201,
      );
      assert.equal(finished.body.revokedRecoveryLinks, 1);
      assert.equal(finished.body.revokedPasskeys, 1);
      const now = world.clock.now().getTime();
      assert.equal(Number((await linkRow(l1.id)).consumed_at), now);
      assert.equal(Number((await linkRow(l2.id)).consumed_at), now, 'the second link is spent with the first');
      const recovery = await world.db
        .selectFrom('audit_events')
        .selectAll()
        .where('action', '=', 'selfservice.recovery')
        .where('target_id', '=', user.id)
        .executeTakeFirstOrThrow();
      assert.equal(JSON.parse(recovery.details!).revokedRecoveryLinks, 1);

      const before = await world.counts();
      await expectProblem(world.browser().post('/recovery/begin', { token: l2.token }), 410, 'RECOVERY_LINK_USED');
      await expectProblem(
        attacker.post('/recovery/finish', {
          token: l2.token,
          credential: new SoftAuthenticator().register(attackerBegun.body.publicKey, { origin: ORIGIN }),
          revokeOthers: true,
        }),
        410,
        'RECOVERY_LINK_USED',
      );
      assert.deepEqual(await world.counts(), before, 'the refused link changed nothing');
      await expectStatus(browser.get('/me'), 200);
      const passkeys = await world.db.selectFrom('credentials').select('credential_id').where('user_id', '=', user.id).execute();
      assert.deepEqual(
        passkeys.map((p) => p.credential_id),
        [finished.body.credential.credentialId],
      );
    });

    test('admin API: DELETE …/recovery-links revokes every outstanding link of the user (audited with the count)', async () => {
      const { user } = await world.signUp(world.browser(), 'revoke-all@example.com');
      const a = await link(user.id);
      const b = await link(user.id);
      const expired = await link(user.id, { ttlSeconds: 60 });
      world.clock.advance(60_001);
      const { user: other } = await world.signUp(world.browser(), 'bystander@example.com');
      const untouched = await link(other.id);

      const revoked = await expectStatus(world.api.delete(`${ADMIN}/users/${user.id}/recovery-links`), 204);
      assert.equal(revoked.body, '');
      for (const spent of [a, b]) {
        await expectProblem(world.browser().post('/recovery/begin', { token: spent.token }), 410, 'RECOVERY_LINK_USED');
        assert.equal(Number((await linkRow(spent.id)).consumed_at), world.clock.now().getTime());
      }
      assert.equal((await linkRow(expired.id)).consumed_at, null, 'an expired link is left as it is (it is refused anyway)');
      await expectProblem(world.browser().post('/recovery/begin', { token: expired.token }), 410, 'RECOVERY_LINK_EXPIRED');
      await expectStatus(world.browser().post('/recovery/begin', { token: untouched.token }), 200);
      // Again: nothing left, still 204 and audited.
      await expectStatus(world.api.delete(`${ADMIN}/users/${user.id}/recovery-links`), 204);
      assert.deepEqual(await revocations(user.id), [
        { store: 'customers', reason: 'admin', count: 2 },
        { store: 'customers', reason: 'admin', count: 0 },
      ]);
      const event = await world.db.selectFrom('audit_events').selectAll().where('action', '=', 'selfservice.recoveryLink.revoke').executeTakeFirstOrThrow();
      assert.equal(event.actor, world.acme!.clientId);

      // Refused: without the permission; another store's, another tenant's, an unknown user; an unknown store. The
      // bystander's link stays usable through all of them.
      const narrow = await world.server.token(world.acme!.clientId, world.acme!.clientSecret, 'TNT#acme#IdentityStore:createRecoveryLink');
      await expectProblem(world.api.withToken(narrow).delete(`${ADMIN}/users/${other.id}/recovery-links`), 403, 'FORBIDDEN');
      await expectStatus(world.api.post('/api/identity-store/stores', { name: 'elsewhere' }), 201);
      await expectProblem(world.api.delete(`/api/identity-store/stores/elsewhere/users/${other.id}/recovery-links`), 404, 'USER_NOT_FOUND');
      const globex = await world.server.tenant(`globex-${kind}`);
      await expectStatus(globex.api.post('/api/identity-store/stores', { name: 'customers' }), 201);
      await expectProblem(globex.api.delete(`${ADMIN}/users/${other.id}/recovery-links`), 404, 'USER_NOT_FOUND');
      await expectProblem(
        globex.api.delete(`/api/identity-store/${world.acme!.tenant}/stores/customers/users/${other.id}/recovery-links`),
        404,
        'TENANT_NOT_FOUND',
      );
      await expectProblem(world.api.delete(`${ADMIN}/users/nope/recovery-links`), 404, 'USER_NOT_FOUND');
      await expectProblem(world.api.delete(`/api/identity-store/stores/nowhere/users/${other.id}/recovery-links`), 404, 'STORE_NOT_FOUND');
      assert.equal((await linkRow(untouched.id)).consumed_at, null);
      assert.deepEqual(await revocations(other.id), []);
    });

    test('changing the user’s e-mail address, locking or disabling them revokes their links; other changes do not', async () => {
      const created = await expectStatus(world.api.post(`${ADMIN}/users`, { userKey: 'linda', email: 'linda@example.com' }), 201);
      const userId = created.body.id as string;
      const patch = (body: Record<string, unknown>) => expectStatus(world.api.patch(`${ADMIN}/users/${userId}`, body), 200);

      const kept = await link(userId);
      await patch({ firstName: 'Linda', email: 'linda@example.com' });
      await patch({ status: 'active' });
      await expectStatus(world.browser().post('/recovery/begin', { token: kept.token }), 200);
      assert.equal((await linkRow(kept.id)).consumed_at, null, 'the same address and other fields leave links alone');

      await patch({ email: 'linda@example.org' });
      await expectProblem(world.browser().post('/recovery/begin', { token: kept.token }), 410, 'RECOVERY_LINK_USED');

      const beforeLock = await link(userId);
      await patch({ status: 'locked' });
      await patch({ status: 'active' });
      await expectProblem(world.browser().post('/recovery/begin', { token: beforeLock.token }), 410, 'RECOVERY_LINK_USED');

      const beforeDisable = await link(userId);
      // By external id too: the same update.
      await expectStatus(world.api.patch(`${ADMIN}/users/${created.body.externalId}/ext`, { status: 'disabled' }), 200);
      await patch({ status: 'active' });
      await expectProblem(world.browser().post('/recovery/begin', { token: beforeDisable.token }), 410, 'RECOVERY_LINK_USED');

      const cleared = await link(userId);
      await patch({ email: null });
      await expectProblem(world.browser().post('/recovery/begin', { token: cleared.token }), 410, 'RECOVERY_LINK_USED');

      assert.deepEqual(await revocations(userId), [
        { store: 'customers', reason: 'emailChanged', count: 1 },
        { store: 'customers', reason: 'locked', count: 1 },
        { store: 'customers', reason: 'disabled', count: 1 },
        { store: 'customers', reason: 'emailChanged', count: 1 },
      ]);
      // With nothing outstanding, a lock revokes nothing and writes no revocation event.
      await patch({ status: 'locked' });
      assert.equal((await revocations(userId)).length, 4);
    });

    test('admin API: unknown user 404; store without self-service 404 SELF_SERVICE_DISABLED; ttl bounds', async () => {
      await expectProblem(world.api.post(`${ADMIN}/users/nope/recovery-links`, {}), 404, 'USER_NOT_FOUND');
      await expectStatus(world.api.post('/api/identity-store/stores', { name: 'plain' }), 201);
      const plainUser = await expectStatus(world.api.post('/api/identity-store/stores/plain/users', { userKey: 'p' }), 201);
      await expectProblem(world.api.post(`/api/identity-store/stores/plain/users/${plainUser.body.id}/recovery-links`, {}), 404, 'SELF_SERVICE_DISABLED');
      const { user } = await world.signUp(world.browser(), 'ttl@example.com');
      await expectProblem(world.api.post(`${ADMIN}/users/${user.id}/recovery-links`, { ttlSeconds: 10 }), 400, 'VALIDATION_FAILED');
      // Without a body the store's default TTL applies.
      const created = await expectStatus(world.api.request('POST', `${ADMIN}/users/${user.id}/recovery-links`), 201);
      assert.equal(Date.parse(created.body.expiresAt) - world.clock.now().getTime(), 3600_000);
    });
  });
}
