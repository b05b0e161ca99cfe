// The relying party's well-known preview shows what the server will publish for it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { wellKnownFiles } from '../src/areas/relying-parties/well-known.ts';

test('well-known preview: related origins, asset links and Apple app ids of one relying party', () => {
  const files = wellKnownFiles({
    id: 'example.com',
    name: 'Example',
    origins: ['https://login.example.com', 'android:apk-key-hash:abc'],
    relatedOrigins: ['https://example.de'],
    topOrigins: [],
    androidApps: [{ packageName: 'com.example.app', sha256CertFingerprints: ['aa:bb'] }],
    appleAppIds: ['ABCDE12345.com.example.app'],
    createdAt: '2026-01-01T00:00:00Z',
    updatedAt: '2026-01-01T00:00:00Z',
  });
  assert.deepEqual(
    files.map((f) => f.path),
    ['/.well-known/webauthn', '/.well-known/assetlinks.json', '/.well-known/apple-app-site-association'],
  );
  assert.deepEqual(files[0]!.body, { origins: ['https://example.de', 'https://login.example.com'] });
  assert.deepEqual(files[1]!.body, [
    {
      relation: ['delegate_permission/common.handle_all_urls', 'delegate_permission/common.get_login_creds'],
      target: { namespace: 'android_app', package_name: 'com.example.app', sha256_cert_fingerprints: ['AA:BB'] },
    },
    { relation: ['delegate_permission/common.get_login_creds'], target: { namespace: 'web', site: 'https://login.example.com' } },
  ]);
  assert.deepEqual(files[2]!.body, { webcredentials: { apps: ['ABCDE12345.com.example.app'] } });
});
