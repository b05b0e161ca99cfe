// Provider icons on the admin API's passkeys and the console's overview, on both databases: names from the bundled
// catalogue, else from the FIDO metadata BLOB a registration policy names; icons from that BLOB (light and dark),
// only as safe data: URIs of images; none when the metadata cannot be loaded; never a URL. The BLOB is a real
// MetadataBlob handed in at the provider seam (loading and verifying one is attestation-trust.test.ts's subject).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { MAX_ICON_BYTES, safeIcon } from '../../src/passkeys/authenticator-icon.ts';
import { MetadataBlob, type MetadataEntry, type MetadataProvider } from '../../src/passkeys/mds-blob.ts';
import { ADMIN, SelfServiceWorld, expectStatus } from '../selfservice/selfservice-fixture.ts';
import { DATABASE_KINDS } from '../support/databases.ts';
import { SoftAuthenticator } from '../support/soft-authenticator.ts';

const PNG = 'data:image/png;base64,iVBORw0KGgoAAAANSUhEUg==';
const SVG = `data:image/svg+xml;base64,${Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1 1"/>').toString('base64')}`;
const WITH_ICON = '0f0e0d0c-0b0a-0908-0706-050403020100';
const WITH_URL_ICON = '1f0e0d0c-0b0a-0908-0706-050403020100';
const GOOGLE = 'ea9b8d66-4d01-1d21-3ce4-b6b48cb575d4';
const UNKNOWN = '2f0e0d0c-0b0a-0908-0706-050403020100';

describe('safeIcon', () => {
  test('passes base64 data: URIs of images whose bytes are what they say', () => {
    assert.equal(safeIcon(PNG), PNG);
    assert.equal(safeIcon(SVG), SVG);
    assert.equal(safeIcon(`data:image/gif;base64,${Buffer.from('GIF89a....').toString('base64')}`)?.startsWith('data:image/gif;base64,'), true);
    assert.equal(safeIcon(`data:image/jpg;base64,${Buffer.from([0xff, 0xd8, 0xff, 0xe0]).toString('base64')}`), 'data:image/jpeg;base64,/9j/4A==');
  });

  test('refuses URLs, other media types, mislabelled, oversized and malformed icons', () => {
    for (const icon of [
      'https://icons.example/1password.png',
      '//icons.example/x.png',
      'javascript:alert(1)',
      `data:text/html;base64,${Buffer.from('<script>alert(1)</script>').toString('base64')}`,
      `data:image/svg+xml,${encodeURIComponent('<svg/>')}`,
      `data:image/png;base64,${Buffer.from('<svg/>').toString('base64')}`,
      `data:image/svg+xml;base64,${Buffer.from('<html><svg/></html>').toString('base64')}`,
      `data:image/png;base64,${Buffer.concat([Buffer.from(PNG.split(',')[1]!, 'base64'), Buffer.alloc(MAX_ICON_BYTES)]).toString('base64')}`,
      'data:image/png;base64,not base64!',
      'data:image/png;base64,',
      42,
      undefined,
    ])
      assert.equal(safeIcon(icon), undefined, String(icon).slice(0, 60));
  });
});

function entry(aaguid: string, description: string, icon: string): MetadataEntry {
  return { aaguid, description, icon, attestationRootCertificates: [], attestationTypes: [], statusReports: [] };
}

for (const kind of DATABASE_KINDS) {
  describe(`provider names and icons on the admin API (${kind})`, () => {
    let world: SelfServiceWorld;
    let offline = false;
    const sources: unknown[] = [];
    const metadata: MetadataProvider = {
      get: async (source) => {
        sources.push(source);
        if (offline) throw new Error('offline');
        return new MetadataBlob(1, new Date('2026-04-01'), [
          entry(WITH_ICON, 'Keyway Test Key', PNG),
          entry(WITH_URL_ICON, 'Linked Key', 'https://icons.example/linked.png'),
          entry(GOOGLE, 'Not the catalogue’s name', SVG),
        ]);
      },
    };
    before(async () => {
      world = await SelfServiceWorld.create(kind, { metadata });
    });
    after(() => world.close());

    test('each passkey carries its provider’s name and icons as the directory knows them', async () => {
      const userIds: Record<string, string> = {};
      for (const aaguid of [WITH_ICON, WITH_URL_ICON, GOOGLE, UNKNOWN]) {
        const { user } = await world.signUp(world.browser(), `${aaguid.slice(0, 2)}@example.com`, new SoftAuthenticator({ aaguid }));
        userIds[aaguid] = user.id;
      }
      const passkeyOf = async (aaguid: string) => {
        const listed = await expectStatus(world.api.get(`${ADMIN}/users/${userIds[aaguid]}/passkeys`), 200);
        return listed.body.items[0] as Record<string, unknown>;
      };
      // Without a policy naming metadata: the catalogue's names, no icons, and no BLOB is asked for.
      assert.equal((await passkeyOf(GOOGLE)).authenticatorName, 'Google Password Manager');
      assert.equal((await passkeyOf(WITH_ICON)).authenticatorName, undefined);
      assert.equal((await passkeyOf(WITH_ICON)).authenticatorIconLight, undefined);
      assert.deepEqual(sources, []);

      await expectStatus(
        world.api.patch(`${ADMIN}/passkeys/registrationPolicies/default`, {
          attestationTrust: { requireTrustedAttestation: false, metadata: { url: 'https://mds.keyway.test/blob' } },
        }),
        200,
      );
      const withIcon = await passkeyOf(WITH_ICON);
      assert.equal(withIcon.authenticatorName, 'Keyway Test Key');
      assert.equal(withIcon.authenticatorIconLight, PNG);
      assert.equal(withIcon.authenticatorIconDark, PNG, 'a metadata statement’s one icon serves the dark scheme too');
      const one = await expectStatus(world.api.get(`${ADMIN}/users/${userIds[WITH_ICON]}/passkeys/${String(withIcon.credentialId)}`), 200);
      assert.equal(one.body.authenticatorIconLight, PNG);
      const linked = await passkeyOf(WITH_URL_ICON);
      assert.equal(linked.authenticatorName, 'Linked Key');
      assert.ok(!('authenticatorIconLight' in linked) && !('authenticatorIconDark' in linked), 'an icon given as a URL is no icon');
      const google = await passkeyOf(GOOGLE);
      assert.equal(google.authenticatorName, 'Google Password Manager', 'the catalogue’s name wins');
      assert.equal(google.authenticatorIconLight, SVG);
      const unknown = await passkeyOf(UNKNOWN);
      assert.ok(!('authenticatorName' in unknown) && !('authenticatorIconLight' in unknown));
      assert.deepEqual(sources.at(-1), { url: 'https://mds.keyway.test/blob' });

      // The console's overview: the top AAGUIDs with the same names and icons.
      const overview = await world.server.services.overview.overview('acme', 7);
      const top = new Map(overview.authenticators.top.map((t) => [t.aaguid, t]));
      assert.deepEqual(top.get(WITH_ICON), { aaguid: WITH_ICON, name: 'Keyway Test Key', iconLight: PNG, iconDark: PNG, count: 1 });
      assert.deepEqual(top.get(UNKNOWN), { aaguid: UNKNOWN, name: null, count: 1 });

      // Metadata that cannot be loaded: names from the catalogue only, no icons, never a failed answer.
      offline = true;
      const without = await passkeyOf(WITH_ICON);
      assert.equal(without.authenticatorName, undefined);
      assert.equal(without.authenticatorIconLight, undefined);
      assert.equal((await passkeyOf(GOOGLE)).authenticatorName, 'Google Password Manager');
      offline = false;
    });
  });
}
