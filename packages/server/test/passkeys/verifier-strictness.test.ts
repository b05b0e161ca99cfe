// The WebAuthn verifier's stricter rules through the admin ceremony endpoints, on both databases: a
// software authenticator produces each defect, the completion is refused with its code and changes nothing; the
// well-formed counterpart still succeeds. Credential keys against their algorithm (RFC 9053/8230, §6.5.1.1), packed
// self attestation (§8.2), attestation certificate validity as a trust decision at the injected clock, fido-u2f
// (§8.6), the CBOR envelope (§6.1, §6.5.4), tokenBinding and cross-origin embedding (§7.1 steps 10–11, §7.2 steps
// 13–14).
import assert from 'node:assert/strict';
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { ManualClock } from '../../src/shared/clock.ts';
import { makeAttestationPki, type AttestationPki } from '../support/attestation-pki.ts';
import { DATABASE_KINDS } from '../support/databases.ts';
import { SoftAuthenticator, encodeCoseKey, type AuthenticationDefects, type ClientContext, type RegistrationDefects } from '../support/soft-authenticator.ts';
import type { CBORType } from '@levischuck/tiny-cbor';
import { API, CTX, CeremonyWorld, ORIGIN, RP_ID } from './ceremony-fixture.ts';

const NOW = '2026-06-01T00:00:00Z';
const MERCHANT = 'https://merchant.example';

const bytes = (value: string | undefined) => new Uint8Array(Buffer.from(value!, 'base64url'));
const jwkOf = (key: KeyObject) => key.export({ format: 'jwk' });

/** An RSA COSE_Key (kty 3) labelled RS256 with the given modulus and exponent. */
const rsaKey = (n: Uint8Array, e: Uint8Array) => () =>
  encodeCoseKey([
    [1, 3],
    [3, -257],
    [-1, n],
    [-2, e],
  ]);

/** COSE keys that do not fit their alg, each stored with 201 before the key was checked at registration. */
const BAD_KEYS: Record<string, { policy: string; publicKey: (credentialKey: KeyObject) => Uint8Array }> = {
  'an ES256-labelled P-384 key': {
    policy: 'default',
    publicKey: () => {
      const jwk = jwkOf(generateKeyPairSync('ec', { namedCurve: 'P-384' }).publicKey);
      return encodeCoseKey([
        [1, 2],
        [3, -7],
        [-1, 2],
        [-2, bytes(jwk.x)],
        [-3, bytes(jwk.y)],
      ]);
    },
  },
  'an Ed25519 key labelled -7 (ES256)': {
    policy: 'default',
    publicKey: () =>
      encodeCoseKey([
        [1, 1],
        [3, -7],
        [-1, 6],
        [-2, bytes(jwkOf(generateKeyPairSync('ed25519').publicKey).x)],
      ]),
  },
  'a P-256 key labelled RS256, under an RS256-only policy': {
    policy: 'rs256-only',
    publicKey: (key) =>
      encodeCoseKey([
        [1, 2],
        [3, -257],
        [-1, 1],
        [-2, bytes(jwkOf(key).x)],
        [-3, bytes(jwkOf(key).y)],
      ]),
  },
  'a P-256 point that is not on the curve': {
    policy: 'default',
    publicKey: (key) => {
      const y = bytes(jwkOf(key).y);
      y[31] = y[31]! ^ 0x01;
      return encodeCoseKey([
        [1, 2],
        [3, -7],
        [-1, 1],
        [-2, bytes(jwkOf(key).x)],
        [-3, y],
      ]);
    },
  },
  '1-byte coordinates': {
    policy: 'default',
    publicKey: () =>
      encodeCoseKey([
        [1, 2],
        [3, -7],
        [-1, 1],
        [-2, new Uint8Array([1])],
        [-3, new Uint8Array([2])],
      ]),
  },
  'an RSA key with a 1-byte modulus': { policy: 'default', publicKey: rsaKey(new Uint8Array([0xc5]), new Uint8Array([1, 0, 1])) },
  'an RSA key with e = 1': {
    policy: 'default',
    publicKey: () => rsaKey(bytes(jwkOf(generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey).n), new Uint8Array([1]))(),
  },
  'an RSA key with an even e (65536)': {
    policy: 'default',
    publicKey: () => rsaKey(bytes(jwkOf(generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey).n), new Uint8Array([1, 0, 0]))(),
  },
  'a 16 KB (131072-bit) RSA key': { policy: 'default', publicKey: () => rsaKey(new Uint8Array(16 * 1024).fill(0xff), new Uint8Array([1, 0, 1]))() },
  'a 1024-bit RSA key': {
    policy: 'default',
    publicKey: () => rsaKey(bytes(jwkOf(generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey).n), new Uint8Array([1, 0, 1]))(),
  },
  'crv 99': {
    policy: 'default',
    publicKey: (key) =>
      encodeCoseKey([
        [1, 2],
        [3, -7],
        [-1, 99],
        [-2, bytes(jwkOf(key).x)],
        [-3, bytes(jwkOf(key).y)],
      ]),
  },
  'a key holding only alg': { policy: 'default', publicKey: () => encodeCoseKey([[3, -7]]) },
};

