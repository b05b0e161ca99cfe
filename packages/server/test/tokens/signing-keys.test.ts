import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { openSecret } from '../../src/secrets/envelope.ts';
import { parseMasterKey } from '../../src/secrets/master-key.ts';
import { SIGNING_KEY_COLUMN, sealedAad } from '../../src/secrets/sealed-columns.ts';
import { ManualClock } from '../../src/shared/clock.ts';
import { openDatabase, type Database } from '../../src/storage/database.ts';
import { TenancyService } from '../../src/tenancy/tenancy-service.ts';
import { SigningKeyService, amrFor } from '../../src/tokens/signing-key-service.ts';
import { DATABASE_KINDS, TEST_MASTER_KEY, openMigratedDatabase } from '../support/databases.ts';
import { startTestServer, type TenantFixture, type TestServer } from '../support/test-server.ts';

const HOUR = 60 * 60 * 1000;

describe('amrFor (RFC 8176 values from credential facts)', () => {
  it('always claims user presence and maps UV to mfa', () => {
    assert.deepEqual(amrFor({ userVerified: true, backupEligible: false, attestationVerified: true }), ['hwk', 'user', 'mfa']);
    assert.deepEqual(amrFor({ userVerified: false, backupEligible: false, attestationVerified: true }), ['hwk', 'user']);
  });
  it('claims hwk only for an attested device-bound key, swk for synced, pop otherwise', () => {
    assert.deepEqual(amrFor({ userVerified: true, backupEligible: false, attestationVerified: false }), ['pop', 'user', 'mfa']);
    assert.deepEqual(amrFor({ userVerified: true, backupEligible: true, attestationVerified: true }), ['swk', 'user', 'mfa']);
    assert.deepEqual(amrFor({ userVerified: false, backupEligible: true, attestationVerified: false }), ['swk', 'user']);
  });
  it('never claims a specific UV modality', () => {
    for (const userVerified of [true, false]) {
      for (const backupEligible of [true, false]) {
        for (const attestationVerified of [true, false]) {
          const amr = amrFor({ userVerified, backupEligible, attestationVerified });
          for (const value of ['pin', 'fpt', 'face', 'iris', 'pwd']) assert.ok(!amr.includes(value));
        }
      }
    }
  });
});

