// The provider's storage: a code or refresh token is marked used once. Two redemptions that both read it unused (a
// race the provider's own check cannot see) meet here: the second mark is refused with invalid_grant.
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

    test('an authorization code is consumed once; the second consume is invalid_grant and changes nothing', async () => {
      const codes = adapter('acme', 'AuthorizationCode');
      await codes.upsert('code-1', { grantId: 'grant-1', clientId: 'app', accountId: 'user-1', kind: 'AuthorizationCode', jti: 'code-1' }, 60);
      await codes.consume('code-1');
      const first = await codes.find('code-1');
      assert.equal(typeof first?.consumed, 'number');
      await assert.rejects(codes.consume('code-1'), (error: Error & { error?: string }) => error.error === 'invalid_grant');
      assert.deepEqual(await codes.find('code-1'), first);
    });

    test('a refresh token is consumed once, and another tenant cannot consume it', async () => {
      const tokens = adapter('acme', 'RefreshToken');
      await tokens.upsert('rt-1', { grantId: 'grant-2', clientId: 'app', accountId: 'user-1', kind: 'RefreshToken', jti: 'rt-1' }, 60);
      await assert.rejects(adapter('globex', 'RefreshToken').consume('rt-1'), (error: Error & { error?: string }) => error.error === 'invalid_grant');
      assert.equal((await tokens.find('rt-1'))?.consumed, undefined);
      await tokens.consume('rt-1');
      await assert.rejects(tokens.consume('rt-1'), (error: Error & { error?: string }) => error.error === 'invalid_grant');
    });
  });
}