for (const kind of DATABASE_KINDS) {
  describe(`WebAuthn verifier strictness (admin ceremony API) on ${kind}`, () => {
    const clock = new ManualClock(NOW);
    let world: CeremonyWorld;
    let expiredPki: AttestationPki;
    let futurePki: AttestationPki;
    let p384Pki: AttestationPki;

    before(async () => {
      world = await CeremonyWorld.create(kind, clock);
      // Leaves valid in 2020 only (expired by the real clock too) and from 2030 on; roots valid 2000–2099.
      expiredPki = await makeAttestationPki({ notBefore: new Date('2020-01-01T00:00:00Z'), notAfter: new Date('2021-01-01T00:00:00Z') });
      futurePki = await makeAttestationPki({ notBefore: new Date('2030-01-01T00:00:00Z'), notAfter: new Date('2031-01-01T00:00:00Z') });
      p384Pki = await makeAttestationPki({ curve: 'P-384' });
      const policies: Record<string, unknown> = {
        'rs256-only': { algorithms: [-257] },
        'packed-self': { attestation: 'direct' },
        'trusted-expired': { attestation: 'direct', attestationTrust: { requireTrustedAttestation: true, rootCertificates: [expiredPki.rootPem] } },
        'attested-expired': { attestation: 'direct', attestationTrust: { requireTrustedAttestation: false, rootCertificates: [expiredPki.rootPem] } },
        'trusted-future': { attestation: 'direct', attestationTrust: { requireTrustedAttestation: true, rootCertificates: [futurePki.rootPem] } },
        'attested-future': { attestation: 'direct', attestationTrust: { requireTrustedAttestation: false, rootCertificates: [futurePki.rootPem] } },
        'u2f-any': { attestation: 'direct', algorithms: [-7] },
      };
      for (const [name, settings] of Object.entries(policies)) {
        await world.expectStatus(world.acme.api.post(`${API}/passkeys/registrationPolicies`, { name, ...(settings as object) }), 201);
      }
    });
    after(() => world.close());

    let users = 0;
    const newUser = () => world.createUser(`strict-${(users += 1)}`);

    async function registrationAttempt(
      authenticator: SoftAuthenticator,
      userId: string,
      policy = 'default',
      defects: RegistrationDefects = {},
      ctx: ClientContext = CTX,
    ) {
      const started = await world.expectStatus(world.acme.api.post(`${API}/users/${userId}/passkeys/relyingParties/${RP_ID}/registrations/${policy}`, {}), 200);
      return { sessionId: started.body.sessionId as string, response: authenticator.register(started.body.clientRequest, ctx, defects) };
    }

    async function refusedRegistration(authenticator: SoftAuthenticator, policy: string, defects: RegistrationDefects, code: string, ctx: ClientContext = CTX) {
      const user = await newUser();
      const { sessionId, response } = await registrationAttempt(authenticator, user.id, policy, defects, ctx);
      const before = await world.snapshot();
      await world.assertRejected(await world.completeRegistration(user.id, sessionId, response), 400, code, before);
    }

    async function registered(authenticator: SoftAuthenticator, policy = 'default', defects: RegistrationDefects = {}, ctx: ClientContext = CTX) {
      const user = await newUser();
      const { sessionId, response } = await registrationAttempt(authenticator, user.id, policy, defects, ctx);
      const passkey = (await world.expectStatus(world.completeRegistration(user.id, sessionId, response), 201)).body;
      return { user, passkey };
    }

    async function refusedAuthentication(
      authenticator: SoftAuthenticator,
      userId: string,
      defects: AuthenticationDefects,
      code: string,
      ctx: ClientContext = CTX,
    ) {
      const started = await world.expectStatus(world.startAuthentication(userId), 200);
      const response = authenticator.authenticate(started.body.clientRequest, ctx, defects);
      const before = await world.snapshot();
      await world.assertRejected(await world.completeAuthentication(userId, started.body.sessionId, response), 400, code, before);
    }

    async function signsIn(authenticator: SoftAuthenticator, userId: string, defects: AuthenticationDefects = {}, ctx: ClientContext = CTX) {
      const started = await world.expectStatus(world.startAuthentication(userId), 200);
      const response = authenticator.authenticate(started.body.clientRequest, ctx, defects);
      await world.expectStatus(world.completeAuthentication(userId, started.body.sessionId, response), 200);
    }

    describe('the credential public key fits its alg and imports (RFC 9053 §2, RFC 8230 §6, WebAuthn §6.5.1.1)', () => {
      for (const [name, { policy, publicKey }] of Object.entries(BAD_KEYS)) {
        test(`refused: ${name} → CREDENTIAL_PUBLIC_KEY_INVALID, nothing stored`, async () => {
          await refusedRegistration(new SoftAuthenticator(), policy, { publicKey }, 'CREDENTIAL_PUBLIC_KEY_INVALID');
        });
      }

      test('ES256 (P-256), EdDSA (Ed25519) and RS256 (2048-bit) keys register and sign in', async () => {
        for (const alg of [-7, -8, -257] as const) {
          const authenticator = new SoftAuthenticator({ alg });
          const { user, passkey } = await registered(authenticator);
          assert.equal(passkey.algorithm, alg);
          await signsIn(authenticator, user.id);
        }
      });
    });

    describe('none attestation (§8.7): an empty statement, nothing to verify', () => {
      test('refused: a "none" statement with entries (a signature, an empty x5c) → ATTESTATION_INVALID, nothing stored', async () => {
        for (const entries of [[['sig', new Uint8Array([0x30, 0x00])]], [['x5c', []]]] as [string, CBORType][][]) {
          await refusedRegistration(new SoftAuthenticator(), 'default', { attStmtEntries: entries }, 'ATTESTATION_INVALID');
        }
      });

      test('accepted: the empty statement; the passkey is stored unattested', async () => {
        const { passkey } = await registered(new SoftAuthenticator(), 'default');
        assert.equal(passkey.attestationFormat, 'none');
        assert.equal(passkey.attestationVerified, false);
      });
    });

    describe('packed self attestation (§8.2): attStmt.alg is the credential’s algorithm', () => {
      test('refused: ES256 credential with attStmt.alg -257 or -8 → ATTESTATION_INVALID', async () => {
        for (const attStmtAlg of [-257, -8]) {
          await refusedRegistration(new SoftAuthenticator({ attestationFormat: 'packed' }), 'packed-self', { attStmtAlg }, 'ATTESTATION_INVALID');
        }
      });

      test('accepted: attStmt.alg equal to the credential’s (ES256, EdDSA)', async () => {
        for (const alg of [-7, -8] as const) {
          const { passkey } = await registered(new SoftAuthenticator({ alg, attestationFormat: 'packed' }), 'packed-self');
          assert.equal(passkey.attestationFormat, 'packed');
          assert.equal(passkey.attestationVerified, false, 'self attestation is never trusted');
        }
      });
    });

    describe('attestation certificate validity is a trust decision at the injected clock, the same for every format', () => {
      const formats = ['packed', 'fido-u2f'] as const;
      const withCertificate = (pki: AttestationPki, attestationFormat: (typeof formats)[number]) =>
        new SoftAuthenticator({ attestationFormat, attestationCertificate: { x5c: [pki.leaf], privateKey: pki.privateKey } });

      test('a leaf expired at the clock: untrusted (ATTESTATION_NOT_TRUSTED where trust is required; stored unverified otherwise)', async () => {
        clock.set(NOW);
        for (const format of formats) {
          await refusedRegistration(withCertificate(expiredPki, format), 'trusted-expired', {}, 'ATTESTATION_NOT_TRUSTED');
          const { passkey } = await registered(withCertificate(expiredPki, format), 'attested-expired');
          assert.equal(passkey.attestationFormat, format);
          assert.equal(passkey.attestationVerified, false, format);
        }
      });

      test('the same leaf at a clock inside its validity: trusted, whatever the process clock says', async () => {
        clock.set('2020-06-01T00:00:00Z');
        try {
          for (const format of formats) {
            const { passkey } = await registered(withCertificate(expiredPki, format), 'trusted-expired');
            assert.equal(passkey.attestationVerified, true, format);
          }
        } finally {
          clock.set(NOW);
        }
      });

      test('a leaf not yet valid at the clock: untrusted; once the clock reaches its validity: trusted', async () => {
        clock.set(NOW);
        for (const format of formats) {
          await refusedRegistration(withCertificate(futurePki, format), 'trusted-future', {}, 'ATTESTATION_NOT_TRUSTED');
          const { passkey } = await registered(withCertificate(futurePki, format), 'attested-future');
          assert.equal(passkey.attestationVerified, false, format);
        }
        // At 2030 (by the injected clock of a server of its own, so the admin token is not of 2026) it is trusted.
        const later = await CeremonyWorld.create(kind, new ManualClock('2030-06-01T00:00:00Z'));
        try {
          await later.expectStatus(
            later.acme.api.post(`${API}/passkeys/registrationPolicies`, {
              name: 'trusted',
              attestation: 'direct',
              attestationTrust: { requireTrustedAttestation: true, rootCertificates: [futurePki.rootPem] },
            }),
            201,
          );
          for (const format of formats) {
            const user = await later.createUser(`future-${format}`);
            const started = await later.expectStatus(
              later.acme.api.post(`${API}/users/${user.id}/passkeys/relyingParties/${RP_ID}/registrations/trusted`, {}),
              200,
            );
            const response = withCertificate(futurePki, format).register(started.body.clientRequest, CTX);
            const passkey = (await later.expectStatus(later.completeRegistration(user.id, started.body.sessionId, response), 201)).body;
            assert.equal(passkey.attestationVerified, true, format);
          }
        } finally {
          await later.close();
        }
      });

      test('a wrong signature by an expired leaf is still ATTESTATION_INVALID (validity never skips the signature)', async () => {
        clock.set('2020-06-01T00:00:00Z');
        try {
          await refusedRegistration(withCertificate(expiredPki, 'packed'), 'trusted-expired', { badSignature: true }, 'ATTESTATION_INVALID');
        } finally {
          clock.set(NOW);
        }
      });
    });

    describe('fido-u2f (§8.6 step 2): exactly one certificate in x5c, with a P-256 key', () => {
      let pki: AttestationPki;
      before(async () => {
        pki = await makeAttestationPki();
      });
      const u2f = (certificate: AttestationPki) =>
        new SoftAuthenticator({ attestationFormat: 'fido-u2f', attestationCertificate: { x5c: [certificate.leaf], privateKey: certificate.privateKey } });

      test('refused: x5c with the leaf and its root, or with no certificate → ATTESTATION_INVALID', async () => {
        await refusedRegistration(u2f(pki), 'u2f-any', { x5c: [pki.leaf, pki.root] }, 'ATTESTATION_INVALID');
        await refusedRegistration(u2f(pki), 'u2f-any', { x5c: [] }, 'ATTESTATION_INVALID');
      });

      test('refused: an attestation certificate with a P-384 key (signing ES256 as U2F does) → ATTESTATION_INVALID', async () => {
        await refusedRegistration(u2f(p384Pki), 'u2f-any', {}, 'ATTESTATION_INVALID');
      });

      test('accepted: one P-256 certificate', async () => {
        const { passkey } = await registered(u2f(pki), 'u2f-any');
        assert.equal(passkey.attestationFormat, 'fido-u2f');
      });
    });

    describe('the CBOR envelope (§6.1, §6.5.4)', () => {
      test('refused: bytes after the attestationObject map → RESPONSE_MALFORMED', async () => {
        await refusedRegistration(new SoftAuthenticator(), 'default', { trailingBytes: new Uint8Array([0x00]) }, 'RESPONSE_MALFORMED');
        await refusedRegistration(
          new SoftAuthenticator({ attestationFormat: 'packed' }),
          'packed-self',
          { trailingBytes: new Uint8Array([0xa0]) },
          'RESPONSE_MALFORMED',
        );
      });

      test('refused: ED=1 with extensions that are not a map, or absent → RESPONSE_MALFORMED (registration)', async () => {
        for (const extensions of [new Uint8Array([0x61, 0x78]), new Uint8Array([0x81, 0x01]), new Uint8Array([0x01]), new Uint8Array(0)]) {
          await refusedRegistration(new SoftAuthenticator(), 'default', { extensions }, 'RESPONSE_MALFORMED');
        }
      });

      test('accepted: ED=1 with a map of extensions (credProtect: 2)', async () => {
        // {"credProtect": 2}
        await registered(new SoftAuthenticator(), 'default', { extensions: new Uint8Array([0xa1, 0x6b, ...Buffer.from('credProtect'), 0x02]) });
      });

      test('assertions: AT=1 refused, ED=1 extensions that are not a map refused → RESPONSE_MALFORMED; a map accepted', async () => {
        const authenticator = new SoftAuthenticator();
        const { user } = await registered(authenticator);
        await refusedAuthentication(authenticator, user.id, { attestedCredentialData: true }, 'RESPONSE_MALFORMED');
        for (const extensions of [new Uint8Array([0x61, 0x78]), new Uint8Array([0x81, 0x01]), new Uint8Array(0)]) {
          await refusedAuthentication(authenticator, user.id, { extensions }, 'RESPONSE_MALFORMED');
        }
        await signsIn(authenticator, user.id, { extensions: new Uint8Array([0xa1, 0x63, ...Buffer.from('foo'), 0xf5]) });
      });
    });

    describe('tokenBinding is decided once, the same for both ceremonies', () => {
      const cases: [unknown, string][] = [
        [{ status: 'not-supported' }, 'RESPONSE_MALFORMED'],
        [{ status: 'notSupported' }, 'RESPONSE_MALFORMED'],
        [{}, 'RESPONSE_MALFORMED'],
        ['supported', 'RESPONSE_MALFORMED'],
        [null, 'RESPONSE_MALFORMED'],
        [{ status: 'present', id: 'AAAA' }, 'TOKEN_BINDING_NOT_SUPPORTED'],
      ];

      test('registration: refused statuses and shapes, each with its code; "supported" accepted', async () => {
        for (const [tokenBinding, code] of cases) await refusedRegistration(new SoftAuthenticator(), 'default', { tokenBinding }, code);
        await registered(new SoftAuthenticator(), 'default', { tokenBinding: { status: 'supported' } });
      });

      test('authentication: the same answers', async () => {
        const authenticator = new SoftAuthenticator();
        const { user } = await registered(authenticator);
        for (const [tokenBinding, code] of cases) await refusedAuthentication(authenticator, user.id, { tokenBinding }, code);
        await signsIn(authenticator, user.id, { tokenBinding: { status: 'supported' } });
      });
    });

    describe('cross-origin (iframe) ceremonies under the relying party’s topOrigins', () => {
      const rp = `${API}/passkeys/relyingParties/${RP_ID}`;
      const embedded = (topOrigin?: string): ClientContext => ({ origin: ORIGIN, crossOrigin: true, ...(topOrigin === undefined ? {} : { topOrigin }) });
      const refusedContexts: [string, ClientContext][] = [
        ['crossOrigin true with an unlisted topOrigin', embedded('https://evil.example')],
        ['crossOrigin true without topOrigin', embedded()],
        ['a topOrigin with crossOrigin false', { origin: ORIGIN, crossOrigin: false, topOrigin: MERCHANT }],
      ];

      test('with topOrigins listed: both ceremonies accept a listed topOrigin and refuse everything else with CROSS_ORIGIN_NOT_ALLOWED', async () => {
        await world.expectStatus(world.acme.api.patch(rp, { topOrigins: [MERCHANT] }), 200);
        try {
          const authenticator = new SoftAuthenticator();
          const { user } = await registered(authenticator, 'default', {}, embedded(MERCHANT));
          await signsIn(authenticator, user.id, {}, embedded(MERCHANT));
          await signsIn(authenticator, user.id, {}, CTX);
          for (const [name, ctx] of refusedContexts) {
            await refusedRegistration(new SoftAuthenticator(), 'default', {}, 'CROSS_ORIGIN_NOT_ALLOWED', ctx).catch((error: Error) =>
              assert.fail(`registration, ${name}: ${error.message}`),
            );
            await refusedAuthentication(authenticator, user.id, {}, 'CROSS_ORIGIN_NOT_ALLOWED', ctx).catch((error: Error) =>
              assert.fail(`authentication, ${name}: ${error.message}`),
            );
          }
        } finally {
          await world.expectStatus(world.acme.api.patch(rp, { topOrigins: [] }), 200);
        }
      });

      test('without topOrigins (the default): every cross-origin ceremony is refused, in both ceremonies', async () => {
        const authenticator = new SoftAuthenticator();
        const { user } = await registered(authenticator);
        for (const ctx of [embedded(MERCHANT), ...refusedContexts.map(([, c]) => c)]) {
          await refusedRegistration(new SoftAuthenticator(), 'default', {}, 'CROSS_ORIGIN_NOT_ALLOWED', ctx);
          await refusedAuthentication(authenticator, user.id, {}, 'CROSS_ORIGIN_NOT_ALLOWED', ctx);
        }
      });

      test('the OpenAPI document shows topOrigins on the relying party (create, update, read) and the new codes on both completions', async () => {
        const doc = await world.expectStatus(world.server.http.get('/openapi.json'), 200);
        const rps = doc.body.paths['/api/identity-store/stores/{storeName}/passkeys/relyingParties'];
        const one = doc.body.paths['/api/identity-store/stores/{storeName}/passkeys/relyingParties/{rpId}'];
        // An operation with the component schemas it refers to.
        const schemaText = (operation: unknown) =>
          JSON.stringify(operation).replace(/\{"\$ref":"#\/components\/schemas\/([A-Za-z0-9]+)"\}/g, (_ref, name: string) =>
            JSON.stringify(doc.body.components.schemas[name]),
          );
        for (const [name, operation] of [
          ['create', rps.post],
          ['update', one.patch],
          ['read', one.get],
        ] as const) {
          assert.match(schemaText(operation), /"topOrigins"/, name);
        }
        const sessions = '/api/identity-store/stores/{storeName}/users/{userId}/passkeys';
        const registration = schemaText(doc.body.paths[`${sessions}/registrations/sessions/{sessionId}`].post.responses);
        const authentication = schemaText(doc.body.paths[`${sessions}/authentications/sessions/{sessionId}`].post.responses);
        for (const code of ['CREDENTIAL_PUBLIC_KEY_INVALID', 'TOKEN_BINDING_NOT_SUPPORTED', 'CROSS_ORIGIN_NOT_ALLOWED'])
          assert.ok(registration.includes(code), code);
        for (const code of ['TOKEN_BINDING_NOT_SUPPORTED', 'CROSS_ORIGIN_NOT_ALLOWED']) assert.ok(authentication.includes(code), code);
      });

      test('a topOrigin removed from the RP after the start applies at completion', async () => {
        await world.expectStatus(world.acme.api.patch(rp, { topOrigins: [MERCHANT] }), 200);
        const user = await newUser();
        const { sessionId, response } = await registrationAttempt(new SoftAuthenticator(), user.id, 'default', {}, embedded(MERCHANT));
        await world.expectStatus(world.acme.api.patch(rp, { topOrigins: [] }), 200);
        const before = await world.snapshot();
        await world.assertRejected(await world.completeRegistration(user.id, sessionId, response), 400, 'CROSS_ORIGIN_NOT_ALLOWED', before);
      });
    });
  });
}
