// `keyway quickstart`, spawned for real on both databases: what it sets up, that a second run
// reuses everything (same ids, no duplicates, nothing changed but the admin client's secret), and
// that the page it prints is the one in examples/.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { KeywayError } from '../../src/errors/keyway-error.ts';
import { quickstartPage } from '../../src/quickstart/quickstart-page.ts';
import { systemClock } from '../../src/shared/clock.ts';
import { openDatabase, type Database } from '../../src/storage/database.ts';
import { TenancyService } from '../../src/tenancy/tenancy-service.ts';
import { snapshotDatabase } from '../support/database-snapshot.ts';
import { createTestDatabase, DATABASE_KINDS, type TestDatabase } from '../support/databases.ts';
import { runCli } from '../support/server-process.ts';

const EXAMPLE_PAGE = path.resolve(import.meta.dirname, '../../../../examples/passkey-page/index.html');

/** What a run printed that the next steps need: the client and its secret. */
function printedClient(stdout: string): { clientId: string; clientSecret: string } {
  const match = /CLIENT_ID=(kwc_\S+) CLIENT_SECRET=(kws_\S+)/.exec(stdout);
  assert.ok(match, stdout);
  return { clientId: match[1]!, clientSecret: match[2]! };
}

/** The status column of each row of the summary: `store  customers  [created]` → { store: 'created' }. */
function statuses(stdout: string): Record<string, string> {
  const rows = [
    ...stdout.matchAll(
      /^ {2}(tenant|store|relying party|registration policy|authentication policy|self-service|journey templates|admin API client) +.*\[([^\]]+)\]$/gm,
    ),
  ];
  return Object.fromEntries(rows.map((row) => [row[1]!, row[2]!]));
}

test('the examples page is the page the quickstart prints for its defaults (Keyway on 8080, acme, customers)', () => {
  const page = quickstartPage({ keywayUrl: 'http://localhost:8080', tenant: 'acme', store: 'customers' });
  assert.equal(readFileSync(EXAMPLE_PAGE, 'utf8'), page);
  assert.ok(page.trimEnd().split('\n').length <= 20, 'at most 20 lines');
  assert.ok(!page.includes('$') && !page.includes('`'), 'pastes into a shell here-document unchanged');
});

for (const kind of DATABASE_KINDS) {
  describe(`keyway quickstart on ${kind}`, () => {
    let testDatabase: TestDatabase;
    let database: Database;
    let scratch: string;
    let env: Record<string, string>;

    before(async () => {
      testDatabase = await createTestDatabase(kind);
      scratch = mkdtempSync(path.join(tmpdir(), 'keyway-quickstart-'));
      env = { ...testDatabase.env, PORT: '8181' };
    });
    after(async () => {
      await database?.close();
      await testDatabase?.drop();
      rmSync(scratch, { recursive: true, force: true });
    });

    test('sets up everything; a second run reuses it all: same ids, no duplicates, only a new client secret', async () => {
      // A tenant made earlier by `keyway init`: the quickstart uses it and leaves its client alone.
      const init = await runCli(['init', '--tenant', 'acme'], env);
      assert.equal(init.code, 0, init.stderr);
      const initClient = (JSON.parse(init.stdout) as { clientId: string }).clientId;

      const pageFile = path.join(scratch, 'my-app', 'index.html');
      const first = await runCli(['quickstart', '--page', pageFile], env);
      assert.equal(first.code, 0, first.stderr);
      assert.deepEqual(statuses(first.stdout), {
        tenant: 'unchanged',
        store: 'created',
        'relying party': 'created',
        'registration policy': 'created',
        'authentication policy': 'created',
        'self-service': 'created',
        'journey templates': '4 created',
        'admin API client': 'created',
      });
      assert.match(first.stdout, /relying party +localhost \(origins http:\/\/localhost:8181, http:\/\/localhost:3000\)/);
      for (const url of [
        'http://localhost:8181/acme/identity/customers/signup',
        'http://localhost:8181/acme/identity/customers/signin',
        'http://localhost:8181/docs',
      ]) {
        assert.ok(first.stdout.includes(url), url);
      }
      const page = quickstartPage({ keywayUrl: 'http://localhost:8181', tenant: 'acme', store: 'customers' });
      assert.equal(readFileSync(pageFile, 'utf8'), page, '--page writes the page');
      assert.ok(first.stdout.includes(page.trimEnd().replace(/^/gm, '     ')), 'and prints it');
      assert.match(first.stdout, new RegExp(`written to ${pageFile.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}; serve it`));

      database = openDatabase(testDatabase.url);
      const changing = ['api_clients', 'audit_events', 'access_tokens'];
      const before = await snapshotDatabase(database, changing);
      const { clientId, clientSecret } = printedClient(first.stdout);
      const auditBefore = new Set((await database.db.selectFrom('audit_events').select('id').execute()).map((row) => row.id));

      const second = await runCli(['quickstart'], env);
      assert.equal(second.code, 0, second.stderr);
      assert.deepEqual(statuses(second.stdout), {
        tenant: 'unchanged',
        store: 'unchanged',
        'relying party': 'unchanged',
        'registration policy': 'unchanged',
        'authentication policy': 'unchanged',
        'self-service': 'unchanged',
        'journey templates': '4 unchanged',
        'admin API client': 'new secret (the previous one and its tokens stop working)',
      });
      assert.deepEqual(await snapshotDatabase(database, changing), before, 'nothing but the client secret changed');
      const again = printedClient(second.stdout);
      assert.equal(again.clientId, clientId, 'the same client');
      assert.notEqual(again.clientSecret, clientSecret);
      const clients = await database.db.selectFrom('api_clients').select(['id', 'name']).where('tenant_id', '=', 'acme').orderBy('id').execute();
      assert.deepEqual(
        clients.map(({ id, name }) => ({ id, name })),
        [
          { id: initClient, name: 'admin' },
          { id: clientId, name: 'quickstart' },
        ],
        'no duplicate client; the init client is untouched',
      );
      const newEvents = (await database.db.selectFrom('audit_events').select(['id', 'action', 'target_id']).execute()).filter(
        (row) => !auditBefore.has(row.id),
      );
      assert.deepEqual(
        newEvents.map(({ action, target_id }) => ({ action, target_id })),
        [{ action: 'apiClient.rotateSecret', target_id: clientId }],
      );

      // The printed secret is the working one; the previous run's no longer is.
      const tenancy = new TenancyService({ db: database.db, clock: systemClock, accessTokenTtlSeconds: 3600 });
      assert.equal((await tenancy.issueToken(clientId, again.clientSecret, undefined, '127.0.0.1')).scope, 'TNT#acme#*');
      await assert.rejects(
        tenancy.issueToken(clientId, clientSecret, undefined, '127.0.0.1'),
        (error: unknown) => error instanceof KeywayError && error.code === 'INVALID_CLIENT',
      );
    });

    test('another page origin is added to the relying party; the ones it had are kept', async () => {
      const run = await runCli(['quickstart', '--origin', 'http://localhost:4000'], env);
      assert.equal(run.code, 0, run.stderr);
      assert.equal(statuses(run.stdout)['relying party'], 'updated');
      const rp = await database.db.selectFrom('relying_parties').select('origins').where('rp_id', '=', 'localhost').executeTakeFirstOrThrow();
      assert.deepEqual(JSON.parse(rp.origins), ['http://localhost:8181', 'http://localhost:3000', 'http://localhost:4000']);
      assert.match(run.stdout, /serve that folder on http:\/\/localhost:4000, e\.g\. npx node examples\/serve\.ts <folder> --port 4000/);
    });
  });
}
