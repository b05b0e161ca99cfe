// Secrets at rest on both databases: what the database holds (no clear private key, decoy key or
// page grant id), the start-up check of the master key (missing, wrong, rotated), the default key
// file beside SQLite, and the upgrade of a database an older version left with clear secrets.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createLocalJWKSet, createRemoteJWKSet, exportJWK, generateKeyPair, calculateJwkThumbprint, jwtVerify, type JWK } from 'jose';
import { sql } from 'kysely';
import { loadConfig } from '../../src/config/config.ts';
import { createServices } from '../../src/services.ts';
import { openSecret } from '../../src/secrets/envelope.ts';
import { generateMasterKeyText, parseMasterKey } from '../../src/secrets/master-key.ts';
import { DecoyCredentials } from '../../src/selfservice/decoy-credentials.ts';
import { rotateMasterKey } from '../../src/secrets/rotate-master-key.ts';
import { DECOY_KEY_COLUMN, SIGNING_KEY_COLUMN, sealedAad } from '../../src/secrets/sealed-columns.ts';
import { systemClock } from '../../src/shared/clock.ts';
import { openKeywayDatabase } from '../../src/startup.ts';
import { openDatabase, type Database } from '../../src/storage/database.ts';
import { migrateUpTo } from '../../src/storage/migrate.ts';
import { DATABASE_KINDS, createTestDatabase, type DatabaseKind, type TestDatabase } from '../support/databases.ts';
import { runCli, startServerProcess } from '../support/server-process.ts';
import { startTestServer, type TestServer } from '../support/test-server.ts';

/** Everything the database holds, as text: every row of every table (PostgreSQL), or the file and its WAL (SQLite). */
async function everythingStored(kind: DatabaseKind, server: { database: Database; config: { databaseUrl: string } }): Promise<string> {
  if (kind === 'sqlite') {
    const file = server.config.databaseUrl.slice('sqlite:'.length);
    return [file, `${file}-wal`]
      .filter((f) => existsSync(f))
      .map((f) => readFileSync(f).toString('latin1'))
      .join('\n');
  }
  const tables = await sql<{ table_name: string }>`select table_name from information_schema.tables where table_schema = 'public'`.execute(server.database.db);
  const parts: string[] = [];
  for (const { table_name: table } of tables.rows) {
    const rows = await sql<{ row: string }>`select t::text as row from ${sql.table(table)} t`.execute(server.database.db);
    parts.push(...rows.rows.map((r) => r.row));
  }
  return parts.join('\n');
}

const PAGE = '<!doctype html><html><body><p>hello</p></body></html>';

