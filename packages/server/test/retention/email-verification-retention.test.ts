// E-mail verification links are deleted by the retention sweep a day after they expire, used or not: each row keeps the
// address the link was sent to, which must not outlive the link. Until then a late click is still told precisely why
// the link no longer works (used, expired). On SQLite and PostgreSQL; the index the sweep uses is checked for every
// rule by retention-indexes.test.ts.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ManualClock } from '../../src/shared/clock.ts';
import { DATABASE_KINDS } from '../support/databases.ts';
import { startTestServer, type TestServer } from '../support/test-server.ts';

const DAY_MS = 24 * 60 * 60 * 1000;
const HOUR_MS = 60 * 60 * 1000;

for (const kind of DATABASE_KINDS) {
  describe(`e-mail verification links' retention on ${kind}`, () => {
    const clock = new ManualClock('2026-09-01T10:00:00Z');
    let server: TestServer;
    let storeId: string;
    let userId: string;

    before(async () => {
      server = await startTestServer({ kind, clock });
      const acme = await server.tenant('acme');
      assert.equal((await acme.api.post('/api/identity-store/stores', { name: 'customers' })).status, 201);
      const user = await acme.api.post('/api/identity-store/stores/customers/users', { userKey: 'grace', email: 'grace.hopper@example.com' });
      assert.equal(user.status, 201, JSON.stringify(user.body));
      userId = String(user.body.id);
      storeId = (await server.database.db.selectFrom('stores').select('id').where('name', '=', 'customers').executeTakeFirstOrThrow()).id;
    });
    after(() => server?.close());

    const ids = async () => (await server.database.db.selectFrom('email_verifications').select('id').orderBy('id').execute()).map((row) => row.id);

    test('used or not, a link goes a day after its expiry; the boundary row and live links stay', async () => {
      const t = clock.now().getTime();
      const link = (id: string, expiresAt: number, consumedAt: number | null) => ({
        id,
        token_hash: `hash-${id}`,
        tenant_id: 'acme',
        store_id: storeId,
        user_id: userId,
        email: 'grace.hopper@example.com',
        expires_at: expiresAt,
        consumed_at: consumedAt,
        created_at: expiresAt - DAY_MS,
      });
      await server.database.db
        .insertInto('email_verifications')
        .values([
          link('a-unused-long-expired', t - DAY_MS - 1, null),
          link('b-used-long-expired', t - DAY_MS - 1, t - 2 * DAY_MS),
          link('c-boundary', t - DAY_MS, null),
          link('d-used-just-expired', t - HOUR_MS, t - DAY_MS),
          link('e-live', t + HOUR_MS, null),
        ])
        .execute();

      assert.deepEqual(await server.services.retention.sweep(), { email_verifications: 2 });
      assert.deepEqual(await ids(), ['c-boundary', 'd-used-just-expired', 'e-live']);
      assert.deepEqual(await server.services.retention.sweep(), {}, 'nothing more to delete');

      clock.advance(1);
      assert.deepEqual(await server.services.retention.sweep(), { email_verifications: 1 }, 'one millisecond later');
      clock.advance(DAY_MS + 2 * HOUR_MS);
      // (the admin's access token has expired too by now: only this table's count is of interest)
      assert.equal((await server.services.retention.sweep()).email_verifications, 2);
      assert.deepEqual(await ids(), []);
      const user = await server.database.db.selectFrom('users').select(['id', 'email']).where('id', '=', userId).executeTakeFirst();
      assert.deepEqual({ ...user }, { id: userId, email: 'grace.hopper@example.com' }, 'the user and their address stay');
    });
  });
}
