// Passkey registration through the exact TrustX ceremony endpoints, on both databases: the options a start
// answers, a valid registration by user id and by external id, and each single defect of WebAuthn §7.1 refused with
// its own code while the database stays exactly as it was.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { describeAuthenticator } from '../../src/passkeys/authenticator-catalog.ts';
import { DATABASE_KINDS } from '../support/databases.ts';
import { SoftAuthenticator, type RegistrationDefects, type SoftAuthenticatorOptions } from '../support/soft-authenticator.ts';
import { API, CTX, CeremonyWorld, ORIGIN, RP_ID, type RegistrationPolicyName } from './ceremony-fixture.ts';

const ICLOUD_KEYCHAIN = 'fbfc3007-154e-4ecc-8c0b-6e020557d7bd';

for (const kind of DATABASE_KINDS) {
  describe(`passkey registration on ${kind}`, () => {
    let world: CeremonyWorld;
    before(async () => {
      world = await CeremonyWorld.create(kind);
    });
    after(() => world.close());

    test('start answers standard creation options from the policy and a session bound to the user', async () => {
      const user = await world.createUser('options@example.com', { email: 'options@example.com', firstName: 'Ada', lastName: 'Lovelace' });
      const started = await world.expectStatus(world.startRegistration(user.id), 200);
      assert.deepEqual(Object.keys(started.body).sort(), ['clientRequest', 'sessionId']);
      assert.match(started.body.sessionId, /^[A-Z2-7]{26}$/, 'a 26-character base32 id like TrustX');
      const options = started.body.clientRequest;
      assert.deepEqual(options.rp, { name: 'Keyway Test', id: RP_ID });
      assert.equal(Buffer.from(options.challenge, 'base64url').length, 32);
      assert.equal(Buffer.from(options.user.id, 'base64url').length, 32, 'a random 32-byte user handle');
      assert.equal(options.user.name, 'options@example.com');
      assert.equal(options.user.displayName, 'Ada Lovelace');
      assert.deepEqual(
        options.pubKeyCredParams,
        [-8, -7, -257].map((alg) => ({ type: 'public-key', alg })),
      );
      assert.equal(options.timeout, 300_000);
      assert.deepEqual(options.excludeCredentials, []);
      assert.deepEqual(options.authenticatorSelection, { residentKey: 'preferred', requireResidentKey: false, userVerification: 'preferred' });
      assert.deepEqual(options.hints, []);
      assert.equal(options.attestation, 'none');
      assert.deepEqual(options.extensions, { credProps: true });

      const row = await world.db.selectFrom('ceremony_sessions').selectAll().where('id', '=', started.body.sessionId).executeTakeFirstOrThrow();
      assert.equal(row.tenant_id, 'acme');
      assert.equal(row.user_id, user.id);
      assert.equal(row.rp_id, RP_ID);
      assert.equal(row.policy_name, 'default');
      assert.equal(row.ceremony, 'registration');
      assert.equal(row.challenge, options.challenge);
      assert.equal(row.consumed_at, null);
      assert.equal(Number(row.expires_at) - Number(row.created_at), 300_000, 'expires at the policy timeout');
      assert.deepEqual(JSON.parse(row.options), options);
      const stored = await world.db.selectFrom('users').select('user_handle').where('id', '=', user.id).executeTakeFirstOrThrow();
      assert.equal(stored.user_handle, options.user.id, 'the user handle is stored with the user');

      const again = await world.expectStatus(world.startRegistration(user.id), 200);
      assert.equal(again.body.clientRequest.user.id, options.user.id, 'the user handle is stable');
      assert.notEqual(again.body.clientRequest.challenge, options.challenge);
      assert.notEqual(again.body.sessionId, started.body.sessionId);
    });

    test('a policy shapes the options: algorithms, attachment, resident key, UV, attestation, hints, timeout', async () => {
      const created = await world.acme.api.post(`${API}/passkeys/registrationPolicies`, {
        name: 'shaped',
        attestation: 'direct',
        authenticatorAttachment: 'cross-platform',
        residentKey: 'required',
        userVerification: 'required',
        algorithms: [-7, -257],
        hints: ['security-key'],
        timeout: 120_000,
      });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      const user = await world.createUser('shaped');
      const started = await world.expectStatus(
        world.acme.api.post(`${API}/users/${user.id}/passkeys/relyingParties/${RP_ID}/registrations/shaped`, {
          userName: 'shaped-name',
          userDisplayName: 'Shaped User',
        }),
        200,
      );
      const options = started.body.clientRequest;
      assert.deepEqual(options.pubKeyCredParams, [
        { type: 'public-key', alg: -7 },
        { type: 'public-key', alg: -257 },
      ]);
      assert.deepEqual(options.authenticatorSelection, {
        authenticatorAttachment: 'cross-platform',
        residentKey: 'required',
        requireResidentKey: true,
        userVerification: 'required',
      });
      assert.equal(options.attestation, 'direct');
      assert.deepEqual(options.hints, ['security-key']);
      assert.equal(options.timeout, 120_000);
      assert.deepEqual(options.user, { id: options.user.id, name: 'shaped-name', displayName: 'Shaped User' });
    });

    test('valid registration by user id: the passkey record, its row, the consumed session and the audit event', async () => {
      const user = await world.createUser('alice');
      const authenticator = new SoftAuthenticator({ aaguid: ICLOUD_KEYCHAIN, backupEligible: true, backupState: true, signCount: 0 });
      const { sessionId, response } = await world.registrationAttempt(authenticator, user.id);
      const completed = await world.expectStatus(world.completeRegistration(user.id, sessionId, response), 201);
      const passkey = completed.body;
      assert.equal(passkey.credentialId, response.id);
      assert.equal(passkey.userId, user.id);
      assert.equal(passkey.rpId, RP_ID);
      assert.equal(passkey.aaguid, ICLOUD_KEYCHAIN);
      const provider = describeAuthenticator(ICLOUD_KEYCHAIN)?.name;
      assert.ok(provider, 'the AAGUID dataset knows Apple’s passkey provider');
      assert.equal(passkey.authenticatorName, provider);
      assert.equal(passkey.name, provider, 'named after the authenticator by default');
      assert.equal(passkey.backupEligible, true);
      assert.equal(passkey.backedUp, true);
      assert.equal(passkey.deviceType, 'multiDevice');
      assert.deepEqual(passkey.transports, ['hybrid', 'internal']);
      assert.equal(passkey.counter, 0);
      assert.equal(passkey.algorithm, -7);
      assert.equal(passkey.userVerified, true);
      assert.equal(passkey.attestationFormat, 'none');
      assert.equal(passkey.attestationVerified, false);
      assert.equal(passkey.lastUsedAt, null);
      assert.ok(passkey.createdAt);
      assert.equal(passkey.publicKey, undefined, 'the public key is never answered');

      const row = await world.db.selectFrom('credentials').selectAll().where('credential_id', '=', response.id).executeTakeFirstOrThrow();
      assert.equal(row.tenant_id, 'acme');
      assert.equal(row.user_id, user.id);
      assert.equal(Number(row.sign_count), 0);
      assert.equal(row.backup_eligible, 1);
      const session = await world.db.selectFrom('ceremony_sessions').select('consumed_at').where('id', '=', sessionId).executeTakeFirstOrThrow();
      assert.notEqual(session.consumed_at, null);
      const audit = await world.db
        .selectFrom('audit_events')
        .selectAll()
        .where('action', '=', 'passkey.register')
        .where('target_id', '=', response.id)
        .executeTakeFirstOrThrow();
      assert.equal(audit.actor, world.acme.clientId);
      assert.equal(JSON.parse(audit.details!).userId, user.id);

      const listed = await world.expectStatus(world.acme.api.get(`${API}/users/${user.id}/passkeys`), 200);
      assert.deepEqual(listed.body, { items: [passkey], nextCursor: null });
    });

    for (const alg of [-7, -8, -257] as const) {
      test(`valid registration with algorithm ${alg}`, async () => {
        const user = await world.createUser(`alg${alg}`);
        const passkey = await world.register(new SoftAuthenticator({ alg }), user.id);
        assert.equal(passkey.algorithm, alg);
        assert.equal(passkey.deviceType, 'singleDevice');
      });
    }

    test('valid registration by external id (the …/ext start), completed by user id', async () => {
      const user = await world.createUser('bob', { externalId: 'crm-bob' });
      const started = await world.expectStatus(world.acme.api.post(`${API}/users/crm-bob/passkeys/relyingParties/${RP_ID}/registrations/default/ext`, {}), 200);
      const response = new SoftAuthenticator().register(started.body.clientRequest, CTX);
      const completed = await world.expectStatus(world.completeRegistration(user.id, started.body.sessionId, response), 201);
      assert.equal(completed.body.userId, user.id);
    });

    test('the …/ext start with createUser creates the user (TrustX Create User); without it an unknown user is 404', async () => {
      const missing = await world.acme.api.post(`${API}/users/crm-new/passkeys/relyingParties/${RP_ID}/registrations/default/ext`, {});
      assert.equal(missing.status, 404);
      assert.equal(missing.body.code, 'USER_NOT_FOUND');

      const started = await world.expectStatus(
        world.acme.api.post(`${API}/users/crm-new/passkeys/relyingParties/${RP_ID}/registrations/default/ext`, {
          createUser: true,
          userName: 'new.user@example.com',
        }),
        200,
      );
      const user = await world.expectStatus(world.acme.api.get(`${API}/users/crm-new/ext`), 200);
      assert.equal(user.body.userKey, 'new.user@example.com');
      assert.equal(started.body.clientRequest.user.name, 'new.user@example.com');
      const again = await world.expectStatus(
        world.acme.api.post(`${API}/users/crm-new/passkeys/relyingParties/${RP_ID}/registrations/default/ext`, { createUser: true }),
        200,
      );
      assert.equal(again.body.clientRequest.user.id, started.body.clientRequest.user.id, 'an existing user is reused');
      const response = new SoftAuthenticator().register(started.body.clientRequest, CTX);
      await world.expectStatus(world.completeRegistration(user.body.id, started.body.sessionId, response), 201);
    });

    test('the caller’s userHandle is used when the user has none; a different one later is USER_HANDLE_CONFLICT', async () => {
      const user = await world.createUser('handle-owner');
      const handle = Buffer.from('caller-chosen-handle').toString('base64url');
      const started = await world.expectStatus(world.startRegistration(user.id, 'default', { userHandle: handle }), 200);
      assert.equal(started.body.clientRequest.user.id, handle);
      await world.expectStatus(world.startRegistration(user.id, 'default', { userHandle: handle }), 200);
      const conflict = await world.startRegistration(user.id, 'default', { userHandle: Buffer.from('another').toString('base64url') });
      assert.equal(conflict.status, 409);
      assert.equal(conflict.body.code, 'USER_HANDLE_CONFLICT');

      const other = await world.createUser('handle-thief');
      const taken = await world.startRegistration(other.id, 'default', { userHandle: handle });
      assert.equal(taken.status, 409, 'a user handle belongs to one user of the store');
      assert.equal(taken.body.code, 'USER_HANDLE_CONFLICT');
      const tooLong = await world.startRegistration(other.id, 'default', { userHandle: Buffer.alloc(65, 1).toString('base64url') });
      assert.equal(tooLong.status, 400);
      assert.equal(tooLong.body.code, 'VALIDATION_FAILED');
    });

    test('excludeCredentials lists the user’s passkeys for the RP with their transports', async () => {
      const user = await world.createUser('excluder');
      const authenticator = new SoftAuthenticator({ attachment: 'cross-platform', transports: ['usb', 'nfc'] });
      const passkey = await world.register(authenticator, user.id);
      const started = await world.expectStatus(world.startRegistration(user.id), 200);
      assert.deepEqual(started.body.clientRequest.excludeCredentials, [{ type: 'public-key', id: passkey.credentialId, transports: ['usb', 'nfc'] }]);
      assert.throws(
        () => authenticator.register(started.body.clientRequest, CTX),
        { name: 'InvalidStateError' },
        'the authenticator refuses to register twice',
      );
    });

    test('a start without any body is the same as {} (TrustX sends {})', async () => {
      const user = await world.createUser('no-body');
      const response = await world.acme.api.request('POST', `${API}/users/${user.id}/passkeys/relyingParties/${RP_ID}/registrations/default`);
      assert.equal(response.status, 200, JSON.stringify(response.body));
    });

    test('unknown store, user, relying party or policy are 404 with their codes', async () => {
      const user = await world.createUser('lookup');
      const cases: [string, string][] = [
        [`/api/identity-store/stores/nope/users/${user.id}/passkeys/relyingParties/${RP_ID}/registrations/default`, 'STORE_NOT_FOUND'],
        [`${API}/users/nobody/passkeys/relyingParties/${RP_ID}/registrations/default`, 'USER_NOT_FOUND'],
        [`${API}/users/${user.id}/passkeys/relyingParties/other.keyway.test/registrations/default`, 'RELYING_PARTY_NOT_FOUND'],
        [`${API}/users/${user.id}/passkeys/relyingParties/${RP_ID}/registrations/nope`, 'POLICY_NOT_FOUND'],
      ];
      for (const [path, code] of cases) {
        const response = await world.acme.api.post(path, {});
        assert.equal(response.status, 404, path);
        assert.equal(response.body.code, code, path);
      }
    });

    // ── one defect each: its code, and nothing changed ──
    const defects: {
      name: string;
      code: string;
      policy?: RegistrationPolicyName;
      authenticator?: SoftAuthenticatorOptions;
      defects?: RegistrationDefects;
      status?: number;
    }[] = [
      { name: 'ceremony type webauthn.get', code: 'CEREMONY_TYPE_MISMATCH', defects: { type: 'webauthn.get' } },
      { name: 'another challenge', code: 'CHALLENGE_MISMATCH', defects: { challenge: Buffer.from('not the challenge').toString('base64url') } },
      { name: 'an origin the RP does not list', code: 'ORIGIN_MISMATCH', defects: { origin: 'https://evil.keyway.test' } },
      { name: 'rpIdHash of another RP ID', code: 'RP_ID_MISMATCH', defects: { rpIdHash: 'keyway.test' } },
      { name: 'UP=0', code: 'USER_PRESENCE_REQUIRED', defects: { userPresent: false } },
      { name: 'UV=0 under a UV-required policy', code: 'USER_VERIFICATION_REQUIRED', policy: 'uv-required', defects: { userVerified: false } },
      { name: 'BS=1 without BE', code: 'BACKUP_STATE_INVALID', defects: { backupStateWithoutEligible: true } },
      { name: 'an algorithm the policy excludes (EdDSA under ES256-only)', code: 'ALGORITHM_NOT_ALLOWED', policy: 'es256-only', authenticator: { alg: -8 } },
      {
        name: 'a synced passkey (BE=1) under a device-bound-only policy',
        code: 'SYNCED_PASSKEY_NOT_ALLOWED',
        policy: 'device-bound',
        authenticator: { backupEligible: true, backupState: true },
      },
      {
        name: 'a bad packed self-attestation signature',
        code: 'ATTESTATION_INVALID',
        policy: 'packed',
        authenticator: { attestationFormat: 'packed' },
        defects: { badSignature: true },
      },
      { name: 'a 1024-byte credential ID', code: 'CREDENTIAL_ID_TOO_LONG', defects: { credentialIdLength: 1024 } },
    ];
    for (const d of defects) {
      test(`refused: ${d.name} → ${d.code}, nothing changed`, async () => {
        const user = await world.createUser(`defect-${d.code}-${d.name.length}`);
        const { sessionId, response } = await world.registrationAttempt(new SoftAuthenticator(d.authenticator), user.id, d.policy, d.defects);
        const before = await world.snapshot();
        await world.assertRejected(await world.completeRegistration(user.id, sessionId, response), d.status ?? 400, d.code, before);
      });
    }

    test('a 1023-byte credential ID is accepted (the limit itself)', async () => {
      const user = await world.createUser('long-id');
      const passkey = await world.register(new SoftAuthenticator(), user.id, 'default', { credentialIdLength: 1023 });
      assert.equal(Buffer.from(passkey.credentialId, 'base64url').length, 1023);
    });

    test('UV=0 is accepted when the policy only prefers user verification, and recorded', async () => {
      const user = await world.createUser('no-uv');
      const passkey = await world.register(new SoftAuthenticator({ userVerified: false }), user.id);
      assert.equal(passkey.userVerified, false);
    });

    test('packed self-attestation under direct conveyance verifies but is not a trusted attestation', async () => {
      const user = await world.createUser('packed-self');
      const passkey = await world.register(new SoftAuthenticator({ attestationFormat: 'packed' }), user.id, 'packed');
      assert.equal(passkey.attestationFormat, 'packed');
      assert.equal(passkey.attestationVerified, false);
      const audit = await world.db
        .selectFrom('audit_events')
        .select('details')
        .where('action', '=', 'passkey.register')
        .where('target_id', '=', passkey.credentialId)
        .executeTakeFirstOrThrow();
      assert.match(JSON.parse(audit.details!).attestationReason, /self attestation/);
    });

    test('response id that is not the credential ID in authenticatorData → RESPONSE_MALFORMED', async () => {
      const user = await world.createUser('swapped-id');
      const { sessionId, response } = await world.registrationAttempt(new SoftAuthenticator(), user.id);
      const other = Buffer.alloc(32, 7).toString('base64url');
      const before = await world.snapshot();
      await world.assertRejected(
        await world.completeRegistration(user.id, sessionId, { ...response, id: other, rawId: other }),
        400,
        'RESPONSE_MALFORMED',
        before,
      );
    });

    test('id and rawId that differ, a body that is not a credential, clientDataJSON that is not JSON → RESPONSE_MALFORMED', async () => {
      const user = await world.createUser('malformed');
      const { sessionId, response } = await world.registrationAttempt(new SoftAuthenticator(), user.id);
      const before = await world.snapshot();
      await world.assertRejected(
        await world.completeRegistration(user.id, sessionId, { ...response, rawId: Buffer.alloc(32, 1).toString('base64url') }),
        400,
        'RESPONSE_MALFORMED',
        before,
      );
      await world.assertRejected(await world.completeRegistration(user.id, sessionId, { ...response, type: 'password' }), 400, 'RESPONSE_MALFORMED', before);
      const notJson = { ...response, response: { ...response.response, clientDataJSON: Buffer.from('{not json').toString('base64url') } };
      await world.assertRejected(await world.completeRegistration(user.id, sessionId, notJson), 400, 'RESPONSE_MALFORMED', before);
      const notCbor = { ...response, response: { ...response.response, attestationObject: Buffer.from('garbage').toString('base64url') } };
      await world.assertRejected(await world.completeRegistration(user.id, sessionId, notCbor), 400, 'RESPONSE_MALFORMED', before);
      // The session is still usable after all of these.
      await world.expectStatus(world.completeRegistration(user.id, sessionId, response), 201);
    });

    test('a cross-origin registration (iframe) is refused: CROSS_ORIGIN_NOT_ALLOWED, with or without topOrigin', async () => {
      const user = await world.createUser('iframe');
      for (const ctx of [{ crossOrigin: true }, { crossOrigin: true, topOrigin: 'https://merchant.example' }]) {
        const started = await world.expectStatus(world.startRegistration(user.id), 200);
        const response = new SoftAuthenticator().register(started.body.clientRequest, { origin: ORIGIN, ...ctx });
        const before = await world.snapshot();
        await world.assertRejected(await world.completeRegistration(user.id, started.body.sessionId, response), 400, 'CROSS_ORIGIN_NOT_ALLOWED', before);
      }
    });

    test('a credential ID already registered anywhere (even another tenant) → CREDENTIAL_ALREADY_REGISTERED, nothing changed', async () => {
      const user = await world.createUser('duplicate');
      const { sessionId, response } = await world.registrationAttempt(new SoftAuthenticator(), user.id);
      // Another tenant already holds a credential with this ID (WebAuthn §7.1 step 27 is global).
      const globex = await world.server.tenant('globex');
      await world.expectStatus(globex.api.post('/api/identity-store/stores', { name: 'other' }), 201);
      const victim = await world.expectStatus(globex.api.post('/api/identity-store/stores/other/users', { userKey: 'victim' }), 201);
      const store = await world.db.selectFrom('stores').select('id').where('tenant_id', '=', 'globex').executeTakeFirstOrThrow();
      await world.db
        .insertInto('credentials')
        .values({
          id: '0000000000000000dupdupdupd',
          credential_id: response.id,
          tenant_id: 'globex',
          store_id: store.id,
          user_id: victim.body.id,
          rp_id: RP_ID,
          public_key: 'AA',
          algorithm: -7,
          sign_count: 0,
          transports: '[]',
          aaguid: '00000000-0000-0000-0000-000000000000',
          backup_eligible: 0,
          backed_up: 0,
          user_verified: 1,
          attestation_format: 'none',
          attestation_verified: 0,
          name: null,
          created_at: 1,
          updated_at: 1,
          last_used_at: null,
        })
        .execute();
      const before = await world.snapshot();
      await world.assertRejected(await world.completeRegistration(user.id, sessionId, response), 409, 'CREDENTIAL_ALREADY_REGISTERED', before);
    });

    test('the rpIdHash check uses SHA-256 of the session’s RP ID (sanity check of the soft authenticator)', () => {
      const options = { rp: { id: RP_ID, name: 'x' }, user: { id: 'AA', name: 'a', displayName: 'a' }, challenge: 'AA', pubKeyCredParams: [] };
      const response = new SoftAuthenticator().register(options, CTX);
      const authData = Buffer.from(response.response.authenticatorData!, 'base64url');
      assert.deepEqual(authData.subarray(0, 32), createHash('sha256').update(RP_ID).digest());
    });
  });
}
