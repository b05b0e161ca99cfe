import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { describe, test } from 'node:test';
import { promisify } from 'node:util';
import { sql } from 'kysely';
import { openDatabase } from '../../src/storage/database.ts';
import { migrateToLatest, migrateUpTo, pendingMigrations } from '../../src/storage/migrate.ts';
import { DATABASE_KINDS, createTestDatabase, openMigratedDatabase } from '../support/databases.ts';

const run = promisify(execFile);
const CLI = path.resolve(import.meta.dirname, '../../src/cli.ts');

for (const kind of DATABASE_KINDS) {
  describe(`migrations on ${kind}`, () => {
    test('two nodes running `keyway migrate` on one empty database at once both succeed; each migration is applied once', async () => {
      const testDatabase = await createTestDatabase(kind);
      const env = { ...process.env, ...testDatabase.env };
      try {
        const outputs = await Promise.all(
          [0, 1].map(() =>
            run(process.execPath, ['--disable-warning=ExperimentalWarning', CLI, 'migrate'], { env }).catch((error: { stderr?: string }) => {
              throw new Error(`keyway migrate failed: ${error.stderr ?? String(error)}`);
            }),
          ),
        );
        const messages = outputs.map((o) => o.stderr.trim()).sort();
        // Exactly one node applied the schema; the other found it current.
        assert.equal(messages.filter((m) => m.startsWith('applied: 001-foundation')).length, 1, messages.join(' | '));
        assert.equal(messages.filter((m) => m === 'schema is up to date').length, 1, messages.join(' | '));
        const database = openDatabase(testDatabase.url);
        try {
          assert.deepEqual(await pendingMigrations(database), []);
          const history = await database.db
            .selectFrom('keyway_migrations' as never)
            .selectAll()
            .execute();
          assert.equal(history.length, messages.find((m) => m.startsWith('applied'))!.split(',').length);
        } finally {
          await database.close();
        }
      } finally {
        await testDatabase.drop();
      }
    });

    test('017 and 018: the OpenID Provider’s clients and state arrive on a database that has data; a state row is unique per tenant, model and id', async () => {
      const testDatabase = await createTestDatabase(kind);
      const database = openDatabase(testDatabase.url);
      try {
        await migrateUpTo(database, '016-credential-device');
        await assert.rejects(database.db.selectFrom('oidc_clients').selectAll().execute());
        assert.deepEqual((await migrateToLatest(database)).slice(0, 2), ['017-oidc-clients', '018-oidc-state']);
        assert.equal((await database.db.selectFrom('oidc_clients').selectAll().execute()).length, 0);
        const row = {
          tenant_id: 'acme',
          model: 'Session',
          id: 's1',
          payload: '{}',
          grant_id: null,
          client_id: null,
          user_code: null,
          uid: 'u1',
          expires_at: 1,
          consumed_at: null,
        };
        await database.db.insertInto('oidc_state').values(row).execute();
        await database.db
          .insertInto('oidc_state')
          .values({ ...row, tenant_id: 'globex' })
          .execute();
        await assert.rejects(database.db.insertInto('oidc_state').values(row).execute());
      } finally {
        await database.close();
        await testDatabase.drop();
      }
    });

    test('021-scheduler-leases: one lease per job name, and the index the timeout scan reads', async () => {
      const testDatabase = await createTestDatabase(kind);
      const database = openDatabase(testDatabase.url);
      try {
        await migrateToLatest(database);
        const lease = { name: 'journey-timers', holder: 'node-a', expires_at: 1 };
        await database.db.insertInto('scheduler_leases').values(lease).execute();
        await assert.rejects(
          database.db
            .insertInto('scheduler_leases')
            .values({ ...lease, holder: 'node-b' })
            .execute(),
        );
        const rows = await database.db.selectFrom('scheduler_leases').selectAll().execute();
        assert.deepEqual(
          rows.map((row) => ({ ...row, expires_at: Number(row.expires_at) })),
          [lease],
        );
      } finally {
        await database.close();
        await testDatabase.drop();
      }
    });
  });

  describe(`023-email on ${kind}`, () => {
    test('the outbox keeps what it needs to deliver and retry; users gain email_verified_at; the verification table exists', async () => {
      const testDatabase = await createTestDatabase(kind);
      const database = openDatabase(testDatabase.url);
      try {
        await migrateToLatest(database);
        const row = {
          id: 'm1',
          tenant_id: 'acme',
          to_address: 'ada@example.com',
          subject: 'Hello',
          body: '{}',
          purpose: 'lost-passkey',
          attempts: 0,
          next_attempt_at: 1,
          sent_at: null,
          failed_at: null,
          last_error: null,
          created_at: 1,
        };
        await database.db.insertInto('email_outbox').values(row).execute();
        const [stored] = await database.db.selectFrom('email_outbox').selectAll().execute();
        // user_id: migration 040
        assert.deepEqual({ ...stored, next_attempt_at: Number(stored!.next_attempt_at), created_at: Number(stored!.created_at) }, { ...row, user_id: null });
        assert.deepEqual(await database.db.selectFrom('users').select('email_verified_at').execute(), []);
        assert.deepEqual(await database.db.selectFrom('email_verifications').selectAll().execute(), []);
      } finally {
        await database.close();
        await testDatabase.drop();
      }
    });
  });

  describe(`030-session-amr-sign-up-challenges on ${kind}`, () => {
    test('a solved sign-up challenge is recorded once per tenant; sessions gain an amr column', async () => {
      const { database, close } = await openMigratedDatabase(kind);
      const db = database.db;
      try {
        const used = { tenant_id: 'acme', challenge: 'c1', expires_at: 1 };
        await db.insertInto('selfservice_used_challenges').values(used).execute();
        await assert.rejects(db.insertInto('selfservice_used_challenges').values(used).execute(), 'the same solution twice in one tenant');
        await db
          .insertInto('selfservice_used_challenges')
          .values({ ...used, tenant_id: 'globex' })
          .execute();
        assert.equal((await db.selectFrom('selfservice_used_challenges').select('challenge').execute()).length, 2);
        assert.deepEqual(await db.selectFrom('selfservice_sessions').select('amr').execute(), []);
      } finally {
        await close();
      }
    });
  });

  describe(`026-organizations on ${kind}`, () => {
    test('an organization name (comparison form) and a domain are unique per store; deleting the store removes its organizations, domains', async () => {
      const { database, close } = await openMigratedDatabase(kind);
      const db = database.db;
      try {
        await db.insertInto('tenants').values({ id: 'acme', created_at: 1 }).execute();
        for (const id of ['s1', 's2'])
          await db
            .insertInto('stores')
            .values({ id, tenant_id: 'acme', name: id, display_name: null, self_service: null, created_at: 1, updated_at: 1 })
            .execute();
        const org = { tenant_id: 'acme', name: 'Globex', name_key: 'globex', display_name: null, policy: '{}', created_at: 1, updated_at: 1 };
        await db
          .insertInto('organizations')
          .values({ ...org, id: 'o1', store_id: 's1' })
          .execute();
        await db
          .insertInto('organizations')
          .values({ ...org, id: 'o2', store_id: 's2' })
          .execute();
        await assert.rejects(
          db
            .insertInto('organizations')
            .values({ ...org, id: 'o3', store_id: 's1', name: 'GLOBEX' })
            .execute(),
        );
        const domain = { tenant_id: 'acme', domain: 'globex.example', verification_token: 't', verified_at: null, created_at: 1 };
        await db
          .insertInto('organization_domains')
          .values({ ...domain, id: 'd1', store_id: 's1', organization_id: 'o1' })
          .execute();
        await db
          .insertInto('organization_domains')
          .values({ ...domain, id: 'd2', store_id: 's2', organization_id: 'o2' })
          .execute();
        await assert.rejects(
          db
            .insertInto('organization_domains')
            .values({ ...domain, id: 'd3', store_id: 's1', organization_id: 'o1' })
            .execute(),
        );
        await db.deleteFrom('stores').where('id', '=', 's1').execute();
        assert.deepEqual(
          (await db.selectFrom('organizations').select('id').execute()).map((r) => r.id),
          ['o2'],
        );
        assert.deepEqual(
          (await db.selectFrom('organization_domains').select('id').execute()).map((r) => r.id),
          ['d2'],
        );
      } finally {
        await close();
      }
    });
  });

  describe(`019-console-operators on ${kind}`, () => {
    test('removing an operator removes their passkeys, sessions and access tokens; a tenant removes its operators and links', async () => {
      const { database, close } = await openMigratedDatabase(kind);
      const db = database.db;
      try {
        await db.insertInto('tenants').values({ id: 'acme', created_at: 1 }).execute();
        await db
          .insertInto('console_operators')
          .values({ id: 'kwo_1', tenant_id: 'acme', display_name: 'Ada', role: 'owner', user_handle: 'h1', created_at: 1, updated_at: 1 })
          .execute();
        await db
          .insertInto('console_operator_credentials')
          .values({
            id: 'c1',
            credential_id: 'cred',
            tenant_id: 'acme',
            operator_id: 'kwo_1',
            public_key: 'pk',
            algorithm: -7,
            sign_count: 0,
            transports: '[]',
            aaguid: '00000000-0000-0000-0000-000000000000',
            backup_eligible: 1,
            backed_up: 1,
            name: null,
            created_at: 1,
            last_used_at: null,
          })
          .execute();
        await db
          .insertInto('console_sessions')
          .values({
            id: 's1',
            token_hash: 't1',
            tenant_id: 'acme',
            operator_id: 'kwo_1',
            credential_id: 'cred',
            created_at: 1,
            expires_at: 2,
            revoked_at: null,
          })
          .execute();
        await db
          .insertInto('console_access_tokens')
          .values({ token_hash: 'a1', session_id: 's1', tenant_id: 'acme', operator_id: 'kwo_1', expires_at: 2, created_at: 1 })
          .execute();
        await db
          .insertInto('console_invitations')
          .values({
            id: 'i1',
            token_hash: 'x1',
            tenant_id: 'acme',
            role: 'admin',
            created_by: 'cli',
            expires_at: 2,
            consumed_at: null,
            operator_id: null,
            created_at: 1,
          })
          .execute();
        // The credential ID and the user handle are unique across the database.
        await assert.rejects(
          db
            .insertInto('console_operators')
            .values({ id: 'kwo_2', tenant_id: 'acme', display_name: 'B', role: 'viewer', user_handle: 'h1', created_at: 1, updated_at: 1 })
            .execute(),
        );

        await db.deleteFrom('console_operators').where('id', '=', 'kwo_1').execute();
        for (const table of ['console_operator_credentials', 'console_sessions', 'console_access_tokens'] as const) {
          assert.equal((await db.selectFrom(table).selectAll().execute()).length, 0, table);
        }
        await db.deleteFrom('tenants').where('id', '=', 'acme').execute();
        assert.equal((await db.selectFrom('console_invitations').selectAll().execute()).length, 0);
      } finally {
        await close();
      }
    });
  });
}

