// "My passkeys" through real HTTP on both databases: the list with authenticator names, synced state
// and the Signal API fields, rename, adding a passkey and deleting one — both only after a fresh sign-in (5 minutes,
// injected clock) — and never the last passkey.
import { AuthenticatorDirectory } from '../../src/passkeys/authenticator-directory.ts';
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DATABASE_KINDS } from '../support/databases.ts';
import { SoftAuthenticator } from '../support/soft-authenticator.ts';
import { MetadataBlob } from '../../src/passkeys/mds-blob.ts';
import { ADMIN, ORIGIN, RP_ID, SELF_SERVICE, STORE, SelfServiceWorld, expectProblem, expectStatus } from './selfservice-fixture.ts';

/** AAGUID of "Google Password Manager" in the authenticator catalogue. */
const GOOGLE_PASSWORD_MANAGER = 'ea9b8d66-4d01-1d21-3ce4-b6b48cb575d4';

for (const kind of DATABASE_KINDS) {
  describe(`self-service passkeys on ${kind}`, () => {
    let world: SelfServiceWorld;
    before(async () => {
      world = await SelfServiceWorld.create(kind);
    });
    after(() => world.close());

    test('list, add (fresh sign-in), rename, delete (fresh sign-in), never the last one', async () => {
      const browser = world.browser();
      const synced = new SoftAuthenticator({ aaguid: GOOGLE_PASSWORD_MANAGER, backupEligible: true, backupState: true });
      const { credentialId: first, user } = await world.signUp(browser, 'keys@example.com', synced);

      const listed = await expectStatus(browser.get('/me/passkeys'), 200);
      assert.equal(listed.body.rpId, RP_ID);
      const handle = await world.db.selectFrom('users').select('user_handle').where('id', '=', user.id).executeTakeFirstOrThrow();
      assert.equal(listed.body.userId, handle.user_handle);
      assert.deepEqual(listed.body.allCredentialIds, [first]);
      assert.equal(listed.body.items.length, 1);
      const item = listed.body.items[0];
      assert.deepEqual(
        Object.keys(item).sort(),
        [
          'authenticatorIcon',
          'authenticatorName',
          'backupEligible',
          'createdAt',
          'current',
          'device',
          'id',
          'lastUsedAt',
          'name',
          'synced',
          'transports',
        ].sort(),
      );
      assert.equal(item.device, null, 'a client without a User-Agent: no device');
      assert.equal(item.id, first);
      assert.equal(item.authenticatorName, 'Google Password Manager');
      assert.equal(item.authenticatorIcon, null);
      assert.equal(item.synced, true);
      assert.equal(item.backupEligible, true);
      assert.equal(item.current, true);
      assert.deepEqual(item.transports, ['hybrid', 'internal']);

      // The only passkey is never deleted.
      const before = await world.counts();
      await expectProblem(browser.delete(`/me/passkeys/${first}`), 409, 'LAST_PASSKEY');
      assert.deepEqual(await world.counts(), before);

      // Add a second passkey (within 5 minutes of the sign-in).
      const key = new SoftAuthenticator({ attachment: 'cross-platform' });
      const begun = await expectStatus(browser.post('/me/passkeys/register/begin'), 200);
      // The account's passkeys are excluded (the default policy), so the same authenticator is not registered twice.
      assert.deepEqual(
        begun.body.publicKey.excludeCredentials.map((d: { id: string }) => d.id),
        [first],
      );
      assert.equal(begun.body.publicKey.user.id, handle.user_handle);
      const added = await expectStatus(browser.post('/me/passkeys/register/finish', key.register(begun.body.publicKey, { origin: ORIGIN })), 201);
      assert.equal(added.body.synced, false);
      assert.equal(added.body.current, false);
      const second = added.body.id as string;

      const renamed = await expectStatus(browser.patch(`/me/passkeys/${second}`, { name: '  Office key ' }), 200);
      assert.equal(renamed.body.name, 'Office key');
      await expectProblem(browser.patch(`/me/passkeys/${second}`, { name: '' }), 400, 'VALIDATION_FAILED');
      await expectProblem(browser.patch('/me/passkeys/AAAAAAAA', { name: 'x' }), 404, 'PASSKEY_NOT_FOUND');

      // Later the sign-in is no longer fresh: deleting and adding need a new one.
      // At exactly 5 minutes it still counts (the edge), a millisecond later it does not.
      world.clock.advance(5 * 60 * 1000);
      await expectStatus(browser.post('/me/passkeys/register/begin'), 200);
      world.clock.advance(1);
      const stale = await world.counts();
      await expectProblem(browser.delete(`/me/passkeys/${second}`), 403, 'REAUTHENTICATION_REQUIRED');
      await expectProblem(browser.post('/me/passkeys/register/begin'), 403, 'REAUTHENTICATION_REQUIRED');
      assert.equal((await world.counts()).credentials, stale.credentials);

      await world.signIn(browser, key, 'keys@example.com', second);
      await expectStatus(browser.delete(`/me/passkeys/${second}`), 204);
      const after = await expectStatus(browser.get('/me/passkeys'), 200);
      assert.deepEqual(after.body.allCredentialIds, [first]);
      // The session signed in with the deleted passkey goes on; the other passkey is now the last one.
      await expectProblem(browser.delete(`/me/passkeys/${first}`), 409, 'LAST_PASSKEY');

      const actions = await world.auditActions();
      for (const action of ['selfservice.passkey.add', 'passkey.update', 'passkey.delete']) assert.ok(actions.includes(action), action);
      const deletion = await world.db
        .selectFrom('audit_events')
        .selectAll()
        .where('action', '=', 'passkey.delete')
        .where('target_id', '=', second)
        .executeTakeFirstOrThrow();
      assert.equal(deletion.actor, 'self-service');
    });

    test('icons come from the FIDO metadata the registration policy names (a stub BLOB at the provider seam)', async () => {
      const MODEL = '0f0e0d0c-0b0a-0908-0706-050403020100';
      const ICON = 'data:image/png;base64,iVBORw0KGgo=';
      await expectStatus(
        world.api.post(`${ADMIN}/passkeys/registrationPolicies`, {
          name: 'mds',
          attestationTrust: { requireTrustedAttestation: false, metadata: { url: 'https://mds.keyway.test/blob' } },
        }),
        201,
      );
      await expectStatus(world.api.patch(ADMIN, { selfService: { ...SELF_SERVICE, registrationPolicy: 'mds' } }), 200);
      try {
        const browser = world.browser();
        const { credentialId } = await world.signUp(browser, 'icons@example.com', new SoftAuthenticator({ aaguid: MODEL }));
        const sources: unknown[] = [];
        const metadata = {
          get: async (source: unknown) => {
            sources.push(source);
            return new MetadataBlob(1, new Date('2026-04-01'), [
              { aaguid: MODEL, description: 'Keyway Test Key', icon: ICON, attestationRootCertificates: [], attestationTypes: [], statusReports: [] },
            ]);
          },
        };
        const withMetadata = world.selfServiceWith({ authenticators: new AuthenticatorDirectory({ db: world.db, clock: world.clock, metadata }) });
        const request = {
          tenantId: 'acme',
          storeName: STORE,
          requestId: 'test',
          clientIp: '127.0.0.1',
          userAgent: undefined,
          flowToken: undefined,
          sessionToken: browser.cookies.get('keyway_session'),
        };
        const listed = await withMetadata.myPasskeys(request);
        assert.equal(listed.items[0]!.id, credentialId);
        assert.equal(listed.items[0]!.authenticatorIcon, ICON);
        assert.equal(listed.items[0]!.authenticatorName, 'Keyway Test Key');
        assert.deepEqual(sources, [{ url: 'https://mds.keyway.test/blob' }]);
        // Metadata that cannot be loaded means no icons, never a failed answer.
        const broken = world.selfServiceWith({
          authenticators: new AuthenticatorDirectory({
            db: world.db,
            clock: world.clock,
            metadata: { get: async () => Promise.reject(new Error('offline')) },
          }),
        });
        assert.equal((await broken.myPasskeys(request)).items[0]!.authenticatorIcon, null);
      } finally {
        await expectStatus(world.api.patch(ADMIN, { selfService: SELF_SERVICE }), 200);
      }
    });

    test('another user’s passkey cannot be renamed or deleted; no session → 401', async () => {
      const alice = world.browser();
      const { credentialId } = await world.signUp(alice, 'owner@example.com');
      const mallory = world.browser();
      await world.signUp(mallory, 'mallory@example.com');
      await expectProblem(mallory.patch(`/me/passkeys/${credentialId}`, { name: 'mine' }), 404, 'PASSKEY_NOT_FOUND');
      await expectProblem(mallory.delete(`/me/passkeys/${credentialId}`), 404, 'PASSKEY_NOT_FOUND');
      const anonymous = world.browser();
      await expectProblem(anonymous.get('/me/passkeys'), 401, 'SESSION_REQUIRED');
      await expectProblem(anonymous.delete(`/me/passkeys/${credentialId}`), 401, 'SESSION_REQUIRED');
      const row = await world.db.selectFrom('credentials').selectAll().where('credential_id', '=', credentialId).executeTakeFirstOrThrow();
      assert.equal(row.name, null);
    });
  });
}
