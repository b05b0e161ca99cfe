import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { DATABASE_KINDS } from '../support/databases.ts';
import { startTestServer, type TenantFixture, type TestServer } from '../support/test-server.ts';
import { TEST_LEAF_PEM, TEST_ROOT_PEM } from './config-certificates.ts';

const REGISTRATION_DEFAULTS = {
  attestation: 'none',
  residentKey: 'preferred',
  userVerification: 'preferred',
  algorithms: [-8, -7, -257],
  hints: [],
  timeout: 300000,
  excludeCredentials: true,
  allowSyncedPasskeys: true,
  attestationTrust: { requireTrustedAttestation: false, rootCertificates: [] },
};
const AUTHENTICATION_DEFAULTS = { userVerification: 'preferred', timeout: 300000, allowDiscoverable: true, hints: [] };

const strip = (policy: Record<string, unknown>): Record<string, unknown> => ({ ...policy, createdAt: undefined, updatedAt: undefined });

for (const kind of DATABASE_KINDS) {
  describe(`policy API on ${kind}`, () => {
    let server: TestServer;
    let acme: TenantFixture;
    let tmp: string;
    const regs = '/api/identity-store/stores/customers/passkeys/registrationPolicies';
    const auths = '/api/identity-store/stores/customers/passkeys/authenticationPolicies';

    const count = async (table: 'registration_policies' | 'authentication_policies' | 'audit_events') =>
      Number(
        (
          await server.database.db
            .selectFrom(table)
            .select((eb) => eb.fn.countAll().as('n'))
            .executeTakeFirstOrThrow()
        ).n,
      );
    const storedSettings = async (table: 'registration_policies' | 'authentication_policies', name: string) => {
      const row = await server.database.db.selectFrom(table).select('settings').where('tenant_id', '=', 'acme').where('name', '=', name).executeTakeFirst();
      return row && JSON.parse(row.settings);
    };

    /** A create or update refused with 400: its code, the problem on `field`, and nothing written. */
    async function refused(
      send: () => Promise<{ status: number; body: { code: string; errors?: Array<{ field: string; message: string }> } }>,
      code: string,
      field: string,
      message: RegExp,
    ) {
      const snapshot = async () => [
        await count('registration_policies'),
        await count('authentication_policies'),
        await count('audit_events'),
        await storedSettings('registration_policies', 'strict'),
      ];
      const before = await snapshot();
      const response = await send();
      assert.equal(response.status, 400, JSON.stringify(response.body));
      assert.equal(response.body.code, code);
      const problem = response.body.errors?.find((e) => e.field === field);
      assert.ok(problem, `expected a problem on ${field}: ${JSON.stringify(response.body)}`);
      assert.match(problem.message, message);
      assert.deepEqual(await snapshot(), before);
    }

    before(async () => {
      tmp = mkdtempSync(path.join(tmpdir(), 'keyway-mds-'));
      server = await startTestServer({ kind, env: { KEYWAY_TRUST_DIR: tmp } });
      acme = await server.tenant('acme');
      assert.equal((await acme.api.post('/api/identity-store/stores', { name: 'customers' })).status, 201);
    });
    after(async () => {
      await server.close();
      rmSync(tmp, { recursive: true, force: true });
    });

    // ── registration policies ──

    test('a registration policy created with only a name has every documented default', async () => {
      const created = await acme.api.post(regs, { name: 'default' });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      assert.deepEqual(strip(created.body), { name: 'default', ...REGISTRATION_DEFAULTS, createdAt: undefined, updatedAt: undefined });
      assert.deepEqual(await storedSettings('registration_policies', 'default'), REGISTRATION_DEFAULTS);
      const read = await acme.api.get(`${regs}/default`);
      assert.equal(read.status, 200);
      assert.deepEqual(read.body, created.body);
    });

    test('a registration policy with every field, a trusted root and a metadata file, via the tenant path', async () => {
      const mds = path.join(tmp, 'mds.jwt');
      writeFileSync(mds, 'header.payload.signature');
      const body = {
        name: 'strict',
        attestation: 'direct',
        authenticatorAttachment: 'cross-platform',
        residentKey: 'required',
        userVerification: 'required',
        algorithms: [-7, -35, -36, -8, -37, -38, -39, -257, -258, -259, -65535],
        hints: ['security-key', 'hybrid'],
        timeout: 120000,
        excludeCredentials: false,
        allowSyncedPasskeys: false,
        attestationTrust: { requireTrustedAttestation: true, rootCertificates: [TEST_ROOT_PEM.replaceAll('\n', '\r\n')], metadata: { file: mds } },
      };
      const created = await acme.api.post('/api/identity-store/acme/stores/customers/passkeys/registrationPolicies', body);
      assert.equal(created.status, 201, JSON.stringify(created.body));
      const expected = { ...body, attestationTrust: { ...body.attestationTrust, rootCertificates: [TEST_ROOT_PEM] } };
      assert.deepEqual(strip(created.body), { ...expected, createdAt: undefined, updatedAt: undefined }, 'roots are stored as normalised PEM');
      const { name: _name, ...expectedSettings } = expected;
      assert.deepEqual(await storedSettings('registration_policies', 'strict'), expectedSettings);

      const store = await server.services.identity.findStore('acme', 'customers');
      const found = await server.services.policies.findRegistrationPolicy('acme', store.id, 'strict');
      assert.deepEqual({ ...found, createdAt: undefined, updatedAt: undefined }, strip(created.body));
      await assert.rejects(server.services.policies.findRegistrationPolicy('acme', store.id, 'nope'), { code: 'POLICY_NOT_FOUND' });
      await assert.rejects(server.services.policies.findRegistrationPolicy('globex', store.id, 'strict'), { code: 'POLICY_NOT_FOUND' });
      await assert.rejects(server.services.policies.findAuthenticationPolicy('acme', store.id, 'strict'), { code: 'POLICY_NOT_FOUND' }, 'kinds are separate');
    });

    test('algorithms must be known COSE identifiers Keyway verifies, at least one, each once', async () => {
      await refused(
        () => acme.api.post(regs, { name: 'p', algorithms: [-7, -999] }),
        'VALIDATION_FAILED',
        'algorithms.1',
        /-999 is not a COSE algorithm Keyway verifies \(-7 ES256, .*-8 EdDSA/,
      );
      await refused(() => acme.api.post(regs, { name: 'p', algorithms: [-47] }), 'VALIDATION_FAILED', 'algorithms.0', /-47 is not a COSE algorithm/);
      await refused(() => acme.api.post(regs, { name: 'p', algorithms: [] }), 'VALIDATION_FAILED', 'algorithms', /fewer than 1/);
      await refused(() => acme.api.post(regs, { name: 'p', algorithms: [-7, -7] }), 'VALIDATION_FAILED', 'algorithms', /duplicate/);
      await refused(() => acme.api.post(regs, { name: 'p', algorithms: ['-7'] }), 'VALIDATION_FAILED', 'algorithms.0', /integer/);
    });

    test('field shapes: conveyance, requirements, hints, timeout bounds, unknown fields, names', async () => {
      await refused(() => acme.api.post(regs, { name: 'p', attestation: 'always' }), 'VALIDATION_FAILED', 'attestation', /./);
      await refused(() => acme.api.post(regs, { name: 'p', residentKey: 'yes' }), 'VALIDATION_FAILED', 'residentKey', /./);
      await refused(() => acme.api.post(regs, { name: 'p', authenticatorAttachment: 'roaming' }), 'VALIDATION_FAILED', 'authenticatorAttachment', /./);
      await refused(() => acme.api.post(regs, { name: 'p', hints: ['usb'] }), 'VALIDATION_FAILED', 'hints.0', /./);
      await refused(() => acme.api.post(regs, { name: 'p', timeout: 9999 }), 'VALIDATION_FAILED', 'timeout', />= 10000/);
      await refused(() => acme.api.post(regs, { name: 'p', timeout: 600001 }), 'VALIDATION_FAILED', 'timeout', /<= 600000/);
      await refused(() => acme.api.post(regs, { name: 'p', timeout: 1500.5 }), 'VALIDATION_FAILED', 'timeout', /integer/);
      await refused(() => acme.api.post(regs, { name: 'p', userVerifcation: 'required' }), 'VALIDATION_FAILED', 'userVerifcation', /not a known field/);
      await refused(() => acme.api.post(regs, { name: 'bad name' }), 'VALIDATION_FAILED', 'name', /pattern/);
      await refused(() => acme.api.post(regs, {}), 'VALIDATION_FAILED', 'name', /required/);
      const edges = [await acme.api.post(regs, { name: 'fast', timeout: 10000 }), await acme.api.post(regs, { name: 'slow', timeout: 600000 })];
      assert.deepEqual(
        edges.map((r) => [r.status, r.body.timeout]),
        [
          [201, 10000],
          [201, 600000],
        ],
      );
    });

    test('root certificates must be parseable PEM X.509 CA certificates: 400 INVALID_TRUST_ANCHOR naming the index', async () => {
      const withRoots = (rootCertificates: string[]) => acme.api.post(regs, { name: 'p', attestation: 'direct', attestationTrust: { rootCertificates } });
      await refused(
        () => withRoots(['-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----\n']),
        'INVALID_TRUST_ANCHOR',
        'attestationTrust.rootCertificates.0',
        /not a parseable X\.509/,
      );
      await refused(() => withRoots([TEST_ROOT_PEM, 'MIIB...']), 'INVALID_TRUST_ANCHOR', 'attestationTrust.rootCertificates.1', /not a PEM certificate/);
      await refused(() => withRoots([TEST_ROOT_PEM, TEST_LEAF_PEM]), 'INVALID_TRUST_ANCHOR', 'attestationTrust.rootCertificates.1', /not a CA certificate/);
      await refused(() => withRoots([TEST_ROOT_PEM + TEST_LEAF_PEM]), 'INVALID_TRUST_ANCHOR', 'attestationTrust.rootCertificates.0', /several certificates/);
      const response = await withRoots([TEST_LEAF_PEM]);
      assert.match(response.body.detail, /^attestationTrust\.rootCertificates\.0: .*Keyway Test Authenticator Leaf is not a CA certificate/);
    });

    test('metadata sources: an https URL, or a readable file inside the operator’s trust directory; exactly one', async () => {
      const withMetadata = (metadata: unknown) =>
        acme.api.post(regs, { name: 'p', attestation: 'direct', attestationTrust: { requireTrustedAttestation: true, metadata } });
      await refused(() => withMetadata({ url: 'http://mds.example.com/blob' }), 'INVALID_TRUST_ANCHOR', 'attestationTrust.metadata.url', /https:\/\//);
      await refused(() => withMetadata({ url: 'not a url' }), 'INVALID_TRUST_ANCHOR', 'attestationTrust.metadata.url', /https:\/\//);
      await refused(
        () => withMetadata({ file: path.join(tmp, 'missing.jwt') }),
        'INVALID_TRUST_ANCHOR',
        'attestationTrust.metadata.file',
        /does not exist in the trust directory/,
      );
      await refused(() => withMetadata({ file: tmp }), 'INVALID_TRUST_ANCHOR', 'attestationTrust.metadata.file', /not a regular file/);
      for (const outside of ['/etc/hostname', '../../etc/hostname', path.join(tmp, '..', path.basename(tmp) + '-x')]) {
        await refused(() => withMetadata({ file: outside }), 'INVALID_TRUST_ANCHOR', 'attestationTrust.metadata.file', /trust directory/);
      }
      await refused(
        () => withMetadata({ file: path.join(tmp, 'mds.jwt'), url: 'https://mds.example.com/' }),
        'VALIDATION_FAILED',
        'attestationTrust.metadata',
        /more than 1/,
      );
      await refused(() => withMetadata({}), 'VALIDATION_FAILED', 'attestationTrust.metadata', /fewer than 1/);
      const byUrl = await withMetadata({ url: 'https://mds3.fidoalliance.org/' });
      assert.equal(byUrl.status, 201, JSON.stringify(byUrl.body));
      assert.deepEqual(byUrl.body.attestationTrust, {
        requireTrustedAttestation: true,
        rootCertificates: [],
        metadata: { url: 'https://mds3.fidoalliance.org/' },
      });
      assert.equal((await acme.api.delete(`${regs}/p`)).status, 204);
    });

    test('requiring trusted attestation needs direct or enterprise conveyance and a root or metadata source', async () => {
      await refused(
        () => acme.api.post(regs, { name: 'p', attestation: 'none', attestationTrust: { requireTrustedAttestation: true, rootCertificates: [TEST_ROOT_PEM] } }),
        'VALIDATION_FAILED',
        'attestation',
        /must be direct or enterprise when attestationTrust\.requireTrustedAttestation is true \(is none\)/,
      );
      await refused(
        () =>
          acme.api.post(regs, { name: 'p', attestation: 'indirect', attestationTrust: { requireTrustedAttestation: true, rootCertificates: [TEST_ROOT_PEM] } }),
        'VALIDATION_FAILED',
        'attestation',
        /direct or enterprise/,
      );
      await refused(
        () => acme.api.post(regs, { name: 'p', attestation: 'direct', attestationTrust: { requireTrustedAttestation: true } }),
        'VALIDATION_FAILED',
        'attestationTrust.rootCertificates',
        /at least one root \(or give attestationTrust\.metadata\)/,
      );
      const enterprise = await acme.api.post(regs, {
        name: 'enterprise',
        attestation: 'enterprise',
        attestationTrust: { requireTrustedAttestation: true, rootCertificates: [TEST_ROOT_PEM] },
      });
      assert.equal(enterprise.status, 201, JSON.stringify(enterprise.body));
    });

    test('a duplicate name is 409 POLICY_ALREADY_EXISTS and writes nothing; the other kind may reuse the name', async () => {
      const before = [await count('registration_policies'), await count('audit_events')];
      const duplicate = await acme.api.post(regs, { name: 'default', attestation: 'direct' });
      assert.equal(duplicate.status, 409);
      assert.equal(duplicate.body.code, 'POLICY_ALREADY_EXISTS');
      assert.match(duplicate.body.detail, /already has a registration policy named default/);
      assert.deepEqual([await count('registration_policies'), await count('audit_events')], before);
      assert.equal((await storedSettings('registration_policies', 'default')).attestation, 'none');
    });

    test('PATCH merges top-level fields and validates the whole result; null clears authenticatorAttachment', async () => {
      const before = (await acme.api.get(`${regs}/strict`)).body;
      const patched = await acme.api.patch(`${regs}/strict`, { timeout: 60000, hints: [], authenticatorAttachment: null });
      assert.equal(patched.status, 200, JSON.stringify(patched.body));
      const { authenticatorAttachment: _cleared, ...unchanged } = strip(before);
      assert.deepEqual(strip(patched.body), { ...unchanged, timeout: 60000, hints: [] });
      assert.equal(patched.body.createdAt, before.createdAt);
      const stored = await storedSettings('registration_policies', 'strict');
      assert.equal(stored.timeout, 60000);
      assert.equal('authenticatorAttachment' in stored, false);

      // Lowering conveyance while trusted attestation is required would make every registration fail.
      await refused(() => acme.api.patch(`${regs}/strict`, { attestation: 'none' }), 'VALIDATION_FAILED', 'attestation', /direct or enterprise/);
      await refused(
        () => acme.api.patch(`${regs}/strict`, { attestationTrust: { requireTrustedAttestation: true } }),
        'VALIDATION_FAILED',
        'attestationTrust.rootCertificates',
        /at least one root/,
      );
      await refused(
        () => acme.api.patch(`${regs}/strict`, { attestationTrust: { rootCertificates: [TEST_LEAF_PEM] } }),
        'INVALID_TRUST_ANCHOR',
        'attestationTrust.rootCertificates.0',
        /not a CA/,
      );
      await refused(() => acme.api.patch(`${regs}/strict`, { algorithms: [-1] }), 'VALIDATION_FAILED', 'algorithms.0', /not a COSE algorithm/);
      await refused(() => acme.api.patch(`${regs}/strict`, { name: 'renamed' }), 'VALIDATION_FAILED', 'name', /not a known field/);
      await refused(() => acme.api.patch(`${regs}/strict`, {}), 'VALIDATION_FAILED', 'body', /fewer than 1/);

      // Replacing attestationTrust whole, with both changes at once, is accepted.
      const relaxed = await acme.api.patch('/api/identity-store/acme/stores/customers/passkeys/registrationPolicies/strict', {
        attestation: 'none',
        attestationTrust: { requireTrustedAttestation: false },
      });
      assert.equal(relaxed.status, 200, JSON.stringify(relaxed.body));
      assert.deepEqual(relaxed.body.attestationTrust, { requireTrustedAttestation: false, rootCertificates: [] });
      const missing = await acme.api.patch(`${regs}/nope`, { timeout: 60000 });
      assert.equal(missing.status, 404);
      assert.equal(missing.body.code, 'POLICY_NOT_FOUND');
    });

    test('concurrent PATCHes of different fields all take effect (no lost update)', async () => {
      const changes = [
        { timeout: 30000 },
        { hints: ['hybrid'] },
        { excludeCredentials: true },
        { allowSyncedPasskeys: true },
        { residentKey: 'discouraged' },
        { userVerification: 'discouraged' },
      ];
      const answers = await Promise.all(changes.map((change) => acme.api.patch(`${regs}/slow`, change)));
      assert.deepEqual(
        answers.map((a) => a.status),
        changes.map(() => 200),
      );
      const final = (await acme.api.get(`${regs}/slow`)).body;
      for (const change of changes) for (const [field, value] of Object.entries(change)) assert.deepEqual(final[field], value, field);
      assert.deepEqual(await storedSettings('registration_policies', 'slow'), (({ name: _n, createdAt: _c, updatedAt: _u, ...settings }) => settings)(final));
    });

    test('lists registration policies in creation order with nextCursor', async () => {
      const first = await acme.api.get(`${regs}?limit=2`);
      assert.equal(first.status, 200);
      assert.deepEqual(
        first.body.items.map((p: { name: string }) => p.name),
        ['default', 'strict'],
      );
      const rest = await acme.api.get(`${regs}?cursor=${first.body.nextCursor}`);
      assert.deepEqual(
        rest.body.items.map((p: { name: string }) => p.name),
        ['fast', 'slow', 'enterprise'],
      );
      assert.equal(rest.body.nextCursor, null);
    });

    test('DELETE a registration policy: 204, then 404', async () => {
      assert.equal((await acme.api.delete(`${regs}/fast`)).status, 204);
      assert.equal(await storedSettings('registration_policies', 'fast'), undefined);
      const read = await acme.api.get(`${regs}/fast`);
      assert.equal(read.status, 404);
      assert.equal(read.body.code, 'POLICY_NOT_FOUND');
      assert.equal((await acme.api.delete('/api/identity-store/acme/stores/customers/passkeys/registrationPolicies/fast')).status, 404);
    });

    // ── authentication policies ──

    test('an authentication policy: defaults, every field, read, list, service lookup', async () => {
      const created = await acme.api.post(auths, { name: 'default' });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      assert.deepEqual(strip(created.body), { name: 'default', ...AUTHENTICATION_DEFAULTS, createdAt: undefined, updatedAt: undefined });
      assert.deepEqual(await storedSettings('authentication_policies', 'default'), AUTHENTICATION_DEFAULTS);

      const full = { name: 'strict', userVerification: 'required', timeout: 60000, allowDiscoverable: false, hints: ['client-device'] };
      const strict = await acme.api.post('/api/identity-store/acme/stores/customers/passkeys/authenticationPolicies', full);
      assert.equal(strict.status, 201);
      assert.deepEqual(strip(strict.body), { ...full, createdAt: undefined, updatedAt: undefined });
      assert.deepEqual((await acme.api.get(`${auths}/strict`)).body, strict.body);
      const listed = await acme.api.get(auths);
      assert.deepEqual(listed.body, { items: [created.body, strict.body], nextCursor: null });

      const store = await server.services.identity.findStore('acme', 'customers');
      const found = await server.services.policies.findAuthenticationPolicy('acme', store.id, 'strict');
      assert.deepEqual(found, strict.body);
      await assert.rejects(server.services.policies.findAuthenticationPolicy('acme', store.id, 'missing'), { code: 'POLICY_NOT_FOUND' });
    });

    test('authentication policy validation, 409, PATCH and DELETE', async () => {
      await refused(() => acme.api.post(auths, { name: 'p', userVerification: 'always' }), 'VALIDATION_FAILED', 'userVerification', /./);
      await refused(() => acme.api.post(auths, { name: 'p', timeout: 5000 }), 'VALIDATION_FAILED', 'timeout', />= 10000/);
      await refused(() => acme.api.post(auths, { name: 'p', allowDiscoverable: 'yes' }), 'VALIDATION_FAILED', 'allowDiscoverable', /boolean/);
      await refused(() => acme.api.post(auths, { name: 'p', attestation: 'direct' }), 'VALIDATION_FAILED', 'attestation', /not a known field/);
      const duplicate = await acme.api.post(auths, { name: 'strict' });
      assert.equal(duplicate.status, 409);
      assert.equal(duplicate.body.code, 'POLICY_ALREADY_EXISTS');
      assert.match(duplicate.body.detail, /authentication policy named strict/);

      const patched = await acme.api.patch(`${auths}/strict`, { allowDiscoverable: true });
      assert.equal(patched.status, 200);
      assert.deepEqual(
        { ...strip(patched.body) },
        {
          name: 'strict',
          userVerification: 'required',
          timeout: 60000,
          allowDiscoverable: true,
          hints: ['client-device'],
          createdAt: undefined,
          updatedAt: undefined,
        },
      );
      assert.equal((await storedSettings('authentication_policies', 'strict')).allowDiscoverable, true);
      await refused(() => acme.api.patch(`${auths}/strict`, { timeout: 600001 }), 'VALIDATION_FAILED', 'timeout', /<= 600000/);

      assert.equal((await acme.api.delete(`${auths}/default`)).status, 204);
      assert.equal(await storedSettings('authentication_policies', 'default'), undefined);
      assert.equal((await acme.api.get(`${auths}/default`)).body.code, 'POLICY_NOT_FOUND');
    });

    // ── tenancy, permissions, audit ──

    test('another tenant gets 404 and changes nothing; no token 401; a token without the permission 403', async () => {
      const globex = await server.tenant('globex');
      for (const path of [regs, `${regs}/strict`, auths, `${auths}/strict`, '/api/identity-store/acme/stores/customers/passkeys/registrationPolicies/strict']) {
        const response = await globex.api.get(path);
        assert.equal(response.status, 404, path);
        assert.ok(['STORE_NOT_FOUND', 'TENANT_NOT_FOUND'].includes(response.body.code), response.body.code);
      }
      assert.equal((await globex.api.patch(`${regs}/strict`, { timeout: 10000 })).status, 404);
      assert.equal((await globex.api.delete(`${auths}/strict`)).status, 404);
      assert.equal((await globex.api.post('/api/identity-store/stores', { name: 'customers' })).status, 201);
      const own = await globex.api.get(`${regs}/strict`);
      assert.equal(own.status, 404);
      assert.equal(own.body.code, 'POLICY_NOT_FOUND');
      assert.equal((await storedSettings('registration_policies', 'strict')).timeout, 60000);
      assert.ok(await storedSettings('authentication_policies', 'strict'));

      assert.equal((await server.http.get(regs)).status, 401);
      assert.equal((await server.http.post(auths, { name: 'x' })).status, 401);

      const reader = await acme.api.post('/api/admin/clients', {
        name: 'policy-reader',
        permissions: ['TNT#acme#IdentityStore:getRegistrationPolicy', 'TNT#acme#IdentityStore:listAuthenticationPolicies'],
      });
      const readerApi = server.http.withToken(await server.token(reader.body.clientId, reader.body.clientSecret));
      assert.equal((await readerApi.get(`${regs}/strict`)).status, 200);
      assert.equal((await readerApi.get(auths)).status, 200);
      const before = [await count('registration_policies'), await count('authentication_policies')];
      for (const [response, permission] of [
        [await readerApi.get(regs), 'listRegistrationPolicies'],
        [await readerApi.get(`${auths}/strict`), 'getAuthenticationPolicy'],
        [await readerApi.post(regs, { name: 'x' }), 'createRegistrationPolicy'],
        [await readerApi.patch(`${regs}/strict`, { timeout: 10000 }), 'updateRegistrationPolicy'],
        [await readerApi.delete(`${regs}/strict`), 'deleteRegistrationPolicy'],
        [await readerApi.post(auths, { name: 'x' }), 'createAuthenticationPolicy'],
        [await readerApi.patch(`${auths}/strict`, { timeout: 10000 }), 'updateAuthenticationPolicy'],
        [await readerApi.delete(`${auths}/strict`), 'deleteAuthenticationPolicy'],
      ] as const) {
        assert.equal(response.status, 403, permission);
        assert.equal(response.body.code, 'FORBIDDEN');
        assert.match(response.body.detail, new RegExp(`TNT#acme#IdentityStore:${permission}$`));
      }
      assert.deepEqual([await count('registration_policies'), await count('authentication_policies')], before);
    });

    test('each change appended its audit event; certificates are not copied into the log', async () => {
      const events = (await server.services.audit.list('acme', { limit: 200 })).items.filter((e) => e.targetType.endsWith('Policy'));
      const summary = events.map((e) => `${e.action} ${e.targetId}`);
      for (const expected of [
        'registrationPolicy.create default',
        'registrationPolicy.create strict',
        'registrationPolicy.update strict',
        'registrationPolicy.delete fast',
        'authenticationPolicy.create default',
        'authenticationPolicy.create strict',
        'authenticationPolicy.update strict',
        'authenticationPolicy.delete default',
      ]) {
        assert.ok(summary.includes(expected), `missing ${expected} in ${summary.join(', ')}`);
      }
      assert.equal(events.filter((e) => e.action === 'registrationPolicy.update' && e.targetId === 'strict').length, 2, 'refused PATCHes wrote nothing');
      assert.equal(events.filter((e) => e.action === 'registrationPolicy.update' && e.targetId === 'slow').length, 6);
      const update = events.find((e) => e.action === 'registrationPolicy.update')!;
      assert.equal(update.actor, acme.clientId);
      assert.deepEqual(update.details, { store: 'customers', fields: ['timeout', 'hints', 'authenticatorAttachment'] });
      assert.ok(events.every((e) => !JSON.stringify(e.details).includes('BEGIN CERTIFICATE')));
    });
  });
}