for (const kind of DATABASE_KINDS) {
  describe(`025-device-keys on ${kind}`, () => {
    test('one device key bound to two users of a store; a user’s bound devices go with the user', async () => {
      const { database, close } = await openMigratedDatabase(kind);
      const db = database.db;
      try {
        await db.insertInto('tenants').values({ id: 'acme', created_at: 1 }).execute();
        await db
          .insertInto('stores')
          .values({ id: 's1', tenant_id: 'acme', name: 'customers', display_name: null, self_service: null, created_at: 1, updated_at: 1 })
          .execute();
        for (const id of ['u1', 'u2'])
          await db
            .insertInto('users')
            .values({
              id,
              tenant_id: 'acme',
              store_id: 's1',
              user_key: id,
              user_key_normalized: id,
              external_id: id,
              status: 'active',
              attributes: '{}',
              created_at: 1,
              updated_at: 1,
            } as never)
            .execute();
        const device = (id: string, user: string) => ({
          id,
          tenant_id: 'acme',
          store_id: 's1',
          user_id: user,
          key_id: 'same-key',
          public_jwk: '{}',
          credential_id: null,
          created_at: 1,
          last_seen_at: null,
          revoked_at: null,
        });
        await db
          .insertInto('device_keys')
          .values([device('d1', 'u1'), device('d2', 'u2')])
          .execute();
        await db.deleteFrom('users').where('id', '=', 'u1').execute();
        assert.deepEqual(
          (await db.selectFrom('device_keys').select('id').execute()).map((r) => r.id),
          ['d2'],
        );
      } finally {
        await close();
      }
    });
  });
}

