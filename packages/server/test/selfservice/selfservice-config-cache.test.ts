// The store, its self-service settings, relying party and policies are kept in memory by each node, labelled with the
// store's config_version (shared/versioned-cache.ts, migration 022). These tests change the configuration through
// one node, or behind every node's back in SQL, and expect the next request on another node to obey the change.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DATABASE_KINDS } from '../support/databases.ts';
import { SoftAuthenticator } from '../support/soft-authenticator.ts';
import { ADMIN, ORIGIN, RP_ID, SELF_SERVICE, SelfServiceWorld, expectProblem, expectStatus } from './selfservice-fixture.ts';

async function configVersion(world: SelfServiceWorld): Promise<number> {
  const row = await world.db.selectFrom('stores').select('config_version').where('name', '=', 'customers').executeTakeFirstOrThrow();
  return Number(row.config_version);
}

for (const kind of DATABASE_KINDS) {
  describe(`configuration cached per node on ${kind}`, () => {
    let world: SelfServiceWorld;
    let node2: SelfServiceWorld;
    before(async () => {
      world = await SelfServiceWorld.create(kind);
      node2 = await SelfServiceWorld.create(kind, { databaseUrl: world.server.config.databaseUrl, existing: true });
    });
    after(async () => {
      await node2.close();
      await world.close();
    });

    test('every change of the store, its relying parties and policies advances config_version, however it is made', async () => {
      const start = await configVersion(world);
      await expectStatus(world.api.patch(`${ADMIN}/passkeys/authenticationPolicies/default`, { userVerification: 'preferred' }), 200);
      const afterPolicy = await configVersion(world);
      assert.ok(afterPolicy > start, 'a policy update');
      await expectStatus(
        world.api.post(`${ADMIN}/passkeys/relyingParties`, { id: 'other.keyway.test', name: 'Other', origins: ['https://other.keyway.test'] }),
        201,
      );
      const afterInsert = await configVersion(world);
      assert.ok(afterInsert > afterPolicy, 'a new relying party');
      await expectStatus(world.api.delete(`${ADMIN}/passkeys/relyingParties/other.keyway.test`), 204);
      const afterDelete = await configVersion(world);
      assert.ok(afterDelete > afterInsert, 'a deleted relying party');
      await world.db.updateTable('stores').set({ display_name: 'Renamed in SQL' }).where('name', '=', 'customers').execute();
      assert.ok((await configVersion(world)) > afterDelete, 'an update of the store row by hand');
    });

    test('an origin removed through node 1 is refused by node 2 at its next request', async () => {
      const authenticator = new SoftAuthenticator();
      const browser = node2.browser();
      await node2.signUp(browser, 'cached@example.com', authenticator);
      await node2.signIn(node2.browser(), authenticator, 'cached@example.com');

      await expectStatus(world.api.patch(`${ADMIN}/passkeys/relyingParties/${RP_ID}`, { origins: ['https://app.keyway.test'] }), 200);
      const refused = await node2.browser().post('/login/webauthn/options', { identifier: 'cached@example.com' });
      assert.equal(refused.status, 403);
      assert.equal(refused.body.code, 'CSRF_REJECTED');

      await expectStatus(world.api.patch(`${ADMIN}/passkeys/relyingParties/${RP_ID}`, { origins: [ORIGIN, 'https://app.keyway.test'] }), 200);
      await node2.signIn(node2.browser(), authenticator, 'cached@example.com');
    });

    test('a policy changed in SQL behind every node is enforced by the next ceremony', async () => {
      const authenticator = new SoftAuthenticator();
      await node2.signUp(node2.browser(), 'uv@example.com', authenticator);
      await node2.signIn(node2.browser(), authenticator, 'uv@example.com');
      const row = await world.db.selectFrom('authentication_policies').select('settings').where('name', '=', 'default').executeTakeFirstOrThrow();
      const required = JSON.stringify({ ...JSON.parse(row.settings), userVerification: 'required' });
      await world.db.updateTable('authentication_policies').set({ settings: required }).where('name', '=', 'default').execute();

      const browser = node2.browser();
      const options = await expectStatus(browser.post('/login/webauthn/options', { identifier: 'uv@example.com' }), 200);
      assert.equal(options.body.publicKey.userVerification, 'required');
      const withoutUv = authenticator.authenticate(options.body.publicKey, { origin: ORIGIN }, { userVerified: false });
      await expectProblem(browser.post('/login/webauthn/finish', withoutUv), 400, 'USER_VERIFICATION_REQUIRED');
    });

    test('self-service turned off through node 1 answers 404 on node 2 at once', async () => {
      await expectStatus(node2.browser().post('/login/webauthn/options', {}), 200);
      await expectStatus(world.api.patch(ADMIN, { selfService: { ...SELF_SERVICE, enabled: false } }), 200);
      await expectProblem(node2.browser().post('/login/webauthn/options', {}), 404, 'SELF_SERVICE_DISABLED');
      await expectStatus(world.api.patch(ADMIN, { selfService: SELF_SERVICE }), 200);
      await expectStatus(node2.browser().post('/login/webauthn/options', {}), 200);
    });
  });
}
