import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ManualClock } from '../../src/shared/clock.ts';
import { DATABASE_KINDS } from '../support/databases.ts';
import { startTestServer, type TenantFixture, type TestServer } from '../support/test-server.ts';

const LIMITS = { KEYWAY_RATE_LIMIT_TOKEN_PER_IP: '10', KEYWAY_RATE_LIMIT_TOKEN_PER_CLIENT: '3' };

async function tokenRequest(server: TestServer, clientId: string, clientSecret: string) {
  const response = await fetch(`${server.url}/oauth2/token`, {
    method: 'POST',
    body: new URLSearchParams({ grant_type: 'client_credentials', client_id: clientId, client_secret: clientSecret }),
  });
  return { status: response.status, headers: response.headers, body: (await response.json()) as Record<string, string> };
}

for (const kind of DATABASE_KINDS) {
  describe(`token endpoint throttling on ${kind}`, () => {
    const clock = new ManualClock('2026-03-01T10:00:00Z');
    let node1: TestServer;
    let node2: TestServer;
    let acme: TenantFixture;
    before(async () => {
      node1 = await startTestServer({ kind, clock, env: LIMITS });
      node2 = await startTestServer({ kind, clock, env: LIMITS, databaseUrl: node1.config.databaseUrl });
      acme = await node1.tenant('acme');
    });
    after(async () => {
      await node2.close();
      await node1.close();
    });

    test('429 RATE_LIMITED with Retry-After per client id and per address, shared by all nodes, until the window ends', async () => {
      const a = (await acme.api.post('/api/admin/clients', { name: 'a', permissions: ['TNT#acme#Audit:listEvents'] })).body;
      const b = (await acme.api.post('/api/admin/clients', { name: 'b', permissions: ['TNT#acme#Audit:listEvents'] })).body;
      clock.advance(60_000); // a fresh window: the set-up's token request no longer counts

      for (let i = 0; i < 3; i += 1) assert.equal((await tokenRequest(node1, a.clientId, 'kws_guess')).status, 401);
      const limited = await tokenRequest(node1, a.clientId, a.clientSecret);
      assert.equal(limited.status, 429, 'even the right secret, once the client id is over its limit');
      assert.equal(limited.body.code, 'RATE_LIMITED');
      assert.match(limited.body.detail ?? '', /for this client/);
      assert.match(limited.headers.get('retry-after') ?? '', /^[1-9][0-9]?$/);
      assert.equal(limited.headers.get('cache-control'), 'no-store');
      assert.equal((await tokenRequest(node2, a.clientId, a.clientSecret)).status, 429, 'another node sees the same count');

      assert.equal((await tokenRequest(node1, b.clientId, b.clientSecret)).status, 200, 'another client id is counted apart');
      for (let i = 0; i < 4; i += 1) assert.equal((await tokenRequest(node2, `kwc_unknown${i}`, 'x')).status, 401);
      const address = await tokenRequest(node1, b.clientId, b.clientSecret);
      assert.equal(address.status, 429);
      assert.match(address.body.detail ?? '', /from this address/);
      const stored = await node1.database.db.selectFrom('access_tokens').select('token_hash').where('client_id', '=', a.clientId).execute();
      assert.equal(stored.length, 0, 'no token was issued to the limited client');

      clock.advance(60_000);
      assert.equal((await tokenRequest(node1, a.clientId, a.clientSecret)).status, 200, 'the next window starts afresh');
    });
  });
}
