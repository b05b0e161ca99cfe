// Custom pages over real HTTP on both databases: the admin API (create / version / validate with warnings / publish,
// immutability, permissions, tenant isolation, audit) and the runtime route that serves a page version to one journey
// step under a grant: the strict sandbox CSP and companion headers, the step's data embedded safely before the page's
// own scripts, and 404 for an unknown, another tenant's or an expired grant.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { PAGE_CSP, renderPage } from '../../src/journeys/pages/page-document.ts';
import { ManualClock } from '../../src/shared/clock.ts';
import { DATABASE_KINDS } from '../support/databases.ts';
import type { ApiResponse } from '../support/http-client.ts';
import { startTestServer, type TenantFixture, type TestServer } from '../support/test-server.ts';

const BASE = '/api/custom-pages';
const PAGE =
  '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Passkey</title><style>body{font:16px sans-serif}</style></head><body><form><input name="name" value="john.doe"><button>Go</button></form><script>document.title = keyway.constants.brand;</script></body></html>';

function expect(response: ApiResponse, status: number, code?: string): ApiResponse {
  assert.equal(response.status, status, JSON.stringify(response.body));
  if (code !== undefined) assert.equal(response.body.code, code, JSON.stringify(response.body));
  return response;
}

for (const kind of DATABASE_KINDS) {
  describe(`custom pages on ${kind}`, () => {
    let server: TestServer;
    let acme: TenantFixture;
    let globex: TenantFixture;
    const clock = new ManualClock('2026-06-01T10:00:00Z');
    before(async () => {
      server = await startTestServer({ kind, clock });
      acme = await server.tenant('acme');
      globex = await server.tenant('globex');
    });
    after(() => server.close());

    test('admin API: create, validate (with CSP warnings), new version, edit a draft, publish; a published version is immutable; audited', async () => {
      const created = expect(await acme.api.post(BASE, { name: 'passkey-page', html: PAGE }), 201);
      assert.deepEqual(
        { name: created.body.name, version: created.body.version, status: created.body.status, html: created.body.html },
        { name: 'passkey-page', version: 1, status: 'draft', html: PAGE },
      );
      expect(await acme.api.post(BASE, { name: 'passkey-page', html: PAGE }), 409, 'PAGE_ALREADY_EXISTS');
      const empty = expect(await acme.api.post(BASE, { name: 'empty', html: '   ' }), 400, 'VALIDATION_FAILED');
      assert.deepEqual(empty.body.errors, [{ field: 'html', message: 'must not be empty' }]);

      // The TrustX processes' page loads style.css and app.js: it validates, with a warning for each blocked load.
      const seedPage =
        '<html lang="en"><head><link rel="stylesheet" href="style.css" /></head><body><img src="data:image/png;base64,AA=="><script type="module" src="app.js"></script></body></html>';
      const report = expect(await acme.api.post(`${BASE}/validate`, { html: seedPage }), 200);
      assert.equal(report.body.valid, true);
      assert.deepEqual(
        report.body.warnings.map((w: { message: string }) => w.message.split(',')[0]),
        ['loads style.css', 'loads app.js'],
      );

      expect(await acme.api.post(`${BASE}/passkey-page/versions`, { html: seedPage }), 201);
      expect(await acme.api.request('PUT', `${BASE}/passkey-page/versions/2`, { html: PAGE.replace('Passkey', 'Passkey v2') }), 200);
      expect(await acme.api.post(`${BASE}/passkey-page/versions/1/publish`), 200);
      expect(await acme.api.request('PUT', `${BASE}/passkey-page/versions/1`, { html: '<p>changed</p>' }), 409, 'CONTENT_VERSION_PUBLISHED');
      assert.equal(expect(await acme.api.get(`${BASE}/passkey-page/versions/1`), 200).body.html, PAGE);
      const summary = expect(await acme.api.get(`${BASE}/passkey-page`), 200).body;
      assert.equal(summary.latestVersion, 2);
      assert.equal(summary.latestPublishedVersion, 1);
      const actions = await server.database.db.selectFrom('audit_events').select('action').where('target_type', '=', 'page').orderBy('id').execute();
      assert.deepEqual(
        actions.map((a) => a.action),
        ['journey.page.create', 'journey.page.version.create', 'journey.page.version.update', 'journey.page.publish'],
      );
    });

    test('admin API: permissions, tenant isolation and pagination', async () => {
      expect(await server.http.get(BASE), 401, 'UNAUTHENTICATED');
      const formsOnly = server.http.withToken(await server.token(acme.clientId, acme.clientSecret, 'TNT#acme#Journeys:listForms'));
      expect(await formsOnly.get(BASE), 403, 'FORBIDDEN');
      expect(await globex.api.get(`${BASE}/passkey-page`), 404, 'PAGE_NOT_FOUND');
      expect(await globex.api.get(`${BASE}/passkey-page/versions/1`), 404, 'PAGE_NOT_FOUND');
      expect(await acme.api.get(`${BASE}/passkey-page/versions/7`), 404, 'PAGE_VERSION_NOT_FOUND');
      expect(await acme.api.post(BASE, { name: 'second', html: PAGE }), 201);
      const first = expect(await acme.api.get(`${BASE}?limit=1`), 200).body;
      assert.deepEqual(
        first.items.map((i: { name: string }) => i.name),
        ['passkey-page'],
      );
      const next = expect(await acme.api.get(`${BASE}?limit=1&cursor=${first.nextCursor}`), 200).body;
      assert.deepEqual(
        next.items.map((i: { name: string }) => i.name),
        ['second'],
      );
      assert.equal(next.nextCursor, null);
      assert.deepEqual(expect(await globex.api.get(BASE), 200).body.items, []);
    });

    test('served to a journey step: sandbox CSP and companion headers; the data and bridge come first in <head>', async () => {
      const data = {
        sessionData: { passkeyRegClientRequest: { challenge: 'abc', user: { name: '</script><script>alert(1)</script>' } } },
        constants: { brand: 'Acme' },
      };
      const grant = await server.services.pages.grant({ tenantId: 'acme', sessionId: 'instance-1', stepId: 'page', pageName: 'passkey-page', data });
      assert.equal(grant.version, 1, 'the latest published version, not the newer draft');
      const served = await server.http.get(grant.url);
      assert.equal(served.status, 200);
      assert.equal(served.headers.get('content-type'), 'text/html; charset=utf-8');
      assert.equal(served.headers.get('content-security-policy'), PAGE_CSP);
      for (const directive of [
        'sandbox allow-scripts allow-forms',
        "default-src 'none'",
        "connect-src 'none'",
        "form-action 'none'",
        "frame-ancestors 'self'",
        "base-uri 'none'",
      ]) {
        assert.ok(PAGE_CSP.split('; ').includes(directive), directive);
      }
      assert.ok(!PAGE_CSP.includes('allow-same-origin'), 'the page never shares the runner’s origin');
      assert.equal(served.headers.get('cache-control'), 'no-store');
      assert.equal(served.headers.get('x-content-type-options'), 'nosniff');
      assert.equal(served.headers.get('referrer-policy'), 'no-referrer');
      assert.match(served.headers.get('permissions-policy')!, /publickey-credentials-create=\(\)/);

      const html = served.body as string;
      assert.ok(
        html.startsWith('<!doctype html><html lang="en"><head><script type="application/json" id="keyway-page-data">'),
        'injected right after <head>, before the page’s scripts',
      );
      assert.ok(html.endsWith(PAGE.slice(PAGE.indexOf('<meta'))));
      const embedded = /<script type="application\/json" id="keyway-page-data">(.*?)<\/script>/s.exec(html)![1]!;
      assert.ok(!embedded.includes('</script>'), 'data cannot close the script element');
      assert.deepEqual(JSON.parse(embedded), data);
      assert.match(html, /window\.keyway = Object\.freeze/);
    });

    test('a grant is per tenant and expires; unknown or malformed ids are refused', async () => {
      const grant = await server.services.pages.grant({
        tenantId: 'acme',
        sessionId: 'instance-2',
        stepId: 'page',
        pageName: 'passkey-page',
        pageVersion: 1,
        data: { sessionData: {}, constants: {} },
        ttlSeconds: 60,
      });
      const id = grant.url.split('/').at(-1)!;
      expect(await server.http.get(`/globex/journeys/pages/${id}`), 404, 'PAGE_GRANT_NOT_FOUND');
      expect(await server.http.get(`/acme/journeys/pages/${'A'.repeat(22)}`), 404, 'PAGE_GRANT_NOT_FOUND');
      expect(await server.http.get('/acme/journeys/pages/short'), 400, 'VALIDATION_FAILED');
      clock.advance(59_999);
      expect(await server.http.get(grant.url), 200);
      clock.advance(1);
      expect(await server.http.get(grant.url), 404, 'PAGE_GRANT_NOT_FOUND');
      await assert.rejects(
        server.services.pages.grant({
          tenantId: 'acme',
          sessionId: 'i',
          stepId: 's',
          pageName: 'passkey-page',
          pageVersion: 2,
          data: { sessionData: {}, constants: {} },
        }),
        { code: 'CONTENT_VERSION_NOT_PUBLISHED' },
      );
      await assert.rejects(
        server.services.pages.grant({ tenantId: 'globex', sessionId: 'i', stepId: 's', pageName: 'passkey-page', data: { sessionData: {}, constants: {} } }),
        { code: 'PAGE_NOT_FOUND' },
      );
    });
  });
}

describe('page rendering', () => {
  test('the injection point: after <head>, else after <html>, else after the doctype, else first', () => {
    const data = { sessionData: {}, constants: {} };
    const marker = '<script type="application/json" id="keyway-page-data">';
    assert.ok(renderPage('<HTML><HEAD lang="x"><title>t</title></HEAD></HTML>', data).startsWith(`<HTML><HEAD lang="x">${marker}`));
    assert.ok(renderPage('<html><body>x</body></html>', data).startsWith(`<html>${marker}`));
    assert.ok(renderPage('<!DOCTYPE html><p>x</p>', data).startsWith(`<!DOCTYPE html>${marker}`));
    assert.ok(renderPage('<p>x</p>', data).startsWith(marker));
    assert.ok(renderPage('<p>x</p>', { sessionData: { s: '\u2028<!--' }, constants: {} }).includes('"\\u2028\\u003c!--"'));
  });
});
