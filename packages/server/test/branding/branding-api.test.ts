// Store branding through the admin API on both databases: read, replace, reset, the audit trail,
// every refusal (its code, and nothing stored), permissions and tenant isolation.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DATABASE_KINDS } from '../support/databases.ts';
import { startTestServer, type TenantFixture, type TestServer } from '../support/test-server.ts';
import { dataUrl, discPng } from './logo-fixture.ts';

const STORE = 'customers';
const BRANDING = `/api/identity-store/stores/${STORE}/branding`;
const LOGO = dataUrl(discPng(48, '#0b6e4f'));

const VALID = {
  productName: 'Acme Pay',
  logo: LOGO,
  primaryColor: '#0B6E4F',
  palettes: { dark: { surface: '#101512', background: '#0a0d0b' } },
  languages: { offered: ['fr', 'en', 'es'], default: 'fr' },
};

const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(2)</script></svg>');
const gif = Buffer.from('GIF89a\x01\x00\x01\x00\x00\x00\x00;', 'latin1');

/** Each refusal: the body, the code, and the field the first problem names. */
const REFUSALS: Array<{ what: string; body: Record<string, unknown>; code: string; field: string }> = [
  { what: 'a colour name', body: { primaryColor: 'red' }, code: 'BRANDING_COLOR_INVALID', field: 'primaryColor' },
  { what: 'rgb() in a palette', body: { palettes: { dark: { surface: 'rgb(0,0,0)' } } }, code: 'BRANDING_COLOR_INVALID', field: 'palettes.dark.surface' },
  { what: 'CSS injection in a colour', body: { primaryColor: '#fff;}body{display:none' }, code: 'BRANDING_COLOR_INVALID', field: 'primaryColor' },
  { what: 'a javascript: logo', body: { logo: 'javascript:alert(1)' }, code: 'BRANDING_LOGO_INVALID', field: 'logo' },
  { what: 'an http: logo', body: { logo: 'http://cdn.example.com/logo.png' }, code: 'BRANDING_LOGO_INVALID', field: 'logo' },
  { what: 'a logo URL with credentials', body: { logo: 'https://user:secret@cdn.example.com/logo.png' }, code: 'BRANDING_LOGO_INVALID', field: 'logo' },
  { what: 'an SVG data: logo with script', body: { logo: dataUrl(svg, 'image/svg+xml') }, code: 'BRANDING_LOGO_INVALID', field: 'logo' },
  { what: 'a data: logo whose bytes are not its type', body: { logo: dataUrl(gif, 'image/png') }, code: 'BRANDING_LOGO_INVALID', field: 'logo' },
  {
    what: 'a data: logo over 32 KiB',
    body: { logo: dataUrl(Buffer.concat([discPng(4, '#000000'), Buffer.alloc(33 * 1024)])) },
    code: 'BRANDING_LOGO_INVALID',
    field: 'logo',
  },
  {
    what: 'a data: text/html logo',
    body: { logo: `data:text/html;base64,${Buffer.from('<script>alert(1)</script>').toString('base64')}` },
    code: 'BRANDING_LOGO_INVALID',
    field: 'logo',
  },
  {
    what: 'an unknown offered language',
    body: { languages: { offered: ['en', 'xx'], default: 'en' } },
    code: 'BRANDING_LANGUAGE_UNSUPPORTED',
    field: 'languages.offered.1',
  },
  {
    what: 'an unsupported default language',
    body: { languages: { offered: ['en'], default: 'it' } },
    code: 'BRANDING_LANGUAGE_UNSUPPORTED',
    field: 'languages.default',
  },
  {
    what: 'a default that is not offered',
    body: { languages: { offered: ['en', 'fr'], default: 'de' } },
    code: 'VALIDATION_FAILED',
    field: 'languages.default',
  },
  { what: 'a brand colour unreadable on white', body: { primaryColor: '#ffd400' }, code: 'BRANDING_CONTRAST_TOO_LOW', field: 'primaryColor' },
  {
    what: 'button text unreadable on the primary colour',
    body: { palettes: { light: { onPrimary: '#6d8ae0' } } },
    code: 'BRANDING_CONTRAST_TOO_LOW',
    field: 'palettes.light.onPrimary',
  },
  {
    what: 'a dark surface that hides the dark-scheme text',
    body: { palettes: { dark: { surface: '#e0e0e0' } } },
    code: 'BRANDING_CONTRAST_TOO_LOW',
    field: 'palettes.dark.surface',
  },
  { what: 'an unknown setting', body: { fontFamily: 'Comic Sans' }, code: 'VALIDATION_FAILED', field: '' },
];

