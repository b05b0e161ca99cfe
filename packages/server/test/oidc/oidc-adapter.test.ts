// The provider's storage: a code or refresh token is marked used once. Two redemptions that both read it unused (a
// race the provider's own check cannot see) meet here: the second mark is refused with invalid_grant and, being a
// reuse, revokes the grant's tokens as the provider does for a reuse it sees.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { oidcAdapterFactory } from '../../src/oidc/oidc-adapter.ts';
import { DATABASE_KINDS } from '../support/databases.ts';
import { startTestServer, type TestServer } from '../support/test-server.ts';

for (const kind of DATABASE_KINDS) {
  describe(`OpenID Provider storage on ${kind}`, () => {
    let server: TestServer;
    before(async () => {
      server = await startTestServer({ kind });
      await server.tenant('acme');
      await server.tenant('globex');
    });
    after(() => server.close());

    const adapter = (tenantId: string, model: string) =>
      oidcAdapterFactory({ db: server.database.db, clock: { now: () => new Date() }, tenantId, findClient: async () => undefined })(model);

    test("an authorization code is consumed once; the second consume is invalid_grant and revokes its grant's tokens, audited", async () => {
      const codes = adapter('acme', 'AuthorizationCode');
      const grant = { grantId: 'grant-1', clientId: 'app', accountId: 'user-1' };
      await codes.upsert('code-1', { ...grant, kind: 'AuthorizationCode', jti: 'code-1' }, 60);
      await codes.consume('code-1');
      const first = await codes.find('code-1');
      assert.equal(typeof first?.consumed, 'number');
      // What the winner got from the code, and an unrelated grant of the same user.
      await adapter('acme', 'AccessToken').upsert('at-1', { ...grant, kind: 'AccessToken', jti: 'at-1' }, 60);
      await adapter('acme', 'RefreshToken').upsert('rt-9', { ...grant, kind: 'RefreshToken', jti: 'rt-9' }, 60);
      await adapter('acme', 'AccessToken').upsert('at-other', { ...grant, grantId: 'grant-other', kind: 'AccessToken', jti: 'at-other' }, 60);
      // The loser of two concurrent redemptions meets the compare-and-set, not the provider's own reuse check.
      await assert.rejects(codes.consume('code-1'), (error: Error & { error?: string }) => error.error === 'invalid_grant');
      assert.equal(await codes.find('code-1'), undefined);
      assert.equal(await adapter('acme', 'AccessToken').find('at-1'), undefined);
      assert.equal(await adapter('acme', 'RefreshToken').find('rt-9'), undefined);
      assert.ok(await adapter('acme', 'AccessToken').find('at-other'), 'another grant stays');
      const events = await server.database.db
        .selectFrom('audit_events')
        .select(['action', 'details'])
        .where('tenant_id', '=', 'acme')
        .where('action', 'like', 'oidc.%.revoke')
        .orderBy('action')
        .execute();
      assert.deepEqual(
        events.map((event) => [event.action, JSON.parse(event.details as string)]),
        [
          ['oidc.accessToken.revoke', { grantId: 'grant-1', count: 1, reason: 'reused' }],
          ['oidc.refreshToken.revoke', { grantId: 'grant-1', count: 1, reason: 'reused' }],
        ],
      );
    });

    test('a refresh token is consumed once, and another tenant cannot consume it', async () => {
      const tokens = adapter('acme', 'RefreshToken');
      await tokens.upsert('rt-1', { grantId: 'grant-2', clientId: 'app', accountId: 'user-1', kind: 'RefreshToken', jti: 'rt-1' }, 60);
      await assert.rejects(adapter('globex', 'RefreshToken').consume('rt-1'), (error: Error & { error?: string }) => error.error === 'invalid_grant');
      assert.equal((await tokens.find('rt-1'))?.consumed, undefined);
      await tokens.consume('rt-1');
      await assert.rejects(tokens.consume('rt-1'), (error: Error & { error?: string }) => error.error === 'invalid_grant');
      assert.equal(await tokens.find('rt-1'), undefined, 'the reuse revoked its grant');
    });
  });
}