for (const kind of DATABASE_KINDS) {
  describe(`secrets at rest (${kind})`, () => {
    let server: TestServer;

    before(async () => {
      server = await startTestServer({ kind });
      await server.tenant('acme');
      await server.tenant('globex');
    });
    after(() => server.close());

    test('the database holds no clear signing key (JWK d), decoy key or page grant id; tokens still verify against the JWKS', async () => {
      const token = await server.services.signingKeys.issueIdToken('acme', { sub: 'u1', aud: 'rp', amr: ['user'] });
      const { payload } = await jwtVerify(token, createRemoteJWKSet(new URL(`${server.url}/acme/.well-known/jwks.json`)), {
        issuer: `${server.config.publicUrl}/acme`,
        audience: 'rp',
      });
      assert.equal(payload.sub, 'u1');
      // The tenant's decoy key is created on its first unknown identifier.
      const decoys = new DecoyCredentials({ db: server.database.db, clock: systemClock, masterKey: server.masterKey });
      const decoy = await decoys.paddingFor('acme', { storeId: 's', rpId: 'example.com' }, 'nobody@example.com', 0);

      const key = await server.database.db.selectFrom('signing_keys').select(['kid', 'private_jwk']).where('tenant_id', '=', 'acme').executeTakeFirstOrThrow();
      assert.match(key.private_jwk, /^kw1\./);
      const jwk = JSON.parse(openSecret(server.masterKey, key.private_jwk, sealedAad(SIGNING_KEY_COLUMN, { tenant_id: 'acme', kid: key.kid }))) as JWK;
      assert.equal(typeof jwk.d, 'string');

      await server.services.pages.create({ tenantId: 'acme', actor: 'test' }, { name: 'hello', body: PAGE });
      await server.services.pages.publish({ tenantId: 'acme', actor: 'test' }, 'hello', 1);
      const grant = await server.services.pages.grant({
        tenantId: 'acme',
        sessionId: 's1',
        stepId: 'p',
        pageName: 'hello',
        data: { sessionData: {}, constants: {} },
      });
      const grantId = grant.url.split('/').pop()!;
      assert.equal((await server.http.get(grant.url)).status, 200, 'the grant URL still serves the page');

      const decoyRows = await server.database.db.selectFrom('selfservice_tenant_keys').select(['tenant_id', 'decoy_key']).execute();
      const decoyKeys = decoyRows.map((row) => openSecret(server.masterKey, row.decoy_key, sealedAad(DECOY_KEY_COLUMN, row)));
      assert.equal(decoyKeys.length, 1);
      assert.deepEqual(
        await new DecoyCredentials({ db: server.database.db, clock: systemClock, masterKey: server.masterKey }).paddingFor(
          'acme',
          { storeId: 's', rpId: 'example.com' },
          'nobody@example.com',
          0,
        ),
        decoy,
        'the sealed key gives the same decoys on another node',
      );

      const stored = await everythingStored(kind, server);
      assert.ok(stored.includes(key.kid), 'the scan sees the rows');
      assert.ok(!stored.includes(jwk.d!), 'the private key d value is not stored in clear');
      for (const decoyKey of decoyKeys) assert.ok(!stored.includes(decoyKey), 'the decoy HMAC key is not stored in clear');
      assert.ok(!stored.includes(grantId), 'the page grant id is not stored');
    });

    test('a sealed value moved to another tenant’s row does not open there (the row identity is authenticated)', async () => {
      await server.services.signingKeys.getJwks('globex');
      const acmeKey = await server.database.db
        .selectFrom('signing_keys')
        .select(['kid', 'private_jwk'])
        .where('tenant_id', '=', 'acme')
        .executeTakeFirstOrThrow();
      const globexKey = await server.database.db.selectFrom('signing_keys').select('kid').where('tenant_id', '=', 'globex').executeTakeFirstOrThrow();
      assert.throws(() => openSecret(server.masterKey, acmeKey.private_jwk, sealedAad(SIGNING_KEY_COLUMN, { tenant_id: 'globex', kid: globexKey.kid })), {
        name: 'SealedSecretError',
      });
      assert.throws(() => openSecret(server.masterKey, acmeKey.private_jwk, sealedAad(SIGNING_KEY_COLUMN, { tenant_id: 'globex', kid: acmeKey.kid })), {
        name: 'SealedSecretError',
      });
      const otherKey = parseMasterKey(generateMasterKeyText())!;
      assert.throws(
        () => openSecret(otherKey, acmeKey.private_jwk, sealedAad(SIGNING_KEY_COLUMN, { tenant_id: 'acme', kid: acmeKey.kid })),
        /sealed under master key/,
      );
    });

    test('rotate-master is all or nothing: a record that does not open stops it and changes nothing', async () => {
      const snapshot = async () => ({
        signing: await server.database.db.selectFrom('signing_keys').select(['kid', 'private_jwk']).orderBy('kid').execute(),
        decoy: await server.database.db.selectFrom('selfservice_tenant_keys').select(['tenant_id', 'decoy_key']).orderBy('tenant_id').execute(),
        check: await server.database.db.selectFrom('keyway_master_key').selectAll().execute(),
      });
      const original = await snapshot();
      assert.ok(original.signing.length >= 2 && original.decoy.length === 1);
      // Signing keys are re-wrapped first; the decoy key's wrapped data key is then found altered.
      const [version, keyId, wrapped, data] = original.decoy[0]!.decoy_key.split('.');
      const altered = [version, keyId, `${wrapped!.slice(0, 5)}${wrapped![5] === 'A' ? 'B' : 'A'}${wrapped!.slice(6)}`, data].join('.');
      await server.database.db
        .updateTable('selfservice_tenant_keys')
        .set({ decoy_key: altered })
        .where('tenant_id', '=', original.decoy[0]!.tenant_id)
        .execute();
      try {
        const tampered = await snapshot();
        await assert.rejects(rotateMasterKey(server.database.db, server.masterKey, parseMasterKey(generateMasterKeyText())!, Date.now()), {
          name: 'SealedSecretError',
        });
        assert.deepEqual(await snapshot(), tampered, 'no envelope and no check value changed');
      } finally {
        await server.database.db
          .updateTable('selfservice_tenant_keys')
          .set({ decoy_key: original.decoy[0]!.decoy_key })
          .where('tenant_id', '=', original.decoy[0]!.tenant_id)
          .execute();
      }
      assert.deepEqual(await snapshot(), original);
    });
  });

  describe(`master key at start-up (${kind})`, () => {
    let testDatabase: TestDatabase;
    let dir: string;
    before(async () => {
      testDatabase = await createTestDatabase(kind);
      dir = mkdtempSync(path.join(tmpdir(), 'keyway-keys-'));
    });
    after(async () => {
      await testDatabase.drop();
      rmSync(dir, { recursive: true, force: true });
    });

    test('a wrong key stops start-up with the precise message and exit code 78; rotate-master moves to a new key and the old one is refused', async () => {
      const init = await runCli(['init', '--tenant', 'acme'], testDatabase.env);
      assert.equal(init.code, 0, init.stderr);
      const credentials = JSON.parse(init.stdout) as { clientId: string; clientSecret: string };
      const currentEnv = testDatabase.env;
      const current =
        kind === 'sqlite'
          ? parseMasterKey(readFileSync(path.join(path.dirname(testDatabase.url.slice('sqlite:'.length)), 'keyway-master.key'), 'utf8'))!
          : parseMasterKey(testDatabase.env.KEYWAY_MASTER_KEY!)!;

      // A token signed before the rotation, to verify against the JWKS after it.
      const first = await startServerProcess(currentEnv);
      let jwksBefore: { keys: JWK[] };
      try {
        jwksBefore = (await (await fetch(`${first.url}/acme/.well-known/jwks.json`)).json()) as { keys: JWK[] };
      } finally {
        first.child.kill('SIGTERM');
        await first.exited;
      }

      const wrong = generateMasterKeyText();
      const wrongId = parseMasterKey(wrong)!.id;
      const refused = await runCli(['serve'], { ...testDatabase.env, KEYWAY_MASTER_KEY: wrong, PORT: '0' });
      assert.equal(refused.code, 78);
      assert.match(
        refused.stderr,
        new RegExp(
          `^master key error: KEYWAY_MASTER_KEY: expected the master key this database is encrypted with \\(key id ${escape(current.id)}\\), got a different key \\(key id ${escape(wrongId)}\\)`,
          'm',
        ),
      );

      const newFile = path.join(dir, 'new-master.key');
      {
        const rotated = await runCli(['keys', 'rotate-master', '--new-key-file', newFile], currentEnv);
        assert.equal(rotated.code, 0, rotated.stderr);
        assert.equal(statSync(newFile).mode & 0o777, 0o600, 'the new key file is readable by its owner only');
        const newKey = parseMasterKey(readFileSync(newFile, 'utf8'))!;
        const report = JSON.parse(rotated.stdout) as { previousKeyId: string; keyId: string; rewrapped: number };
        assert.deepEqual(report, { previousKeyId: current.id, keyId: newKey.id, rewrapped: report.rewrapped });
        assert.ok(report.rewrapped >= 1);

        const old = await runCli(['serve'], { ...currentEnv, PORT: '0' });
        assert.equal(old.code, 78, 'the previous key is refused after rotation');
        assert.match(old.stderr, new RegExp(`expected the master key this database is encrypted with \\(key id ${escape(newKey.id)}\\)`));

        const newEnv = { KEYWAY_DATABASE_URL: testDatabase.url, KEYWAY_MASTER_KEY: '', KEYWAY_MASTER_KEY_FILE: newFile };
        const second = await startServerProcess(newEnv);
        try {
          const jwks = (await (await fetch(`${second.url}/acme/.well-known/jwks.json`)).json()) as { keys: JWK[] };
          assert.deepEqual(jwks, jwksBefore!, 'the same signing key, readable under the new master key');
          const form = new URLSearchParams({ grant_type: 'client_credentials', client_id: credentials.clientId, client_secret: credentials.clientSecret });
          assert.equal((await fetch(`${second.url}/oauth2/token`, { method: 'POST', body: form })).status, 200);
        } finally {
          second.child.kill('SIGTERM');
          assert.equal(await second.exited, 0);
        }
      }
    });
  });

  test(`upgrade (${kind}): clear secrets an older version stored are sealed at first start; keys, tokens and page grants keep working`, async () => {
    const testDatabase = await createTestDatabase(kind);
    let database = openDatabase(testDatabase.url);
    try {
      await migrateUpTo(database, '006-journey-content');
      // Rows exactly as the previous version wrote them: clear JWK, clear decoy key, raw grant id.
      const pair = await generateKeyPair('ES256', { extractable: true });
      const privateJwk = await exportJWK(pair.privateKey);
      const publicJwk = await exportJWK(pair.publicKey);
      const kid = await calculateJwkThumbprint(publicJwk, 'sha256');
      const decoyKey = 'c2VjcmV0LWRlY295LWtleS1mb3ItdXBncmFkZS10ZXN0';
      const grantId = 'AAAAAAAAAAAAAAAAAAAAAA';
      const now = Date.now();
      await database.db
        .insertInto('tenants')
        .values({ id: 'acme', created_at: now } as never)
        .execute();
      await database.db
        .insertInto('signing_keys')
        .values({
          kid,
          tenant_id: 'acme',
          algorithm: 'ES256',
          private_jwk: JSON.stringify({ ...privateJwk, kid }),
          public_jwk: JSON.stringify({ ...publicJwk, kid, alg: 'ES256', use: 'sig' }),
          created_at: now,
          retired_at: null,
        })
        .execute();
      await database.db.insertInto('selfservice_tenant_keys').values({ tenant_id: 'acme', decoy_key: decoyKey, created_at: now }).execute();
      await database.db
        .insertInto('journey_content')
        .values({ id: 'c1', tenant_id: 'acme', kind: 'page', name: 'hello', description: null, latest_version: 1, created_at: now, updated_at: now } as never)
        .execute();
      await database.db
        .insertInto('journey_content_versions')
        .values({
          id: 'v1',
          content_id: 'c1',
          tenant_id: 'acme',
          version: 1,
          status: 'published',
          body: PAGE,
          created_at: now,
          updated_at: now,
          published_at: now,
        } as never)
        .execute();
      await database.db
        .insertInto('journey_page_grants')
        .values({
          id: grantId,
          tenant_id: 'acme',
          session_id: 's',
          step_id: 'p',
          version_id: 'v1',
          data: '{"sessionData":{},"constants":{}}',
          expires_at: now + 600_000,
          created_at: now,
        })
        .execute();
      await database.close();

      // First start of the new version (on SQLite the default key file is created now).
      const config = loadConfig({ KEYWAY_LOG_LEVEL: 'silent', PORT: '0', ...testDatabase.env });
      const opened = await openKeywayDatabase(config);
      database = opened.database;
      assert.ok(opened.applied.includes('009-secrets-at-rest'));
      const row = await database.db.selectFrom('signing_keys').select('private_jwk').where('kid', '=', kid).executeTakeFirstOrThrow();
      assert.match(row.private_jwk, /^kw1\./);
      assert.ok(!row.private_jwk.includes(privateJwk.d!));
      const decoyRow = await database.db.selectFrom('selfservice_tenant_keys').select('decoy_key').executeTakeFirstOrThrow();
      assert.equal(openSecret(opened.masterKey, decoyRow.decoy_key, sealedAad(DECOY_KEY_COLUMN, { tenant_id: 'acme' })), decoyKey);
      const grants = await database.db.selectFrom('journey_page_grants').select('id').execute();
      assert.deepEqual(
        grants.map((g) => g.id === grantId),
        [false],
        'the grant id is replaced by its hash',
      );

      const services = createServices({ config, database, clock: systemClock, masterKey: opened.masterKey });
      const token = await services.signingKeys.issueIdToken('acme', { sub: 'u', aud: 'rp', amr: [] });
      const jwks = await services.signingKeys.getJwks('acme');
      assert.deepEqual(
        jwks.keys.map((k) => k.kid),
        [kid],
        'the existing key stays the active key',
      );
      await jwtVerify(token, createLocalJWKSet({ keys: [{ ...publicJwk, kid, alg: 'ES256' }] }));
      assert.equal((await services.pages.served('acme', grantId)).html, PAGE, 'a grant URL handed out before the upgrade still serves');
    } finally {
      await database.close().catch(() => undefined);
      await testDatabase.drop();
    }
  });
}