for (const kind of DATABASE_KINDS) {
  describe(`store branding API (${kind})`, () => {
    let server: TestServer;
    let acme: TenantFixture;
    let globex: TenantFixture;

    const brandingRows = () => server.database.db.selectFrom('store_branding').select(['store_id', 'tenant_id', 'settings']).orderBy('store_id').execute();
    const auditCount = async () =>
      Number(
        (
          await server.database.db
            .selectFrom('audit_events')
            .select((eb) => eb.fn.countAll().as('n'))
            .executeTakeFirstOrThrow()
        ).n,
      );

    before(async () => {
      server = await startTestServer({ kind });
      acme = await server.tenant('acme');
      globex = await server.tenant('globex');
      assert.equal((await acme.api.post('/api/identity-store/stores', { name: STORE, displayName: 'Acme Customers' })).status, 201);
      assert.equal((await globex.api.post('/api/identity-store/stores', { name: STORE, displayName: 'Globex Customers' })).status, 201);
    });
    after(async () => {
      await server?.close();
    });

    test('a store without branding reads Keyway’s defaults', async () => {
      const read = await acme.api.get(BRANDING);
      assert.equal(read.status, 200, JSON.stringify(read.body));
      assert.equal(read.body.updatedAt, null);
      assert.equal(read.body.productName, undefined);
      assert.deepEqual(read.body.effective.languages, { offered: ['en', 'de', 'fr', 'es'], default: 'en' });
      assert.equal(read.body.effective.productName, 'Acme Customers', 'the display name until a product name is set');
      assert.equal(read.body.effective.light.primary, '#1f4fd1');
      assert.equal(read.body.effective.dark.primary, '#8fb0ff');
    });

    test('replace: stored normalised, derived colours reported, audited without the logo bytes; read back the same', async () => {
      const auditBefore = await auditCount();
      const put = await acme.api.request('PUT', BRANDING, VALID);
      assert.equal(put.status, 200, JSON.stringify(put.body));
      assert.equal(put.body.primaryColor, '#0b6e4f', 'colours are stored lowercase');
      assert.equal(put.body.logo, LOGO);
      assert.deepEqual(put.body.languages, { offered: ['fr', 'en', 'es'], default: 'fr' });
      assert.equal(put.body.effective.productName, 'Acme Pay');
      assert.equal(put.body.effective.light.primary, '#0b6e4f', 'the brand colour as given in the light scheme');
      assert.equal(put.body.effective.light.onPrimary, '#ffffff', 'white reads better on it');
      assert.notEqual(put.body.effective.dark.primary, '#0b6e4f', 'too dark for the dark card: lightened');
      assert.equal(put.body.effective.dark.surface, '#101512');
      assert.ok(put.body.updatedAt);

      const read = await acme.api.get(BRANDING);
      assert.deepEqual(read.body, put.body);

      const rows = await brandingRows();
      assert.equal(rows.length, 1);
      assert.equal(rows[0]!.tenant_id, 'acme');
      assert.equal(await auditCount(), auditBefore + 1);
      const event = await server.database.db.selectFrom('audit_events').selectAll().where('action', '=', 'store.branding.update').executeTakeFirstOrThrow();
      assert.equal(event.tenant_id, 'acme');
      assert.equal(event.actor, acme.clientId);
      assert.equal(event.target_id, STORE);
      const details = JSON.parse(event.details!) as Record<string, unknown>;
      assert.match(String(details.logo), /^image\/png image, \d+ bytes$/, 'the audit log names the image, it does not copy it');
      assert.equal(details.primaryColor, '#0b6e4f');
    });

    for (const refusal of REFUSALS) {
      test(`refused with ${refusal.code}: ${refusal.what}; nothing stored`, async () => {
        const [rowsBefore, auditBefore] = [await brandingRows(), await auditCount()];
        const put = await acme.api.request('PUT', BRANDING, refusal.body);
        assert.equal(put.status, 400, JSON.stringify(put.body));
        assert.equal(put.body.code, refusal.code, put.body.detail);
        assert.match(put.headers.get('content-type') ?? '', /application\/problem\+json/);
        if (refusal.field !== '') assert.equal(put.body.errors?.[0]?.field, refusal.field, JSON.stringify(put.body));
        assert.deepEqual(await brandingRows(), rowsBefore, 'the stored branding is unchanged');
        assert.equal(await auditCount(), auditBefore, 'no audit event for a refused change');
      });
    }

    test('the contrast refusal names the pair, the ratio and what needs it', async () => {
      const put = await acme.api.request('PUT', BRANDING, { primaryColor: '#ffd400' });
      assert.match(put.body.detail, /primary #ffd400 on surface #ffffff is 1\.\d:1; links and secondary buttons on the card need at least 4\.5:1/);
    });

    test('an https logo is stored as its URL', async () => {
      const put = await globex.api.request('PUT', BRANDING, { logo: 'https://cdn.globex.example/brand/logo.svg', productName: 'Globex' });
      assert.equal(put.status, 200, JSON.stringify(put.body));
      assert.equal(put.body.logo, 'https://cdn.globex.example/brand/logo.svg');
    });

    test('tenant isolation: each tenant’s same-named store keeps its own branding; another tenant’s path is refused', async () => {
      assert.equal((await acme.api.get(BRANDING)).body.productName, 'Acme Pay');
      assert.equal((await globex.api.get(BRANDING)).body.productName, 'Globex');
      const aliasOfAcme = await globex.api.request('PUT', `/api/identity-store/acme/stores/${STORE}/branding`, { productName: 'Hijacked' });
      assert.equal(aliasOfAcme.status, 404);
      assert.equal(aliasOfAcme.body.code, 'TENANT_NOT_FOUND');
      assert.equal((await acme.api.get(BRANDING)).body.productName, 'Acme Pay', 'unchanged');
      const own = await acme.api.get(`/api/identity-store/acme/stores/${STORE}/branding`);
      assert.equal(own.status, 200, 'the tenant path works for its own tenant');
      assert.equal((await acme.api.get('/api/identity-store/stores/nope/branding')).body.code, 'STORE_NOT_FOUND');
    });

    test('permissions: reading needs getStore, changing needs updateStore', async () => {
      const reader = await acme.api.post('/api/admin/clients', { name: 'branding-reader', permissions: ['TNT#acme#IdentityStore:getStore'] });
      assert.equal(reader.status, 201, JSON.stringify(reader.body));
      const readerApi = server.http.withToken(await server.token(reader.body.clientId, reader.body.clientSecret));
      assert.equal((await readerApi.get(BRANDING)).status, 200);
      for (const [method, body] of [
        ['PUT', { productName: 'Nope' }],
        ['DELETE', undefined],
      ] as const) {
        const refused = await readerApi.request(method, BRANDING, body);
        assert.equal(refused.status, 403, method);
        assert.equal(refused.body.code, 'FORBIDDEN');
        assert.match(refused.body.detail, /IdentityStore:updateStore/);
      }
      assert.equal((await server.http.get(BRANDING)).status, 401, 'no token');
    });

    test('reset: back to the defaults, audited, only this tenant’s row removed', async () => {
      const reset = await acme.api.delete(BRANDING);
      assert.equal(reset.status, 204);
      const read = await acme.api.get(BRANDING);
      assert.equal(read.body.updatedAt, null);
      assert.equal(read.body.effective.productName, 'Acme Customers');
      const rows = await brandingRows();
      assert.deepEqual(
        rows.map((r) => r.tenant_id),
        ['globex'],
      );
      const event = await server.database.db
        .selectFrom('audit_events')
        .select(['actor', 'target_id'])
        .where('action', '=', 'store.branding.reset')
        .executeTakeFirstOrThrow();
      assert.deepEqual({ ...event }, { actor: acme.clientId, target_id: STORE });
    });

    test('deleting a store deletes its branding', async () => {
      assert.equal((await globex.api.request('DELETE', `/api/identity-store/stores/${STORE}`)).status, 204);
      assert.deepEqual(await brandingRows(), []);
    });
  });
}
