import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DATABASE_KINDS, createTestDatabase } from '../support/databases.ts';
import { HttpClient } from '../support/http-client.ts';
import { runCli, startServerProcess } from '../support/server-process.ts';

for (const kind of DATABASE_KINDS) {
  describe(`durability on ${kind}`, () => {
    test('SIGKILL right after a 201 loses nothing: the user and its audit event are there after restart', async () => {
      const testDatabase = await createTestDatabase(kind);
      const env = testDatabase.env;
      try {
        const init = await runCli(['init', '--tenant', 'acme'], env);
        assert.equal(init.code, 0, init.stderr);
        const credentials = JSON.parse(init.stdout) as { tenant: string; clientId: string; clientSecret: string };
        assert.deepEqual(Object.keys(credentials), ['tenant', 'clientId', 'clientSecret']);

        const first = await startServerProcess(env);
        const form = new URLSearchParams({ grant_type: 'client_credentials', client_id: credentials.clientId, client_secret: credentials.clientSecret });
        const { access_token: token } = (await (await fetch(`${first.url}/oauth2/token`, { method: 'POST', body: form })).json()) as { access_token: string };
        const api = new HttpClient(first.url, token);
        assert.equal((await api.post('/api/identity-store/stores', { name: 'customers' })).status, 201);
        const created = await api.post('/api/identity-store/stores/customers/users', { userKey: 'alice', externalId: 'crash-1' });
        assert.equal(created.status, 201);
        first.child.kill('SIGKILL');
        assert.equal(await first.exited, 'SIGKILL');

        const second = await startServerProcess(env);
        try {
          const again = new HttpClient(second.url, token);
          const read = await again.get('/api/identity-store/stores/customers/users/crash-1/ext');
          assert.equal(read.status, 200, 'the token and the user survived');
          assert.deepEqual(read.body, created.body);
          const audit = await again.get(`/api/audit?action=user.create&targetId=${created.body.id}`);
          assert.equal(audit.body.items.length, 1, 'the audit event committed with the change');
        } finally {
          second.child.kill('SIGTERM');
          assert.equal(await second.exited, 0, 'SIGTERM shuts down gracefully with exit code 0');
        }
      } finally {
        await testDatabase.drop();
      }
    });
  });
}
