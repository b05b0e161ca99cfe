// A user's passkeys: list (paginated), read, rename and delete, on both databases, with audit events,
// tenant and user isolation (PASSKEY_NOT_FOUND, never another user's passkey) and the named permissions.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DATABASE_KINDS } from '../support/databases.ts';
import { SoftAuthenticator } from '../support/soft-authenticator.ts';
import { API, CeremonyWorld, STORE } from './ceremony-fixture.ts';

for (const kind of DATABASE_KINDS) {
  describe(`passkey records API on ${kind}`, () => {
    let world: CeremonyWorld;
    before(async () => {
      world = await CeremonyWorld.create(kind);
    });
    after(() => world.close());

    async function userWithPasskeys(userKey: string, count: number) {
      const user = await world.createUser(userKey);
      const passkeys = [];
      for (let i = 0; i < count; i++) passkeys.push(await world.register(new SoftAuthenticator(), user.id));
      return { user, passkeys };
    }

    test('lists a user’s passkeys oldest first, paginated with nextCursor, via both path prefixes', async () => {
      const { user, passkeys } = await userWithPasskeys('lister', 3);
      const first = await world.expectStatus(world.acme.api.get(`${API}/users/${user.id}/passkeys?limit=2`), 200);
      assert.deepEqual(
        first.body.items.map((p: { credentialId: string }) => p.credentialId),
        passkeys.slice(0, 2).map((p) => p.credentialId),
      );
      assert.equal(typeof first.body.nextCursor, 'string');
      const second = await world.expectStatus(world.acme.api.get(`${API}/users/${user.id}/passkeys?limit=2&cursor=${first.body.nextCursor}`), 200);
      assert.deepEqual(second.body, { items: [passkeys[2]], nextCursor: null });
      const aliased = await world.expectStatus(world.acme.api.get(`/api/identity-store/acme/stores/${STORE}/users/${user.id}/passkeys`), 200);
      assert.deepEqual(aliased.body, { items: passkeys, nextCursor: null });
      const filtered = await world.expectStatus(world.acme.api.get(`${API}/users/${user.id}/passkeys?rpId=other.keyway.test`), 200);
      assert.deepEqual(filtered.body, { items: [], nextCursor: null });
      const badCursor = await world.acme.api.get(`${API}/users/${user.id}/passkeys?cursor=nope`);
      assert.equal(badCursor.status, 400);
      assert.equal(badCursor.body.code, 'INVALID_CURSOR');
    });

    test('reads one passkey; renames it (audited, trimmed); refuses empty and over-long names', async () => {
      const { user, passkeys } = await userWithPasskeys('renamer', 1);
      const path = `${API}/users/${user.id}/passkeys/${passkeys[0]!.credentialId}`;
      const read = await world.expectStatus(world.acme.api.get(path), 200);
      assert.deepEqual(read.body, passkeys[0]);

      const renamed = await world.expectStatus(world.acme.api.patch(path, { name: '  Work laptop ' }), 200);
      assert.equal(renamed.body.name, 'Work laptop');
      assert.deepEqual({ ...renamed.body, name: passkeys[0]!.name }, passkeys[0]);
      const row = await world.db.selectFrom('credentials').select('name').where('credential_id', '=', passkeys[0]!.credentialId).executeTakeFirstOrThrow();
      assert.equal(row.name, 'Work laptop');
      const audit = await world.db
        .selectFrom('audit_events')
        .select(['details', 'actor'])
        .where('action', '=', 'passkey.update')
        .where('target_id', '=', passkeys[0]!.credentialId)
        .executeTakeFirstOrThrow();
      assert.equal(JSON.parse(audit.details!).name, 'Work laptop');

      for (const name of ['', '   ', 'x'.repeat(65)]) {
        const before = await world.snapshot();
        const refused = await world.acme.api.patch(path, { name });
        assert.equal(refused.status, 400, JSON.stringify(name));
        assert.equal(refused.body.code, 'VALIDATION_FAILED');
        assert.deepEqual(await world.snapshot(), before);
      }
      await world.expectStatus(world.acme.api.patch(path, { name: 'x'.repeat(64) }), 200);
      const unknownField = await world.acme.api.patch(path, { name: 'ok', counter: 0 });
      assert.equal(unknownField.status, 400);
    });

    test('deletes a passkey (audited): it is gone, cannot sign in, and a second delete is 404', async () => {
      const { user, passkeys } = await userWithPasskeys('deleter', 2);
      const path = `${API}/users/${user.id}/passkeys/${passkeys[0]!.credentialId}`;
      const deleted = await world.acme.api.delete(path);
      assert.equal(deleted.status, 204);
      assert.equal((await world.acme.api.get(path)).status, 404);
      const listed = await world.expectStatus(world.acme.api.get(`${API}/users/${user.id}/passkeys`), 200);
      assert.deepEqual(
        listed.body.items.map((p: { credentialId: string }) => p.credentialId),
        [passkeys[1]!.credentialId],
      );
      const audit = await world.db
        .selectFrom('audit_events')
        .select('details')
        .where('action', '=', 'passkey.delete')
        .where('target_id', '=', passkeys[0]!.credentialId)
        .executeTakeFirstOrThrow();
      assert.equal(JSON.parse(audit.details!).userId, user.id);
      const again = await world.acme.api.delete(path);
      assert.equal(again.status, 404);
      assert.equal(again.body.code, 'PASSKEY_NOT_FOUND');
      // The remaining passkey is the only one offered for sign-in.
      const started = await world.expectStatus(world.startAuthentication(user.id), 200);
      assert.deepEqual(
        started.body.clientRequest.allowCredentials.map((d: { id: string }) => d.id),
        [passkeys[1]!.credentialId],
      );
    });

    test('a deleted passkey cannot complete a sign-in started before the delete: CREDENTIAL_NOT_ALLOWED', async () => {
      const user = await world.createUser('deleted-midway');
      const authenticator = new SoftAuthenticator();
      const passkey = await world.register(authenticator, user.id);
      const { sessionId, response } = await world.authenticationAttempt(authenticator, user.id);
      await world.expectStatus(world.acme.api.delete(`${API}/users/${user.id}/passkeys/${passkey.credentialId}`), 204);
      const before = await world.snapshot();
      await world.assertRejected(await world.completeAuthentication(user.id, sessionId, response), 400, 'CREDENTIAL_NOT_ALLOWED', before);
    });

    test('another user’s passkey, an unknown one, or another tenant’s: 404 PASSKEY_NOT_FOUND, nothing changed', async () => {
      const owner = await userWithPasskeys('isolated-owner', 1);
      const other = await world.createUser('isolated-other');
      const credentialId = owner.passkeys[0]!.credentialId;
      const globex = await world.server.tenant('globex-keys');
      await world.expectStatus(globex.api.post('/api/identity-store/stores', { name: STORE }), 201);
      const before = await world.snapshot();
      for (const response of [
        await world.acme.api.get(`${API}/users/${other.id}/passkeys/${credentialId}`),
        await world.acme.api.patch(`${API}/users/${other.id}/passkeys/${credentialId}`, { name: 'mine now' }),
        await world.acme.api.delete(`${API}/users/${other.id}/passkeys/${credentialId}`),
        await world.acme.api.delete(`${API}/users/${owner.user.id}/passkeys/${Buffer.alloc(32, 3).toString('base64url')}`),
      ]) {
        assert.equal(response.status, 404);
        assert.equal(response.body.code, 'PASSKEY_NOT_FOUND');
      }

      const foreign = await globex.api.delete(`${API}/users/${owner.user.id}/passkeys/${credentialId}`);
      assert.equal(foreign.status, 404);
      assert.equal(foreign.body.code, 'USER_NOT_FOUND', 'the user is not in globex’s store');
      const aliased = await globex.api.get(`/api/identity-store/acme/stores/${STORE}/users/${owner.user.id}/passkeys`);
      assert.equal(aliased.status, 404);
      assert.equal(aliased.body.code, 'TENANT_NOT_FOUND');
      assert.deepEqual(await world.snapshot(), before);
    });

    test('each operation needs its permission: listPasskeys, getPasskey, updatePasskey, deletePasskey', async () => {
      const { user, passkeys } = await userWithPasskeys('permissions', 1);
      const path = `${API}/users/${user.id}/passkeys/${passkeys[0]!.credentialId}`;
      const readOnly = world.acme.api.withToken(await world.server.token(world.acme.clientId, world.acme.clientSecret, 'TNT#acme#IdentityStore:listPasskeys'));
      await world.expectStatus(readOnly.get(`${API}/users/${user.id}/passkeys`), 200);
      for (const response of [await readOnly.get(path), await readOnly.patch(path, { name: 'x' }), await readOnly.delete(path)]) {
        assert.equal(response.status, 403);
        assert.equal(response.body.code, 'FORBIDDEN');
      }
      assert.equal((await world.server.http.get(`${API}/users/${user.id}/passkeys`)).status, 401);
      const deleter = world.acme.api.withToken(await world.server.token(world.acme.clientId, world.acme.clientSecret, 'TNT#acme#IdentityStore:deletePasskey'));
      assert.equal((await deleter.delete(path)).status, 204);
    });

    test('the OpenAPI document lists the ceremony and passkey endpoints with their permissions and error codes', async () => {
      const doc = await world.expectStatus(world.server.http.get('/openapi.json'), 200);
      const completion = doc.body.paths['/api/identity-store/stores/{storeName}/users/{userId}/passkeys/authentications/sessions/{sessionId}'].post;
      assert.equal(completion['x-keyway-permission'], 'TNT#{tenant}#IdentityStore:createPasskeyAuthenticationForUser');
      for (const code of ['SESSION_ALREADY_USED', 'CHALLENGE_EXPIRED', 'COUNTER_REGRESSION', 'CREDENTIAL_NOT_ALLOWED']) {
        assert.ok(JSON.stringify(completion.responses).includes(code), code);
      }
      const startExt =
        doc.body.paths['/api/identity-store/stores/{storeName}/users/{userExtId}/passkeys/relyingParties/{rpId}/registrations/{regPolicyName}/ext'].post;
      assert.equal(startExt['x-keyway-permission'], 'TNT#{tenant}#IdentityStore:createPasskeyRegistrationForUserByExtId');
      assert.equal(
        doc.body.paths['/api/identity-store/stores/{storeName}/users/{userId}/passkeys/{credentialId}'].delete['x-keyway-permission'],
        'TNT#{tenant}#IdentityStore:deletePasskey',
      );
    });
  });
}