test('SQLite default: the key file is created beside the database on first start with mode 0600, reused after, and its loss is refused', async () => {
  const testDatabase = await createTestDatabase('sqlite');
  const keyFile = path.join(path.dirname(testDatabase.url.slice('sqlite:'.length)), 'keyway-master.key');
  try {
    assert.equal(existsSync(keyFile), false);
    const first = await runCli(['migrate'], { ...testDatabase.env, KEYWAY_MASTER_KEY: '', KEYWAY_MASTER_KEY_FILE: '' });
    assert.equal(first.code, 0, first.stderr);
    assert.equal(statSync(keyFile).mode & 0o777, 0o600);
    const key = readFileSync(keyFile, 'utf8');
    assert.ok(parseMasterKey(key));
    const again = await runCli(['init', '--tenant', 'acme'], { ...testDatabase.env, KEYWAY_MASTER_KEY: '', KEYWAY_MASTER_KEY_FILE: '' });
    assert.equal(again.code, 0, again.stderr);
    assert.equal(readFileSync(keyFile, 'utf8'), key, 'the same key is used again');

    rmSync(keyFile);
    const lost = await runCli(['migrate'], { ...testDatabase.env, KEYWAY_MASTER_KEY: '', KEYWAY_MASTER_KEY_FILE: '' });
    assert.equal(lost.code, 78);
    assert.match(
      lost.stderr,
      /master key error: the master key file .*keyway-master\.key .*: missing; this database is encrypted with the master key of key id /,
    );
    assert.equal(existsSync(keyFile), false, 'no new key is put in its place');
  } finally {
    await testDatabase.drop();
  }
});

