// Passkey authentication through the exact TrustX ceremony endpoints, on both databases: the request options,
// a valid sign-in by user id and by external id (counter advances, last use recorded, an ID token that verifies
// against the tenant's JWKS), and each single defect of WebAuthn §7.2 refused with its own code while the database
// stays exactly as it was. Also the usernameless path of the service API that self-service will use.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createLocalJWKSet, jwtVerify } from 'jose';
import { DATABASE_KINDS } from '../support/databases.ts';
import {
  SoftAuthenticator,
  encodeCosePublicKey,
  generateKeys,
  type AuthenticationDefects,
  type SoftAuthenticatorOptions,
} from '../support/soft-authenticator.ts';
import { API, CTX, CeremonyWorld, RP_ID, STORE, type AuthenticationPolicyName } from './ceremony-fixture.ts';

for (const kind of DATABASE_KINDS) {
  describe(`passkey authentication on ${kind}`, () => {
    let world: CeremonyWorld;
    before(async () => {
      world = await CeremonyWorld.create(kind);
    });
    after(() => world.close());

    /** A user with one registered passkey on a fresh authenticator. */
    async function enrolled(userKey: string, options: SoftAuthenticatorOptions = {}, fields: Record<string, unknown> = {}) {
      const user = await world.createUser(userKey, fields);
      const authenticator = new SoftAuthenticator(options);
      const passkey = await world.register(authenticator, user.id);
      return { user, authenticator, passkey };
    }

    test('start answers standard request options listing the user’s passkeys, and a session bound to the user', async () => {
      const { user, passkey } = await enrolled('options', { attachment: 'cross-platform', transports: ['usb'] });
      const started = await world.expectStatus(world.startAuthentication(user.id), 200);
      assert.deepEqual(Object.keys(started.body).sort(), ['clientRequest', 'sessionId']);
      const options = started.body.clientRequest;
      assert.equal(Buffer.from(options.challenge, 'base64url').length, 32);
      assert.equal(options.rpId, RP_ID);
      assert.equal(options.timeout, 300_000);
      assert.equal(options.userVerification, 'preferred');
      assert.deepEqual(options.allowCredentials, [{ type: 'public-key', id: passkey.credentialId, transports: ['usb'] }]);
      assert.deepEqual(options.hints, []);
      const row = await world.db.selectFrom('ceremony_sessions').selectAll().where('id', '=', started.body.sessionId).executeTakeFirstOrThrow();
      assert.equal(row.ceremony, 'authentication');
      assert.equal(row.user_id, user.id);
      assert.equal(row.policy_name, 'default');
    });

    test('valid sign-in by user id: the user, the passkey with its advanced counter, and a verifiable ID token', async () => {
      const { user, authenticator, passkey } = await enrolled('alice', {}, { externalId: 'crm-alice' });
      const { sessionId, response } = await world.authenticationAttempt(authenticator, user.id);
      const result = await world.expectStatus(world.completeAuthentication(user.id, sessionId, response), 200);
      assert.equal(result.body.user.id, user.id);
      assert.equal(result.body.user.externalId, 'crm-alice');
      assert.equal(result.body.credential.credentialId, passkey.credentialId);
      assert.equal(result.body.credential.counter, 1);
      assert.ok(result.body.credential.lastUsedAt);

      const row = await world.db.selectFrom('credentials').selectAll().where('credential_id', '=', passkey.credentialId).executeTakeFirstOrThrow();
      assert.equal(Number(row.sign_count), 1);
      assert.equal(Number(row.last_used_at), Date.parse(result.body.credential.lastUsedAt));
      const audit = await world.db
        .selectFrom('audit_events')
        .selectAll()
        .where('action', '=', 'passkey.authenticate')
        .where('target_id', '=', passkey.credentialId)
        .executeTakeFirstOrThrow();
      assert.equal(JSON.parse(audit.details!).counter, 1);

      const jwks = await world.expectStatus(world.server.http.get('/acme/.well-known/jwks.json'), 200);
      const { payload, protectedHeader } = await jwtVerify(result.body.idToken, createLocalJWKSet(jwks.body), { audience: RP_ID });
      assert.equal(protectedHeader.alg, 'ES256');
      assert.equal(payload.sub, user.id);
      assert.equal(payload.aud, RP_ID);
      assert.deepEqual(payload.amr, ['pop', 'user', 'mfa'], 'device-bound, not attested, user verified');
      assert.equal(payload.cred_id, passkey.credentialId);
      assert.equal(payload.external_id, 'crm-alice');
      assert.equal(payload.store, STORE);

      // The next sign-in advances the counter again.
      const second = await world.authenticationAttempt(authenticator, user.id);
      const again = await world.expectStatus(world.completeAuthentication(user.id, second.sessionId, second.response), 200);
      assert.equal(again.body.credential.counter, 2);
    });

    test('valid sign-in by external id (the …/ext start), completed by user id', async () => {
      const { user, authenticator } = await enrolled('bob', {}, { externalId: 'crm-bob' });
      const started = await world.expectStatus(
        world.acme.api.post(`${API}/users/crm-bob/passkeys/relyingParties/${RP_ID}/authentications/default/ext`, {}),
        200,
      );
      const response = authenticator.authenticate(started.body.clientRequest, CTX);
      const result = await world.expectStatus(world.completeAuthentication(user.id, started.body.sessionId, response), 200);
      assert.equal(result.body.user.id, user.id);
      assert.equal(result.body.credential.counter, 1);
    });

    for (const alg of [-8, -257] as const) {
      test(`valid sign-in with algorithm ${alg}`, async () => {
        const { user, authenticator } = await enrolled(`alg${alg}`, { alg });
        const { sessionId, response } = await world.authenticationAttempt(authenticator, user.id);
        const result = await world.expectStatus(world.completeAuthentication(user.id, sessionId, response), 200);
        assert.equal(result.body.credential.algorithm, alg);
      });
    }

    test('a synced passkey without a counter (always 0) signs in repeatedly; its backup state is updated; amr says swk', async () => {
      const { user, authenticator, passkey } = await enrolled('synced', { backupEligible: true, backupState: false, incrementSignCount: false });
      assert.equal(passkey.backedUp, false);
      // The same key, now backed up (BS=1), as a synced passkey provider would report it.
      const syncedCopy = new SoftAuthenticator({ backupEligible: true, backupState: true, incrementSignCount: false });
      syncedCopy.importCredential(authenticator.credentials()[0]!);
      for (const expectedBackedUp of [true, true]) {
        const { sessionId, response } = await world.authenticationAttempt(syncedCopy, user.id);
        const result = await world.expectStatus(world.completeAuthentication(user.id, sessionId, response), 200);
        assert.equal(result.body.credential.counter, 0);
        assert.equal(result.body.credential.backedUp, expectedBackedUp);
        const { payload } = await jwtVerify(result.body.idToken, createLocalJWKSet((await world.server.http.get('/acme/.well-known/jwks.json')).body));
        assert.deepEqual(payload.amr, ['swk', 'user', 'mfa']);
      }
    });

    test('a stored key that changed is never used from the cache: the old key’s signature → SIGNATURE_INVALID, nothing changed; the new key’s verifies', async () => {
      const { user, authenticator, passkey } = await enrolled('rekeyed');
      const first = await world.authenticationAttempt(authenticator, user.id);
      await world.expectStatus(world.completeAuthentication(user.id, first.sessionId, first.response), 200); // the key is now cached
      // The same credential ID with another key in the record (as after deleting the passkey and registering anew).
      const held = authenticator.credentials()[0]!;
      const { privateKey, publicKey } = generateKeys(-7);
      await world.db
        .updateTable('credentials')
        .set({ public_key: Buffer.from(encodeCosePublicKey(publicKey, -7)).toString('base64url') })
        .where('credential_id', '=', passkey.credentialId)
        .execute();
      const stale = await world.authenticationAttempt(authenticator, user.id);
      const before = await world.snapshot();
      await world.assertRejected(await world.completeAuthentication(user.id, stale.sessionId, stale.response), 400, 'SIGNATURE_INVALID', before);
      const rekeyed = new SoftAuthenticator();
      rekeyed.importCredential({ ...held, privateKey, publicKey, signCount: held.signCount + 5 });
      const fresh = await world.authenticationAttempt(rekeyed, user.id);
      await world.expectStatus(world.completeAuthentication(user.id, fresh.sessionId, fresh.response), 200);
    });

    test('the user handle may be omitted when the user is named', async () => {
      const { user, authenticator } = await enrolled('no-handle');
      const { sessionId, response } = await world.authenticationAttempt(authenticator, user.id, 'default', { userHandle: null });
      await world.expectStatus(world.completeAuthentication(user.id, sessionId, response), 200);
    });

    test('a user without passkeys for the RP cannot start: PASSKEY_NOT_FOUND (an empty allow list would be a usernameless sign-in)', async () => {
      const user = await world.createUser('no-passkeys');
      const response = await world.startAuthentication(user.id);
      assert.equal(response.status, 404);
      assert.equal(response.body.code, 'PASSKEY_NOT_FOUND');
    });

    // ── one defect each: its code, and nothing changed ──
    const defects: { name: string; code: string; policy?: AuthenticationPolicyName; defects?: AuthenticationDefects }[] = [
      { name: 'ceremony type webauthn.create', code: 'CEREMONY_TYPE_MISMATCH', defects: { type: 'webauthn.create' } },
      { name: 'another challenge', code: 'CHALLENGE_MISMATCH', defects: { challenge: Buffer.from('not the challenge').toString('base64url') } },
      { name: 'an origin the RP does not list', code: 'ORIGIN_MISMATCH', defects: { origin: 'https://evil.keyway.test' } },
      { name: 'rpIdHash of another RP ID', code: 'RP_ID_MISMATCH', defects: { rpIdHash: 'keyway.test' } },
      { name: 'UP=0', code: 'USER_PRESENCE_REQUIRED', defects: { userPresent: false } },
      { name: 'UV=0 under a UV-required policy', code: 'USER_VERIFICATION_REQUIRED', policy: 'uv-required', defects: { userVerified: false } },
      { name: 'BS=1 without BE', code: 'BACKUP_STATE_INVALID', defects: { backupStateWithoutEligible: true } },
      { name: 'a bad signature', code: 'SIGNATURE_INVALID', defects: { badSignature: true } },
      { name: 'a swapped userHandle', code: 'USER_HANDLE_MISMATCH', defects: { userHandle: Buffer.alloc(32, 9).toString('base64url') } },
    ];
    for (const d of defects) {
      test(`refused: ${d.name} → ${d.code}, nothing changed`, async () => {
        const { user, authenticator } = await enrolled(`defect-${d.code}-${d.name.length}`);
        const { sessionId, options, response } = await world.authenticationAttempt(authenticator, user.id, d.policy, d.defects);
        const before = await world.snapshot();
        await world.assertRejected(await world.completeAuthentication(user.id, sessionId, response), 400, d.code, before);
        // The session was not consumed: a genuine response still completes it.
        await world.expectStatus(world.completeAuthentication(user.id, sessionId, authenticator.authenticate(options, CTX)), 200);
      });
    }

    test('refused: another user’s credential → CREDENTIAL_NOT_ALLOWED, nothing changed', async () => {
      const alice = await enrolled('owner-a');
      const mallory = await enrolled('owner-m');
      // Mallory's authenticator answers Alice's session with Mallory's own (genuine, well-signed) credential.
      const { sessionId, response } = await world.authenticationAttempt(mallory.authenticator, alice.user.id, 'default', {}, mallory.passkey.credentialId);
      const before = await world.snapshot();
      await world.assertRejected(await world.completeAuthentication(alice.user.id, sessionId, response), 400, 'CREDENTIAL_NOT_ALLOWED', before);
    });

    test('refused: a credential the store does not know → CREDENTIAL_NOT_ALLOWED', async () => {
      const { user } = await enrolled('unknown-cred');
      // A credential for this RP ID that was never registered with Keyway.
      const stranger = new SoftAuthenticator();
      const foreign = stranger.register(
        { rp: { id: RP_ID, name: 'x' }, user: { id: 'AAAA', name: 'x', displayName: 'x' }, challenge: 'AAAA', pubKeyCredParams: [] },
        CTX,
      );
      const { sessionId, response } = await world.authenticationAttempt(stranger, user.id, 'default', {}, foreign.id);
      const before = await world.snapshot();
      await world.assertRejected(await world.completeAuthentication(user.id, sessionId, response), 400, 'CREDENTIAL_NOT_ALLOWED', before);
    });

    test('refused: a counter that did not increase → COUNTER_REGRESSION, nothing changed', async () => {
      const { user, authenticator } = await enrolled('cloned', { signCount: 10 });
      const first = await world.authenticationAttempt(authenticator, user.id);
      await world.expectStatus(world.completeAuthentication(user.id, first.sessionId, first.response), 200); // stored 11
      for (const signCount of [11, 5]) {
        const { sessionId, response } = await world.authenticationAttempt(authenticator, user.id, 'default', { signCount });
        const before = await world.snapshot();
        await world.assertRejected(await world.completeAuthentication(user.id, sessionId, response), 400, 'COUNTER_REGRESSION', before);
      }
      const stored = await world.db.selectFrom('credentials').select('sign_count').where('user_id', '=', user.id).executeTakeFirstOrThrow();
      assert.equal(Number(stored.sign_count), 11);
    });

    test('refused: a counter of 0 after a non-zero one → COUNTER_REGRESSION', async () => {
      const { user, authenticator } = await enrolled('counter-reset');
      const first = await world.authenticationAttempt(authenticator, user.id);
      await world.expectStatus(world.completeAuthentication(user.id, first.sessionId, first.response), 200); // stored 1
      const { sessionId, response } = await world.authenticationAttempt(authenticator, user.id, 'default', { signCount: 0 });
      const before = await world.snapshot();
      await world.assertRejected(await world.completeAuthentication(user.id, sessionId, response), 400, 'COUNTER_REGRESSION', before);
    });

    test('refused: backup eligibility that changed since registration → BACKUP_STATE_INVALID', async () => {
      const { user, authenticator } = await enrolled('be-flip', { backupEligible: false });
      const flipped = new SoftAuthenticator({ backupEligible: true });
      flipped.importCredential(authenticator.credentials()[0]!);
      const { sessionId, response } = await world.authenticationAttempt(flipped, user.id);
      const before = await world.snapshot();
      await world.assertRejected(await world.completeAuthentication(user.id, sessionId, response), 400, 'BACKUP_STATE_INVALID', before);
    });

    test('a cross-origin sign-in (iframe) is refused: CROSS_ORIGIN_NOT_ALLOWED', async () => {
      const { user, authenticator } = await enrolled('iframe');
      const started = await world.expectStatus(world.startAuthentication(user.id), 200);
      const response = authenticator.authenticate(started.body.clientRequest, { ...CTX, crossOrigin: true, topOrigin: 'https://merchant.example' });
      const before = await world.snapshot();
      await world.assertRejected(await world.completeAuthentication(user.id, started.body.sessionId, response), 400, 'CROSS_ORIGIN_NOT_ALLOWED', before);
    });

    test('an authentication session cannot complete a registration and vice versa: SESSION_NOT_FOUND', async () => {
      const { user, authenticator } = await enrolled('crossed');
      const auth = await world.authenticationAttempt(authenticator, user.id);
      const reg = await world.registrationAttempt(new SoftAuthenticator(), user.id);
      const before = await world.snapshot();
      await world.assertRejected(await world.completeRegistration(user.id, auth.sessionId, reg.response), 404, 'SESSION_NOT_FOUND', before);
      await world.assertRejected(await world.completeAuthentication(user.id, reg.sessionId, auth.response), 404, 'SESSION_NOT_FOUND', before);
    });

    test('a session completed under another user’s id, or an unknown session id: SESSION_NOT_FOUND', async () => {
      const { user, authenticator } = await enrolled('session-owner');
      const other = await world.createUser('session-other');
      const { sessionId, response } = await world.authenticationAttempt(authenticator, user.id);
      const before = await world.snapshot();
      await world.assertRejected(await world.completeAuthentication(other.id, sessionId, response), 404, 'SESSION_NOT_FOUND', before);
      await world.assertRejected(await world.completeAuthentication(user.id, 'T4NJA4PEEM6Q3GXSON5QQZYMG4', response), 404, 'SESSION_NOT_FOUND', before);
    });

    test('completing twice → SESSION_ALREADY_USED (both ceremonies), nothing changed by the second', async () => {
      const user = await world.createUser('twice');
      const authenticator = new SoftAuthenticator();
      const reg = await world.registrationAttempt(authenticator, user.id);
      await world.expectStatus(world.completeRegistration(user.id, reg.sessionId, reg.response), 201);
      let before = await world.snapshot();
      await world.assertRejected(await world.completeRegistration(user.id, reg.sessionId, reg.response), 409, 'SESSION_ALREADY_USED', before);

      const auth = await world.authenticationAttempt(authenticator, user.id);
      await world.expectStatus(world.completeAuthentication(user.id, auth.sessionId, auth.response), 200);
      before = await world.snapshot();
      await world.assertRejected(await world.completeAuthentication(user.id, auth.sessionId, auth.response), 409, 'SESSION_ALREADY_USED', before);
    });

    test('a locked or disabled user can neither start nor complete either ceremony: USER_DISABLED', async () => {
      for (const status of ['locked', 'disabled']) {
        const { user, authenticator } = await enrolled(`blocked-${status}`);
        const reg = await world.registrationAttempt(new SoftAuthenticator(), user.id);
        const auth = await world.authenticationAttempt(authenticator, user.id);
        await world.expectStatus(world.acme.api.patch(`${API}/users/${user.id}`, { status }), 200);

        for (const started of [await world.startRegistration(user.id), await world.startAuthentication(user.id)]) {
          assert.equal(started.status, 403);
          assert.equal(started.body.code, 'USER_DISABLED');
        }
        const before = await world.snapshot();
        await world.assertRejected(await world.completeRegistration(user.id, reg.sessionId, reg.response), 403, 'USER_DISABLED', before);
        await world.assertRejected(await world.completeAuthentication(user.id, auth.sessionId, auth.response), 403, 'USER_DISABLED', before);

        // Re-activated, the same sessions complete.
        await world.expectStatus(world.acme.api.patch(`${API}/users/${user.id}`, { status: 'active' }), 200);
        await world.expectStatus(world.completeAuthentication(user.id, auth.sessionId, auth.response), 200);
      }
    });

    test('another tenant cannot see or complete the session: 404, nothing changed', async () => {
      const { user, authenticator } = await enrolled('tenant-a');
      const { sessionId, response } = await world.authenticationAttempt(authenticator, user.id);
      const globex = await world.server.tenant('globex-auth');
      await world.expectStatus(globex.api.post('/api/identity-store/stores', { name: STORE }), 201);
      const before = await world.snapshot();
      // Same store name and user id in the path, under globex's token: the session is not found.
      await world.assertRejected(await world.completeAuthentication(user.id, sessionId, response, globex.api), 404, 'SESSION_NOT_FOUND', before);
      // acme's tenant in the path with globex's token: the tenant is not found.
      const aliased = await globex.api.post(
        `/api/identity-store/acme/stores/${STORE}/users/${user.id}/passkeys/authentications/sessions/${sessionId}`,
        response,
      );
      await world.assertRejected(aliased, 404, 'TENANT_NOT_FOUND', before);
      // And its own tenant alias path works for acme.
      await world.expectStatus(
        world.acme.api.post(`/api/identity-store/acme/stores/${STORE}/users/${user.id}/passkeys/authentications/sessions/${sessionId}`, response),
        200,
      );
    });

    test('each endpoint needs its TrustX permission: 403 without it, 401 without a token', async () => {
      const { user, authenticator } = await enrolled('perm');
      const onlyAuth = world.acme.api.withToken(
        await world.server.token(world.acme.clientId, world.acme.clientSecret, 'TNT#acme#IdentityStore:createPasskeyAuthenticationForUser'),
      );
      const onlyRegExt = world.acme.api.withToken(
        await world.server.token(world.acme.clientId, world.acme.clientSecret, 'TNT#acme#IdentityStore:createPasskeyRegistrationForUserByExtId'),
      );

      const forbidden = [
        await world.startRegistration(user.id, 'default', {}, onlyAuth),
        await onlyAuth.post(`${API}/users/${user.externalId}/passkeys/relyingParties/${RP_ID}/authentications/default/ext`, {}),
        await onlyRegExt.post(`${API}/users/${user.id}/passkeys/relyingParties/${RP_ID}/registrations/default`, {}),
        await world.completeRegistration(user.id, 'T4NJA4PEEM6Q3GXSON5QQZYMG4', {}, onlyAuth),
      ];
      for (const response of forbidden) {
        assert.equal(response.status, 403, JSON.stringify(response.body));
        assert.equal(response.body.code, 'FORBIDDEN');
      }
      assert.equal((await world.startAuthentication(user.id, 'default', world.server.http)).status, 401);

      // With exactly the non-ext permission, a whole sign-in works.
      const { sessionId, response } = await world.authenticationAttempt(authenticator, user.id);
      await world.expectStatus(world.completeAuthentication(user.id, sessionId, response, onlyAuth), 200);
      await world.expectStatus(onlyRegExt.post(`${API}/users/${user.externalId}/passkeys/relyingParties/${RP_ID}/registrations/default/ext`, {}), 200);
    });

    describe('usernameless sign-in through the service API (for self-service)', () => {
      const actor = { tenantId: 'acme', actor: 'self-service' };

      test('no user named: empty allowCredentials, the user found from the credential and its user handle', async () => {
        const { user, authenticator } = await enrolled('discoverable');
        const started = await world.server.services.ceremonies.startAuthentication(actor, { storeName: STORE, rpId: RP_ID, policyName: 'default' });
        assert.deepEqual(started.clientRequest.allowCredentials, []);
        const row = await world.db.selectFrom('ceremony_sessions').select('user_id').where('id', '=', started.sessionId).executeTakeFirstOrThrow();
        assert.equal(row.user_id, null);
        const response = authenticator.authenticate(started.clientRequest, CTX);
        const result = await world.server.services.ceremonies.completeAuthentication(actor, { storeName: STORE, sessionId: started.sessionId, response });
        assert.equal(result.user.id, user.id);
        assert.equal(result.credential.counter, 1);
      });

      test('the result carries the ID token’s claims as signed (nobody decodes the token to read them)', async () => {
        const { user, authenticator } = await enrolled('claims-from-signing');
        const started = await world.server.services.ceremonies.startAuthentication(actor, { storeName: STORE, rpId: RP_ID, policyName: 'default' });
        const response = authenticator.authenticate(started.clientRequest, CTX);
        const result = await world.server.services.ceremonies.completeAuthentication(actor, {
          storeName: STORE,
          sessionId: started.sessionId,
          response,
          nonce: 'n-42',
        });
        const jwks = (await world.server.http.get('/acme/.well-known/jwks.json')).body;
        const { payload } = await jwtVerify(result.idToken, createLocalJWKSet(jwks), { audience: RP_ID });
        assert.deepEqual(result.idTokenClaims, payload);
        assert.equal(result.idTokenClaims.sub, user.id);
        assert.equal(result.idTokenClaims.nonce, 'n-42');
        assert.deepEqual(result.idTokenClaims.amr, ['pop', 'user', 'mfa']);
      });

      test('without a user handle in the response → USER_HANDLE_MISMATCH; a policy without discoverable sign-in → DISCOVERABLE_NOT_ALLOWED', async () => {
        const { authenticator } = await enrolled('discoverable-no-handle');
        const started = await world.server.services.ceremonies.startAuthentication(actor, { storeName: STORE, rpId: RP_ID, policyName: 'default' });
        const response = authenticator.authenticate(started.clientRequest, CTX, { userHandle: null });
        const before = await world.snapshot();
        await assert.rejects(world.server.services.ceremonies.completeAuthentication(actor, { storeName: STORE, sessionId: started.sessionId, response }), {
          code: 'USER_HANDLE_MISMATCH',
        });
        assert.deepEqual(await world.snapshot(), before);
        await assert.rejects(world.server.services.ceremonies.startAuthentication(actor, { storeName: STORE, rpId: RP_ID, policyName: 'named-only' }), {
          code: 'DISCOVERABLE_NOT_ALLOWED',
        });
      });
    });
  });
}