for (const kind of DATABASE_KINDS) {
  describe(`040-email-outbox-user on ${kind}`, () => {
    test('a queued e-mail names its user and goes with them; one queued before keeps no user; the indexes a deletion reads exist', async () => {
      const testDatabase = await createTestDatabase(kind);
      const database = openDatabase(testDatabase.url);
      const db = database.db;
      try {
        await migrateUpTo(database, '038-user-search-text');
        await db.insertInto('tenants').values({ id: 'acme', created_at: 1 }).execute();
        await db
          .insertInto('stores')
          .values({ id: 's1', tenant_id: 'acme', name: 'customers', display_name: null, self_service: null, created_at: 1, updated_at: 1 })
          .execute();
        for (const id of ['u1', 'u2'])
          await db
            .insertInto('users')
            .values({
              id,
              tenant_id: 'acme',
              store_id: 's1',
              user_key: id,
              user_key_normalized: id,
              external_id: id,
              status: 'active',
              attributes: '{}',
              created_at: 1,
              updated_at: 1,
            } as never)
            .execute();
        const mail = (id: string) => ({
          id,
          tenant_id: 'acme',
          to_address: 'ada@example.com',
          subject: 'Hello',
          body: '{}',
          purpose: 'lost-passkey',
          attempts: 0,
          next_attempt_at: 1,
          sent_at: null,
          failed_at: null,
          last_error: null,
          created_at: 1,
        });
        await db
          .insertInto('email_outbox')
          .values(mail('before') as never)
          .execute();

        assert.ok((await migrateToLatest(database)).includes('040-email-outbox-user'));
        await db
          .insertInto('email_outbox')
          .values([
            { ...mail('for-u1'), user_id: 'u1' },
            { ...mail('for-u2'), user_id: 'u2' },
          ])
          .execute();
        await assert.rejects(
          db
            .insertInto('email_outbox')
            .values({ ...mail('for-nobody'), user_id: 'no-such-user' })
            .execute(),
        );
        await db.deleteFrom('users').where('id', '=', 'u1').execute();
        assert.deepEqual(
          (await db.selectFrom('email_outbox').select(['id', 'user_id']).orderBy('id').execute()).map((row) => [row.id, row.user_id]),
          [
            ['before', null],
            ['for-u2', 'u2'],
          ],
        );
        const indexes =
          database.dialect === 'sqlite'
            ? (await sql<{ name: string }>`select name from sqlite_master where type = 'index'`.execute(db)).rows.map((row) => row.name)
            : (await sql<{ name: string }>`select indexname as name from pg_indexes where schemaname = current_schema()`.execute(db)).rows.map(
                (row) => row.name,
              );
        assert.ok(indexes.includes('email_outbox_user_id_idx'));
        assert.ok(indexes.includes('journey_instances_user_id_idx'));
      } finally {
        await database.close();
        await testDatabase.drop();
      }
    });
  });
}
