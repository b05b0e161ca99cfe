// What https://{rpId}/.well-known/… will answer for one relying party: the same documents the server
// builds (WebAuthn L3 §5.11 related origins, Digital Asset Links, Apple associated domains).
import type { components } from '../../api/schema.ts';

type RelyingParty = components['schemas']['RelyingParty'];

const webOrigins = (origins: string[]) => origins.filter((o) => o.startsWith('https://') || o.startsWith('http://'));
const unique = <T>(values: T[]) => [...new Set(values)];

export function wellKnownFiles(rp: RelyingParty): Array<{ path: string; body: unknown }> {
  return [
    { path: '/.well-known/webauthn', body: { origins: unique([...rp.relatedOrigins, ...webOrigins(rp.origins)]) } },
    {
      path: '/.well-known/assetlinks.json',
      body: [
        ...rp.androidApps.map((app) => ({
          relation: ['delegate_permission/common.handle_all_urls', 'delegate_permission/common.get_login_creds'],
          target: { namespace: 'android_app', package_name: app.packageName, sha256_cert_fingerprints: app.sha256CertFingerprints.map((f) => f.toUpperCase()) },
        })),
        ...unique(webOrigins(rp.origins)).map((site) => ({ relation: ['delegate_permission/common.get_login_creds'], target: { namespace: 'web', site } })),
      ],
    },
    { path: '/.well-known/apple-app-site-association', body: { webcredentials: { apps: rp.appleAppIds } } },
  ];
}
