// ID tokens signed with a cached key: the claims come back from the signing step (no caller decodes a token Keyway
// just signed), every token verifies with jose against the tenant's published JWKS, and a tenant's sealed private
// key is unsealed and imported once per tenant and kid however many tokens and active-key refreshes follow, within a
// bound. On both databases.
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createLocalJWKSet, jwtVerify } from 'jose';
import { MasterKey } from '../../src/secrets/master-key.ts';
import { ManualClock } from '../../src/shared/clock.ts';
import { TenancyService } from '../../src/tenancy/tenancy-service.ts';
import { SigningKeyService } from '../../src/tokens/signing-key-service.ts';
import { DATABASE_KINDS, TEST_MASTER_KEY, migratedDatabaseSuite } from '../support/databases.ts';

/** The test master key, counting how often a sealed secret is opened with it. */
class CountingMasterKey extends MasterKey {
  unwraps = 0;
  override unwrap(wrapped: Buffer, aad: string): Buffer {
    this.unwraps += 1;
    return super.unwrap(wrapped, aad);
  }
}

for (const kind of DATABASE_KINDS) {
  describe(`ID token signing with a cached key (${kind})`, () => {
    const database = migratedDatabaseSuite(kind);
    const clock = new ManualClock('2026-03-01T12:00:00Z');
    const ISSUER_BASE = 'https://id.example.com';

    before(async () => {
      const tenancy = new TenancyService({ db: database(), clock, accessTokenTtlSeconds: 3600 });
      for (const tenant of ['claims', 'once', 'bound-a', 'bound-b']) await tenancy.initTenant(tenant);
    });

    const node = (masterKey: MasterKey, maxCachedKeys?: number) =>
      new SigningKeyService({
        db: database(),
        clock,
        masterKey,
        issuerBaseUrl: ISSUER_BASE,
        ...(maxCachedKeys === undefined ? {} : { maxCachedKeys }),
      });
    const masterKey = () => new CountingMasterKey(Buffer.from(TEST_MASTER_KEY, 'base64url'));

    it('signIdToken answers the claims it signed: the token verifies against the JWKS and carries exactly those claims', async () => {
      const service = node(masterKey());
      const authTime = new Date(clock.now().getTime() - 5000);
      const signed = await service.signIdToken('claims', {
        sub: 'user-1',
        aud: ['rp', 'client'],
        authTime,
        amr: ['pop', 'user'],
        nonce: 'n-1',
        store: 'customers',
        externalId: 'crm-1',
        credentialId: 'cred',
        attested: false,
        deviceBound: true,
      });
      const { payload, protectedHeader } = await jwtVerify(signed.idToken, createLocalJWKSet(await service.getJwks('claims')), {
        issuer: `${ISSUER_BASE}/claims`,
        audience: 'rp',
        currentDate: clock.now(),
      });
      assert.deepEqual(payload, { ...signed.claims });
      assert.deepEqual(Object.keys(protectedHeader).sort(), ['alg', 'kid', 'typ']);
      assert.equal(protectedHeader.alg, 'ES256');
      assert.equal(protectedHeader.typ, 'JWT');
      const iat = Math.floor(clock.now().getTime() / 1000);
      assert.deepEqual(
        { ...signed.claims, jti: typeof signed.claims.jti },
        {
          iss: `${ISSUER_BASE}/claims`,
          sub: 'user-1',
          aud: ['rp', 'client'],
          iat,
          exp: iat + 300,
          jti: 'string',
          auth_time: Math.floor(authTime.getTime() / 1000),
          amr: ['pop', 'user'],
          nonce: 'n-1',
          store: 'customers',
          external_id: 'crm-1',
          cred_id: 'cred',
          keyway_attested: false,
          keyway_device_bound: true,
        },
      );
      // issueIdToken is the same token without the claims.
      const token = await service.issueIdToken('claims', { sub: 'user-2', aud: 'rp', amr: [] });
      assert.equal((await jwtVerify(token, createLocalJWKSet(await service.getJwks('claims')), { currentDate: clock.now() })).payload.sub, 'user-2');
    });

    it('unseals and imports a tenant’s private key once, however many tokens and active-key refreshes follow', async () => {
      await node(masterKey()).issueIdToken('once', { sub: 'u', aud: 'rp', amr: [] }); // another node creates the key
      const key = masterKey();
      const service = node(key);
      for (let i = 0; i < 20; i++) {
        await service.issueIdToken('once', { sub: `u${i}`, aud: 'rp', amr: [] });
        clock.advance(31_000); // past the active-key cache time: the active key is read again from the database
      }
      assert.equal(key.unwraps, 1);
      // A rotation made on another node: this node unseals the new key once, when it sees it.
      const kid = await node(masterKey()).rotate('once');
      clock.advance(31_000);
      for (let i = 0; i < 5; i++) {
        const { idToken } = await service.signIdToken('once', { sub: 'u', aud: 'rp', amr: [] });
        assert.equal(JSON.parse(Buffer.from(idToken.split('.')[0]!, 'base64url').toString('utf8')).kid, kid);
        clock.advance(31_000);
      }
      assert.equal(key.unwraps, 2);
    });

    it('keeps at most maxCachedKeys imported keys (least recently used goes first)', async () => {
      const key = masterKey();
      await node(masterKey()).issueIdToken('bound-a', { sub: 'u', aud: 'rp', amr: [] });
      await node(masterKey()).issueIdToken('bound-b', { sub: 'u', aud: 'rp', amr: [] });
      const service = node(key, 1);
      for (const tenant of ['bound-a', 'bound-a', 'bound-b', 'bound-b', 'bound-a']) {
        await service.issueIdToken(tenant, { sub: 'u', aud: 'rp', amr: [] });
        clock.advance(31_000);
      }
      // a (unsealed), a (cached), b (unsealed, a evicted), b (cached), a (unsealed again).
      assert.equal(key.unwraps, 3);
    });
  });
}
