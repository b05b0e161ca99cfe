// The audit event of an abandoned sign-up's deletion keeps a digest of the identifier typed, not the identifier: it may
// be someone else's e-mail address (a pre-hijacking attempt), and audit events are kept for good. An operator asked
// about an address computes the digest (SHA-256 of tenant, store id and the comparison form) and compares.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { ABANDONED_AFTER_MS, userKeyDigest } from '../../src/identity/pending-accounts.ts';
import { DATABASE_KINDS } from '../support/databases.ts';
import { SelfServiceWorld, expectStatus } from '../selfservice/selfservice-fixture.ts';

for (const kind of DATABASE_KINDS) {
  describe(`the audit of an abandoned sign-up's deletion on ${kind}`, () => {
    let world: SelfServiceWorld;
    before(async () => {
      world = await SelfServiceWorld.create(kind);
    });
    after(() => world?.close());

    test('a digest of the identifier, not the address typed; the same for every spelling of it', async () => {
      const typed = 'Grace.Hopper@Example.com';
      await expectStatus(world.browser().post('/register/webauthn/begin', { identifier: typed }), 200);
      const pending = await world.db.selectFrom('users').select(['id', 'store_id']).where('user_key', '=', typed).executeTakeFirstOrThrow();
      world.clock.advance(ABANDONED_AFTER_MS + 1);
      await world.server.services.retention.sweep();

      const event = await world.db
        .selectFrom('audit_events')
        .select(['target_id', 'details'])
        .where('action', '=', 'selfservice.signUp.expire')
        .where('target_id', '=', pending.id)
        .executeTakeFirstOrThrow();
      const expected = createHash('sha256').update(`acme\0${pending.store_id}\0grace.hopper@example.com`).digest('hex');
      assert.deepEqual(JSON.parse(String(event.details)), { storeId: pending.store_id, userKeyDigest: expected });
      assert.equal(userKeyDigest('acme', pending.store_id, 'ＧＲＡＣＥ.hopper@example.com '), expected, 'the comparison form: width, case, spaces');
      assert.notEqual(userKeyDigest('globex', pending.store_id, typed), expected, 'another tenant, another digest');

      const events = await world.db.selectFrom('audit_events').select('details').execute();
      const text = events
        .map((e) => String(e.details))
        .join('\n')
        .toLowerCase();
      assert.ok(!text.includes('grace.hopper'), 'the address typed is in no audit event');
    });
  });
}