test('PostgreSQL without a master key: start-up stops with a configuration error naming KEYWAY_MASTER_KEY', async () => {
  const testDatabase = await createTestDatabase('postgres');
  try {
    const result = await runCli(['migrate'], { KEYWAY_DATABASE_URL: testDatabase.url, KEYWAY_MASTER_KEY: '', KEYWAY_MASTER_KEY_FILE: '' });
    assert.equal(result.code, 78);
    assert.match(
      result.stderr,
      /^configuration error: KEYWAY_MASTER_KEY: expected 43 base64url characters encoding 32 random bytes .* when KEYWAY_DATABASE_URL is PostgreSQL, got nothing/m,
    );
  } finally {
    await testDatabase.drop();
  }
});

test('a key file with something else in it is refused, naming the file and never echoing its content', async () => {
  const testDatabase = await createTestDatabase('sqlite');
  const file = path.join(path.dirname(testDatabase.url.slice('sqlite:'.length)), 'bad.key');
  try {
    writeFileSync(file, 'not-a-key-hunter2\n');
    const result = await runCli(['migrate'], { ...testDatabase.env, KEYWAY_MASTER_KEY: '', KEYWAY_MASTER_KEY_FILE: file });
    assert.equal(result.code, 78);
    assert.match(result.stderr, /configuration error: KEYWAY_MASTER_KEY_FILE: expected a file holding 43 base64url characters/);
    assert.ok(!result.stderr.includes('hunter2'));
  } finally {
    await testDatabase.drop();
  }
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\-]/g, '\\$&');
}
