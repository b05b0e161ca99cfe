import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { openDatabase } from '../../src/storage/database.ts';
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
        assert.deepEqual(Object.keys(credentials), ['tenant', 'clientId', 'clientSecret', 'consoleEnrollmentUrl']);

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

    test('SIGKILL under concurrent writes, 3 times: every acknowledged user is there exactly once with its audit event; nothing is half there', async () => {
      const testDatabase = await createTestDatabase(kind);
      const env = testDatabase.env;
      try {
        const init = await runCli(['init', '--tenant', 'acme'], env);
        assert.equal(init.code, 0, init.stderr);
        const credentials = JSON.parse(init.stdout) as { clientId: string; clientSecret: string };
        const acknowledged = new Set<string>();
        const attempted: string[] = [];
        for (let round = 0; round < 3; round++) {
          const server = await startServerProcess(env);
          const form = new URLSearchParams({ grant_type: 'client_credentials', client_id: credentials.clientId, client_secret: credentials.clientSecret });
          const { access_token: token } = (await (await fetch(`${server.url}/oauth2/token`, { method: 'POST', body: form })).json()) as {
            access_token: string;
          };
          const api = new HttpClient(server.url, token);
          if (round === 0) assert.equal((await api.post('/api/identity-store/stores', { name: 'customers' })).status, 201);
          // 40 creations in flight at once; the process is killed as soon as the 10th is acknowledged.
          let answered = 0;
          let killed!: () => void;
          const killNow = new Promise<void>((resolve) => (killed = resolve));
          const writes = Array.from({ length: 40 }, (_, i) => {
            const externalId = `crash-${round}-${i}`;
            attempted.push(externalId);
            return api.post('/api/identity-store/stores/customers/users', { userKey: `user-${round}-${i}`, externalId }).then(
              (response) => {
                if (response.status === 201) {
                  acknowledged.add(externalId);
                  if (++answered === 10) killed();
                }
              },
              () => undefined, // cut by the kill: not acknowledged
            );
          });
          await Promise.race([killNow, Promise.all(writes)]);
          server.child.kill('SIGKILL');
          assert.equal(await server.exited, 'SIGKILL');
          await Promise.all(writes);
        }
        assert.ok(acknowledged.size >= 30);

        const database = openDatabase(testDatabase.url);
        try {
          const users = await database.db.selectFrom('users').select(['id', 'external_id']).where('external_id', 'like', 'crash-%').execute();
          const byExternalId = new Map(users.map((u) => [u.external_id, u.id]));
          assert.equal(byExternalId.size, users.length, 'no user twice');
          for (const externalId of acknowledged) assert.ok(byExternalId.has(externalId), `acknowledged ${externalId} survived`);
          for (const externalId of byExternalId.keys()) assert.ok(attempted.includes(externalId));
          const audit = await database.db.selectFrom('audit_events').select('target_id').where('action', '=', 'user.create').execute();
          const audited = audit.map((a) => a.target_id).sort();
          assert.deepEqual(audited, users.map((u) => u.id).sort(), 'exactly one audit event per user that exists, none for one that does not');
        } finally {
          await database.close();
        }
      } finally {
        await testDatabase.drop();
      }
    });
  });
}
