// `keyway init` prints the console's first enrolment link and `keyway console invite` makes more, spawned for real on
// both databases; the printed link enrols an operator through the real HTTP API.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ORIGIN, consoleApi, enrol } from '../console/console-fixture.ts';
import { SelfServiceWorld } from '../selfservice/selfservice-fixture.ts';
import { DATABASE_KINDS, createTestDatabase } from '../support/databases.ts';
import { runCli } from '../support/server-process.ts';

for (const kind of DATABASE_KINDS) {
  describe(`keyway init and console invite on ${kind}`, () => {
    test('init prints consoleEnrollmentUrl; the link enrols the first owner once; invite prints {"url"} for another role', async () => {
      const database = await createTestDatabase(kind);
      const env = { ...database.env, KEYWAY_PUBLIC_URL: ORIGIN };
      try {
        const init = await runCli(['init', '--tenant', 'acme'], env);
        assert.equal(init.code, 0, init.stderr);
        const printed = JSON.parse(init.stdout) as { tenant: string; consoleEnrollmentUrl: string };
        assert.match(printed.consoleEnrollmentUrl, /^https:\/\/login\.keyway\.test\/acme\/console\/enrol#token=[A-Za-z0-9_-]{43}$/);

        const invite = await runCli(['console', 'invite', '--tenant', 'acme', '--role', 'support'], env);
        assert.equal(invite.code, 0, invite.stderr);
        const invited = JSON.parse(invite.stdout) as Record<string, string>;
        assert.deepEqual(Object.keys(invited), ['url']);

        const unknown = await runCli(['console', 'invite', '--tenant', 'globex', '--role', 'viewer'], env);
        assert.equal(unknown.code, 1);
        assert.match(unknown.stderr, /^keyway: TENANT_NOT_FOUND: No tenant globex/);

        const world = await SelfServiceWorld.create(kind, { databaseUrl: database.url, existing: true, env: { KEYWAY_PUBLIC_URL: ORIGIN } });
        try {
          const owner = await enrol(world, printed.consoleEnrollmentUrl, 'First Owner');
          assert.equal(owner.operator.role, 'owner');
          const { session } = await consoleApi(world, owner.browser);
          assert.deepEqual(session.permissions, ['TNT#acme#*']);
          const support = await enrol(world, invited.url!, 'Second');
          assert.equal(support.operator.role, 'support');
          const audit = await world.db.selectFrom('audit_events').select(['actor', 'action']).where('action', '=', 'console.invitation.create').execute();
          assert.deepEqual(
            audit.map((a) => a.actor),
            ['cli', 'cli'],
          );
        } finally {
          await world.server.app.close();
          await world.server.database.close();
        }
      } finally {
        await database.drop();
      }
    });
  });
}
