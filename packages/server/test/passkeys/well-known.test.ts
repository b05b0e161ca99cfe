import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe, test } from 'node:test';
import { DATABASE_KINDS } from '../support/databases.ts';
import { startTestServer, type TenantFixture, type TestServer } from '../support/test-server.ts';

const fingerprint = (byte: string) => Array.from({ length: 32 }, () => byte).join(':');
const ACME_APP_FP = fingerprint('AA');
const ACME_APP_FP2 = fingerprint('AB');
const GLOBEX_APP_FP = fingerprint('BB');
const ANDROID_ORIGIN = 'android:apk-key-hash:' + 'qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqo';

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: unknown;
}

/** A GET with a chosen Host header (fetch does not let a caller set Host), over real HTTP. */
function getWithHost(baseUrl: string, path: string, host: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const request = http.get(new URL(path, baseUrl), { headers: { host } }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ status: response.statusCode ?? 0, headers: response.headers, body: text === '' ? undefined : JSON.parse(text) });
      });
    });
    request.on('error', reject);
  });
}

for (const kind of DATABASE_KINDS) {
  describe(`well-known files on ${kind}`, () => {
    let server: TestServer;
    let acme: TenantFixture;
    let globex: TenantFixture;
    const get = (path: string, host: string) => getWithHost(server.url, path, host);

    before(async () => {
      server = await startTestServer({ kind });
      acme = await server.tenant('acme');
      globex = await server.tenant('globex');
      for (const [tenant, store] of [
        [acme, 'customers'],
        [acme, 'staff'],
        [globex, 'shop'],
      ] as const) {
        assert.equal((await tenant.api.post('/api/identity-store/stores', { name: store })).status, 201);
      }
      const rps = (store: string) => `/api/identity-store/stores/${store}/passkeys/relyingParties`;
      const created = [
        await acme.api.post(rps('customers'), {
          id: 'example.com',
          name: 'Example',
          origins: ['https://example.com', 'https://login.example.com', 'https://example.co.uk', ANDROID_ORIGIN],
          relatedOrigins: ['https://example.co.uk', 'https://example.de'],
          androidApps: [{ packageName: 'com.example.app', sha256CertFingerprints: [ACME_APP_FP] }],
          appleAppIds: ['ABCDE12345.com.example.app'],
        }),
        // A second store of the same tenant configures the same RP ID: merged, deduplicated.
        await acme.api.post(rps('staff'), {
          id: 'example.com',
          name: 'Example staff',
          origins: ['https://staff.example.com', 'https://login.example.com'],
          androidApps: [{ packageName: 'com.example.app', sha256CertFingerprints: [ACME_APP_FP2.toLowerCase(), ACME_APP_FP] }],
          appleAppIds: ['ABCDE12345.com.example.app', 'ABCDE12345.com.example.staff'],
        }),
        await acme.api.post(rps('customers'), { id: 'localhost', name: 'Local', origins: ['http://localhost:3000'] }),
      ];
      assert.deepEqual(
        created.map((r) => r.status),
        [201, 201, 201],
        JSON.stringify(created.map((r) => r.body)),
      );
    });
    after(() => server.close());

    test('/.well-known/webauthn lists related origins and web origins of every RP with that ID, without a token', async () => {
      const answer = await get('/.well-known/webauthn', 'example.com');
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
      assert.equal(answer.headers['content-type'], 'application/json; charset=utf-8');
      assert.equal(answer.headers['cache-control'], 'public, max-age=300');
      assert.deepEqual(answer.body, {
        origins: ['https://example.co.uk', 'https://example.de', 'https://example.com', 'https://login.example.com', 'https://staff.example.com'],
      });
    });

    test('the host is matched without its port and case-insensitively', async () => {
      const expected = (await get('/.well-known/webauthn', 'example.com')).body;
      for (const host of ['example.com:8443', 'Example.COM']) {
        const answer = await get('/.well-known/webauthn', host);
        assert.equal(answer.status, 200, host);
        assert.deepEqual(answer.body, expected, host);
      }
      const local = await get('/.well-known/webauthn', 'localhost:3000');
      assert.deepEqual(local.body, { origins: ['http://localhost:3000'] });
    });

    test('/.well-known/assetlinks.json: each Android app with its fingerprints merged, and the web origins', async () => {
      const answer = await get('/.well-known/assetlinks.json', 'example.com');
      assert.equal(answer.status, 200);
      assert.equal(answer.headers['content-type'], 'application/json; charset=utf-8');
      assert.equal(answer.headers['cache-control'], 'public, max-age=300');
      const relation = ['delegate_permission/common.handle_all_urls', 'delegate_permission/common.get_login_creds'];
      const web = (site: string) => ({ relation: ['delegate_permission/common.get_login_creds'], target: { namespace: 'web', site } });
      assert.deepEqual(answer.body, [
        { relation, target: { namespace: 'android_app', package_name: 'com.example.app', sha256_cert_fingerprints: [ACME_APP_FP, ACME_APP_FP2] } },
        web('https://example.com'),
        web('https://login.example.com'),
        web('https://example.co.uk'),
        web('https://staff.example.com'),
      ]);
      const local = await get('/.well-known/assetlinks.json', 'localhost');
      assert.deepEqual(local.body, [web('http://localhost:3000')]);
    });

    test('/.well-known/apple-app-site-association is JSON with the webcredentials apps, deduplicated', async () => {
      const answer = await get('/.well-known/apple-app-site-association', 'example.com');
      assert.equal(answer.status, 200);
      assert.equal(answer.headers['content-type'], 'application/json; charset=utf-8');
      assert.equal(answer.headers['cache-control'], 'public, max-age=300');
      assert.deepEqual(answer.body, { webcredentials: { apps: ['ABCDE12345.com.example.app', 'ABCDE12345.com.example.staff'] } });
      assert.deepEqual((await get('/.well-known/apple-app-site-association', 'localhost')).body, { webcredentials: { apps: [] } });
    });

    test('an RP ID configured by two tenants serves nothing (one tenant could otherwise vouch for its apps on the other’s domain)', async () => {
      const claim = await globex.api.post('/api/identity-store/stores/shop/passkeys/relyingParties', {
        id: 'example.com',
        name: 'Globex on example.com',
        origins: ['https://shop.example.com'],
        androidApps: [{ packageName: 'com.globex.shop', sha256CertFingerprints: [GLOBEX_APP_FP] }],
      });
      assert.equal(claim.status, 201);
      for (const path of ['/.well-known/webauthn', '/.well-known/assetlinks.json', '/.well-known/apple-app-site-association']) {
        const answer = await get(path, 'example.com');
        assert.equal(answer.status, 404, path);
        assert.equal((answer.body as { code: string }).code, 'RELYING_PARTY_NOT_FOUND');
        assert.match((answer.body as { detail: string }).detail, /more than one tenant/);
      }
      assert.equal((await globex.api.delete('/api/identity-store/stores/shop/passkeys/relyingParties/example.com')).status, 204);
      const restored = await get('/.well-known/assetlinks.json', 'example.com');
      assert.equal(restored.status, 200);
      assert.ok(!JSON.stringify(restored.body).includes('com.globex.shop'));
    });

    test('a host that is no configured RP ID answers a 404 problem, not cacheable', async () => {
      for (const path of ['/.well-known/webauthn', '/.well-known/assetlinks.json', '/.well-known/apple-app-site-association']) {
        for (const host of ['unknown.example', 'login.example.com', '127.0.0.1:8080']) {
          const answer = await get(path, host);
          assert.equal(answer.status, 404, `${path} ${host}`);
          assert.equal(answer.headers['content-type'], 'application/problem+json; charset=utf-8');
          assert.equal((answer.body as { code: string }).code, 'RELYING_PARTY_NOT_FOUND');
          assert.equal(answer.headers['cache-control'], undefined);
        }
      }
    });

    test('the files follow the configuration: an updated RP shows at once, a deleted one is gone', async () => {
      assert.equal((await acme.api.patch('/api/identity-store/stores/staff/passkeys/relyingParties/example.com', { appleAppIds: [] })).status, 200);
      const webauthn = await get('/.well-known/webauthn', 'example.com');
      assert.deepEqual(webauthn.body, {
        origins: ['https://example.co.uk', 'https://example.de', 'https://example.com', 'https://login.example.com', 'https://staff.example.com'],
      });
      const links = (await get('/.well-known/assetlinks.json', 'example.com')).body as Array<{ target: { package_name?: string } }>;
      assert.deepEqual(
        links.filter((s) => s.target.package_name).map((s) => s.target.package_name),
        ['com.example.app'],
      );
      assert.deepEqual((await get('/.well-known/apple-app-site-association', 'example.com')).body, {
        webcredentials: { apps: ['ABCDE12345.com.example.app'] },
      });
      assert.equal((await acme.api.delete('/api/identity-store/stores/customers/passkeys/relyingParties/localhost')).status, 204);
      assert.equal((await get('/.well-known/webauthn', 'localhost')).status, 404);
    });

    test('the well-known files are in the OpenAPI document without a permission', async () => {
      const document = (await server.http.get('/openapi.json')).body;
      for (const path of ['/.well-known/webauthn', '/.well-known/assetlinks.json', '/.well-known/apple-app-site-association']) {
        const operation = document.paths[path]?.get;
        assert.ok(operation, path);
        assert.equal(operation['x-keyway-permission'], undefined);
        assert.ok(operation.responses['404'], path);
      }
      assert.equal(
        document.paths['/api/identity-store/stores/{storeName}/passkeys/relyingParties/{rpId}'].get['x-keyway-permission'],
        'TNT#{tenant}#IdentityStore:getRelyingParty',
      );
      assert.equal(
        document.paths['/api/identity-store/stores/{storeName}/passkeys/registrationPolicies']?.post['x-keyway-permission'],
        'TNT#{tenant}#IdentityStore:createRegistrationPolicy',
      );
      assert.match(
        document.paths['/api/identity-store/stores/{storeName}/passkeys/registrationPolicies'].post.responses['400'].description,
        /INVALID_TRUST_ANCHOR/,
      );
      assert.equal(document.paths['/api/identity-store/{tenantId}/stores/{storeName}/passkeys/relyingParties'], undefined, 'the tenant alias is hidden');
    });
  });
}