for (const kind of DATABASE_KINDS) {
  describe(`ID tokens and JWKS over HTTP (${kind})`, () => {
    let server: TestServer;
    let acme: TenantFixture;
    const clock = new ManualClock('2026-03-01T12:00:00Z');

    before(async () => {
      server = await startTestServer({ kind, clock });
      acme = await server.tenant('acme');
      await server.tenant('globex');
    });
    after(() => server.close());

    // The clock moves by days in these tests, so each admin call gets a fresh access token.
    const adminApi = async () => server.http.withToken(await server.token(acme.clientId, acme.clientSecret));
    const jwksFor = (tenant: string) => createRemoteJWKSet(new URL(`${server.url}/${tenant}/.well-known/jwks.json`));
    const issuerOf = (tenant: string) => `${server.config.publicUrl}/${tenant}`;

    it('issues an ES256 token that verifies against the tenant’s JWKS, with the expected claims', async () => {
      const authTime = new Date(clock.now().getTime() - 2000);
      const token = await server.services.signingKeys.issueIdToken('acme', {
        sub: 'user-123',
        aud: 'login.example.com',
        authTime,
        amr: amrFor({ userVerified: true, backupEligible: false, attestationVerified: false }),
        acr: 'phr',
        nonce: 'n-0S6_WzA2Mj',
        store: 'customers',
        externalId: 'ext-42',
        credentialId: 'Y3JlZC1pZA',
        attested: false,
        deviceBound: true,
      });
      const { payload, protectedHeader } = await jwtVerify(token, jwksFor('acme'), {
        issuer: issuerOf('acme'),
        audience: 'login.example.com',
        algorithms: ['ES256'],
        currentDate: clock.now(),
      });
      assert.equal(protectedHeader.alg, 'ES256');
      assert.equal(protectedHeader.typ, 'JWT');
      assert.ok(protectedHeader.kid);
      const iat = Math.floor(clock.now().getTime() / 1000);
      assert.equal(payload.iss, issuerOf('acme'));
      assert.equal(payload.sub, 'user-123');
      assert.equal(payload.aud, 'login.example.com');
      assert.equal(payload.iat, iat);
      assert.equal(payload.exp, iat + 300);
      assert.equal(payload.auth_time, Math.floor(authTime.getTime() / 1000));
      assert.deepEqual(payload.amr, ['pop', 'user', 'mfa']);
      assert.equal(payload.acr, 'phr');
      assert.equal(payload.nonce, 'n-0S6_WzA2Mj');
      assert.equal(payload.store, 'customers');
      assert.equal(payload.external_id, 'ext-42');
      assert.equal(payload.cred_id, 'Y3JlZC1pZA');
      assert.equal(payload.keyway_attested, false);
      assert.equal(payload.keyway_device_bound, true);
      assert.match(String(payload.jti), /^[A-Za-z0-9_-]{22}$/);
    });

    it('leaves optional claims out when the caller has none', async () => {
      const token = await server.services.signingKeys.issueIdToken('acme', { sub: 'u1', aud: ['a', 'b'], amr: ['swk', 'user'] });
      const { payload } = await jwtVerify(token, jwksFor('acme'), { issuer: issuerOf('acme'), audience: 'b', currentDate: clock.now() });
      assert.deepEqual(payload.aud, ['a', 'b']);
      assert.equal(payload.auth_time, payload.iat);
      for (const claim of ['acr', 'nonce', 'store', 'external_id', 'cred_id', 'keyway_attested', 'keyway_device_bound'])
        assert.equal(claim in payload, false, claim);
    });

    it('serves only public key material, cacheable, as a JWK set', async () => {
      const response = await server.http.get('/acme/.well-known/jwks.json');
      assert.equal(response.status, 200);
      assert.equal(response.headers.get('cache-control'), 'public, max-age=300');
      assert.match(response.headers.get('content-type') ?? '', /^application\/jwk-set\+json/);
      assert.ok(response.body.keys.length >= 1);
      for (const key of response.body.keys) {
        assert.deepEqual(Object.keys(key).sort(), ['alg', 'crv', 'kid', 'kty', 'use', 'x', 'y']);
        assert.equal(key.kty, 'EC');
        assert.equal(key.crv, 'P-256');
        assert.equal(key.alg, 'ES256');
        assert.equal(key.use, 'sig');
      }
    });

    it('publishes minimal OpenID Provider metadata whose issuer matches the tokens', async () => {
      const response = await server.http.get('/acme/.well-known/openid-configuration');
      assert.equal(response.status, 200);
      assert.equal(response.headers.get('cache-control'), 'public, max-age=300');
      assert.equal(response.body.issuer, issuerOf('acme'));
      assert.equal(response.body.jwks_uri, `${issuerOf('acme')}/.well-known/jwks.json`);
      assert.deepEqual(response.body.id_token_signing_alg_values_supported, ['ES256']);
    });

    it('answers 404 TENANT_NOT_FOUND for an unknown or malformed tenant, without creating anything', async () => {
      for (const path of ['/nobody/.well-known/jwks.json', '/nobody/.well-known/openid-configuration', '/NOT_a_tenant/.well-known/jwks.json']) {
        const response = await server.http.get(path);
        assert.equal(response.status, 404, path);
        assert.equal(response.body.code, 'TENANT_NOT_FOUND');
        assert.match(response.headers.get('content-type') ?? '', /^application\/problem\+json/);
        assert.equal(response.headers.get('cache-control'), null);
      }
      const rows = await server.database.db.selectFrom('signing_keys').select('kid').where('tenant_id', '=', 'nobody').execute();
      assert.equal(rows.length, 0);
      await assert.rejects(server.services.signingKeys.issueIdToken('nobody', { sub: 'u', aud: 'x', amr: [] }), { code: 'TENANT_NOT_FOUND' });
    });

    it('rejects the token once expired (injected clock), and honours a per-token lifetime', async () => {
      const token = await server.services.signingKeys.issueIdToken('acme', { sub: 'u1', aud: 'rp', amr: ['pop', 'user'] });
      const jwks = jwksFor('acme');
      const issued = clock.now().getTime();
      await jwtVerify(token, jwks, { currentDate: new Date(issued + 299_000) });
      await assert.rejects(jwtVerify(token, jwks, { currentDate: new Date(issued + 301_000) }), { code: 'ERR_JWT_EXPIRED' });
      const short = await server.services.signingKeys.issueIdToken('acme', { sub: 'u1', aud: 'rp', amr: [], ttlSeconds: 60 });
      const { payload } = await jwtVerify(short, jwks, { currentDate: clock.now() });
      assert.equal(payload.exp! - payload.iat!, 60);
    });

    it('does not verify one tenant’s token with another tenant’s keys', async () => {
      const token = await server.services.signingKeys.issueIdToken('acme', { sub: 'u1', aud: 'rp', amr: [] });
      await assert.rejects(jwtVerify(token, jwksFor('globex'), { currentDate: clock.now() }), { code: 'ERR_JWKS_NO_MATCHING_KEY' });
      // Even with the kid forced onto the other tenant's key, the signature does not verify.
      const globexJwks = (await server.http.get('/globex/.well-known/jwks.json')).body;
      const globexKid = globexJwks.keys[0].kid;
      const [, body, signature] = token.split('.');
      const header = Buffer.from(JSON.stringify({ alg: 'ES256', kid: globexKid, typ: 'JWT' })).toString('base64url');
      await assert.rejects(jwtVerify(`${header}.${body}.${signature}`, jwksFor('globex'), { currentDate: clock.now() }), {
        code: 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED',
      });
      assert.notEqual(globexKid, decodeProtectedHeader(token).kid);
    });

    it('rotates via the admin API: new tokens use the new kid, old tokens verify for 24 h', async () => {
      const before = await server.services.signingKeys.issueIdToken('acme', { sub: 'u1', aud: 'rp', amr: [] });
      const oldKid = decodeProtectedHeader(before).kid;
      const rotated = await (await adminApi()).post('/api/admin/signing-keys/rotate');
      assert.equal(rotated.status, 200);
      assert.notEqual(rotated.body.kid, oldKid);
      assert.equal(rotated.body.keys[0].kid, rotated.body.kid);
      assert.equal(rotated.body.keys[0].status, 'active');
      assert.equal(rotated.body.keys.find((k: { kid: string }) => k.kid === oldKid).status, 'retired');

      const afterToken = await server.services.signingKeys.issueIdToken('acme', { sub: 'u1', aud: 'rp', amr: [] });
      assert.equal(decodeProtectedHeader(afterToken).kid, rotated.body.kid);
      const jwks = jwksFor('acme');
      await jwtVerify(before, jwks, { currentDate: clock.now() });
      await jwtVerify(afterToken, jwks, { currentDate: clock.now() });

      const audit = await (await adminApi()).get('/api/audit?action=signingKey.rotate');
      assert.equal(audit.status, 200);
      const event = audit.body.items.at(-1);
      assert.equal(event.targetId, rotated.body.kid);
      assert.equal(event.details.retiredKid, oldKid);
      assert.equal(event.actor, acme.clientId);
      assert.ok(event.requestId);

      // After the grace period the retired key leaves the JWKS.
      clock.advance(24 * HOUR + 1000);
      const published = (await server.http.get('/acme/.well-known/jwks.json')).body.keys.map((k: { kid: string }) => k.kid);
      assert.deepEqual(published, [rotated.body.kid]);
      // Still listed for administrators.
      const listed = await (await adminApi()).get('/api/admin/signing-keys');
      assert.equal(listed.status, 200);
      assert.ok(listed.body.items.some((k: { kid: string }) => k.kid === oldKid));
    });

    it('guards the admin routes with their permissions', async () => {
      const created = await (await adminApi()).post('/api/admin/clients', { name: 'reader', permissions: ['TNT#acme#Admin:listSigningKeys'] });
      assert.equal(created.status, 201);
      const api = server.http.withToken(await server.token(created.body.clientId, created.body.clientSecret));
      assert.equal((await api.get('/api/admin/signing-keys')).status, 200);
      const denied = await api.post('/api/admin/signing-keys/rotate');
      assert.equal(denied.status, 403);
      assert.equal(denied.body.code, 'FORBIDDEN');
      assert.equal((await server.http.post('/api/admin/signing-keys/rotate')).status, 401);
      // A tenant rotates only its own keys.
      const globexBefore = (await server.http.get('/globex/.well-known/jwks.json')).body.keys.map((k: { kid: string }) => k.kid);
      await (await adminApi()).post('/api/admin/signing-keys/rotate');
      const globexAfter = (await server.http.get('/globex/.well-known/jwks.json')).body.keys.map((k: { kid: string }) => k.kid);
      assert.deepEqual(globexAfter, globexBefore);
    });
  });

  describe(`signing keys across nodes (${kind})`, () => {
    let first: Awaited<ReturnType<typeof openMigratedDatabase>>;
    let second: Database;
    const clock = new ManualClock('2026-03-01T12:00:00Z');

    before(async () => {
      first = await openMigratedDatabase(kind);
      second = openDatabase(first.testDatabase.url);
      const tenancy = new TenancyService({ db: first.database.db, clock, accessTokenTtlSeconds: 3600 });
      for (const tenant of ['race', 'rotating']) await tenancy.initTenant(tenant);
    });
    after(async () => {
      await second.close();
      await first.close();
    });

    const masterKey = parseMasterKey(TEST_MASTER_KEY)!;
    const node = (database: Database) => new SigningKeyService({ db: database.db, clock, masterKey, issuerBaseUrl: 'https://id.example.com' });

    it('creates exactly one key when two nodes lazily create a tenant’s first key at once', async () => {
      const nodes = [node(first.database), node(second), node(first.database), node(second)];
      const tokens = await Promise.all(
        Array.from({ length: 24 }, (_, i) => nodes[i % nodes.length]!.issueIdToken('race', { sub: `u${i}`, aud: 'rp', amr: [] })),
      );
      const rows = await first.database.db.selectFrom('signing_keys').selectAll().where('tenant_id', '=', 'race').execute();
      assert.equal(rows.length, 1);
      assert.equal(rows[0]!.retired_at, null);
      assert.ok(tokens.every((token) => decodeProtectedHeader(token).kid === rows[0]!.kid));
      const created = await first.database.db
        .selectFrom('audit_events')
        .select('id')
        .where('tenant_id', '=', 'race')
        .where('action', '=', 'signingKey.create')
        .execute();
      assert.equal(created.length, 1);
      // The stored private key is a sealed JWK (secrets/envelope.ts); the public one has no private part.
      const privateJwk = JSON.parse(openSecret(masterKey, rows[0]!.private_jwk, sealedAad(SIGNING_KEY_COLUMN, rows[0]!))) as { kty: string; d?: string };
      assert.equal(privateJwk.kty, 'EC');
      assert.ok(privateJwk.d);
      assert.equal(JSON.parse(rows[0]!.public_jwk).d, undefined);
    });

    it('picks up a rotation made on another node within the active-key cache time', async () => {
      const a = node(first.database);
      const b = node(second);
      const kid1 = decodeProtectedHeader(await b.issueIdToken('rotating', { sub: 'u', aud: 'rp', amr: [] })).kid;
      const kid2 = await a.rotate('rotating');
      assert.notEqual(kid2, kid1);
      assert.equal(decodeProtectedHeader(await a.issueIdToken('rotating', { sub: 'u', aud: 'rp', amr: [] })).kid, kid2);
      // Node b still signs with its cached (now retired, still published) key for up to 30 s…
      assert.equal(decodeProtectedHeader(await b.issueIdToken('rotating', { sub: 'u', aud: 'rp', amr: [] })).kid, kid1);
      assert.deepEqual((await b.getJwks('rotating')).keys.map((k) => k.kid).sort(), [kid1, kid2].sort());
      // …and then switches.
      clock.advance(30_001);
      assert.equal(decodeProtectedHeader(await b.issueIdToken('rotating', { sub: 'u', aud: 'rp', amr: [] })).kid, kid2);
    });

    it('keeps one active key when two nodes rotate at once', async () => {
      const a = node(first.database);
      const b = node(second);
      const kids = await Promise.all([a.rotate('rotating'), b.rotate('rotating'), a.rotate('rotating'), b.rotate('rotating')]);
      assert.equal(new Set(kids).size, 4);
      const active = await first.database.db
        .selectFrom('signing_keys')
        .select('kid')
        .where('tenant_id', '=', 'rotating')
        .where('retired_at', 'is', null)
        .execute();
      assert.equal(active.length, 1);
      assert.ok(kids.includes(active[0]!.kid));
    });
  });
}
