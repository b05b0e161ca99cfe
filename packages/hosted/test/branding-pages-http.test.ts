// A branded store's hosted pages and journey runner over real HTTP on both databases: logo and product
// name in the header, the theme element allowed by its hash (and nothing else inline), the logo's origin
// allowed for images, only the offered languages, and the store's default language.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { JOURNEY_RUNNER_CSP } from '../../server/src/journeys/runner-routes.ts';
import { HOSTED_PAGE_CSP } from '../../server/src/selfservice/hosted-pages-routes.ts';
import { StatementCounter } from '../../server/src/storage/statement-counter.ts';
import { DATABASE_KINDS } from '../../server/test/support/databases.ts';
import { startTestServer, type TenantFixture, type TestServer } from '../../server/test/support/test-server.ts';

const PUBLIC_URL = 'http://localhost:8080';
const LOGO = 'https://cdn.acme.example/brand/logo.png?v=2&size=80';
const PAGES = ['signup', 'signin', 'passkeys', 'recover'] as const;
const BRANDING = { productName: 'Acme <Pay>', logo: LOGO, primaryColor: '#0b6e4f', languages: { offered: ['fr', 'en', 'es'], default: 'fr' } };

/** The theme element's content and the CSP source that allows exactly it. */
function themeOf(html: string): { css: string; source: string } | undefined {
  const match = /<style>([^<]*)<\/style>/.exec(html);
  if (!match) return undefined;
  return { css: match[1]!, source: `'sha256-${createHash('sha256').update(match[1]!).digest('base64')}'` };
}

function offeredLanguages(html: string): string[] {
  return [...html.matchAll(/<a href="[^"]*" lang="([a-z]+)" hreflang/g)].map((m) => m[1]!);
}

for (const kind of DATABASE_KINDS) {
  describe(`branded hosted pages over HTTP (${kind})`, () => {
    let server: TestServer;
    let acme: TenantFixture;
    const base = '/api/identity-store/stores';
    const counter = new StatementCounter({ keepSql: true });

    before(async () => {
      server = await startTestServer({ kind, env: { KEYWAY_PUBLIC_URL: PUBLIC_URL }, statementCounter: counter });
      acme = await server.tenant('acme');
      for (const store of ['customers', 'plain']) {
        assert.equal((await acme.api.post(base, { name: store, displayName: `Acme ${store}` })).status, 201);
        assert.equal((await acme.api.post(`${base}/${store}/passkeys/relyingParties`, { id: 'localhost', name: 'Acme', origins: [PUBLIC_URL] })).status, 201);
        assert.equal((await acme.api.post(`${base}/${store}/passkeys/registrationPolicies`, { name: 'reg' })).status, 201);
        assert.equal((await acme.api.post(`${base}/${store}/passkeys/authenticationPolicies`, { name: 'auth' })).status, 201);
        const selfService = { enabled: true, relyingPartyId: 'localhost', registrationPolicy: 'reg', authenticationPolicy: 'auth', allowSignUp: true };
        assert.equal((await acme.api.patch(`${base}/${store}`, { selfService })).status, 200);
      }
      const put = await acme.api.request('PUT', `${base}/customers/branding`, BRANDING);
      assert.equal(put.status, 200, JSON.stringify(put.body));
      // A public journey on the branded store, for the runner.
      assert.equal((await acme.api.post('/api/journeys', { journeyId: 'welcome' })).status, 201);
      const definition = {
        schemaVersion: 1,
        store: 'customers',
        start: 'done',
        access: { public: true },
        steps: [{ id: 'done', type: 'general.end', parameters: { result: 'success' } }],
      };
      assert.equal((await acme.api.request('PUT', '/api/journeys/welcome/draft', { definition })).status, 200);
      assert.equal((await acme.api.post('/api/journeys/welcome/publish')).status, 201);
    });
    after(() => server?.close());

    test('every page: logo and product name in the header, the theme allowed by its hash, the logo’s origin for images', async () => {
      for (const page of PAGES) {
        const response = await server.http.get(`/acme/identity/customers/${page}`);
        assert.equal(response.status, 200, page);
        const html = response.body as string;
        assert.match(
          html,
          /<header class="site-header"><img class="brand-logo" src="https:\/\/cdn\.acme\.example\/brand\/logo\.png\?v=2&amp;size=80" alt=""><p class="service-name">Acme &lt;Pay&gt;<\/p><\/header>/,
          page,
        );
        assert.match(html, /<title>[^<]+ · Acme &lt;Pay&gt;<\/title>/);
        const theme = themeOf(html);
        assert.ok(theme, `${page}: a theme element`);
        assert.match(theme.css, /--accent:#0b6e4f/);
        assert.equal((html.match(/<style>/g) ?? []).length, 1, 'one style element');
        const csp = response.headers.get('content-security-policy') ?? '';
        assert.ok(csp.includes(`style-src 'self' ${theme.source}`), `${page}: ${csp}`);
        assert.match(csp, /img-src 'self' data: https:\/\/cdn\.acme\.example(;|$)/);
        assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
      }
    });

    test('only the offered languages, in the store’s order; its default when the browser asks for none of them', async () => {
      const plain = await server.http.get('/acme/identity/customers/signin');
      assert.match(plain.body, /<html lang="fr">/, 'no Accept-Language: the store’s default');
      assert.equal(plain.headers.get('content-language'), 'fr');
      assert.match(plain.body, /Connexion par clé d’accès/);
      assert.deepEqual(offeredLanguages(plain.body), ['fr', 'en', 'es']);
      assert.match(
        (await server.http.get('/acme/identity/customers/signin', { 'accept-language': 'de-DE,de;q=0.9' })).body,
        /<html lang="fr">/,
        'German is not offered',
      );
      assert.match((await server.http.get('/acme/identity/customers/signin?lang=de')).body, /<html lang="fr">/, 'nor by ?lang=');
      const english = await server.http.get('/acme/identity/customers/signin', { 'accept-language': 'de;q=0.9,en;q=0.8' });
      assert.match(english.body, /<html lang="en">/, 'the best offered one');
      const spanish = await server.http.get('/acme/identity/customers/signup?lang=es');
      assert.match(spanish.body, /<html lang="es">/);
      assert.match(spanish.body, /Crear cuenta con llave/);
    });

    test('the journey runner of the store’s journey is branded the same way', async () => {
      const response = await server.http.get('/acme/journeys/welcome', { 'accept-language': 'de' });
      assert.equal(response.status, 200);
      const html = response.body as string;
      assert.match(
        html,
        /<img class="brand-logo" src="https:\/\/cdn\.acme\.example\/brand\/logo\.png\?v=2&amp;size=80" alt=""><p class="service-name">Acme &lt;Pay&gt;<\/p>/,
      );
      assert.match(html, /<html lang="fr">/);
      assert.deepEqual(offeredLanguages(html), ['fr', 'en', 'es']);
      const theme = themeOf(html)!;
      const csp = response.headers.get('content-security-policy') ?? '';
      assert.ok(csp.includes(`style-src 'self' ${theme.source}`), csp);
      assert.ok(csp.includes("frame-src 'self'"), 'the runner’s own directives stay');
      const data = JSON.parse(/<script type="application\/json" id="keyway-runner">(.*?)<\/script>/s.exec(html)![1]!);
      assert.equal(data.lang, 'fr');
      assert.equal(data.messages['runner.loading'], 'Chargement…');
    });

    test('the hot path: once cached, a branded page sends the database what an unbranded one does', async () => {
      for (const store of ['customers', 'plain']) await server.http.get(`/acme/identity/${store}/signin`);
      const branded = await counter.measure(() => server.http.get('/acme/identity/customers/signin'));
      const brandedSql = [...counter.sql];
      const plain = await counter.measure(() => server.http.get('/acme/identity/plain/signin'));
      assert.deepEqual(branded, plain);
      assert.ok(!brandedSql.some((sql) => sql.includes('store_branding')), brandedSql.join('\n'));
    });

    test('a store without branding: Keyway’s look, every language, the unchanged CSP', async () => {
      const response = await server.http.get('/acme/identity/plain/signin');
      assert.equal(response.headers.get('content-security-policy'), HOSTED_PAGE_CSP);
      assert.equal(themeOf(response.body), undefined);
      assert.doesNotMatch(response.body, /brand-logo/);
      assert.match(response.body, /<p class="service-name">Acme plain<\/p>/);
      assert.deepEqual(offeredLanguages(response.body), ['en', 'de', 'fr', 'es']);
      assert.match(JOURNEY_RUNNER_CSP, /^default-src 'self'; img-src 'self' data:;/);
    });

    test('a change shows on the next page; a reset brings Keyway’s look back', async () => {
      assert.equal(
        (await acme.api.request('PUT', `${base}/plain/branding`, { productName: 'Plain Pay', languages: { offered: ['es'], default: 'es' } })).status,
        200,
      );
      const changed = (await server.http.get('/acme/identity/plain/signin')).body as string;
      assert.match(changed, /<p class="service-name">Plain Pay<\/p>/);
      assert.match(changed, /<html lang="es">/);
      assert.deepEqual(offeredLanguages(changed), [], 'one language: no switcher');
      assert.equal(themeOf(changed), undefined, 'no colours set: no theme element');
      assert.equal((await acme.api.delete(`${base}/plain/branding`)).status, 204);
      const reset = (await server.http.get('/acme/identity/plain/signin')).body as string;
      assert.match(reset, /<p class="service-name">Acme plain<\/p>/);
      assert.match(reset, /<html lang="en">/);
    });
  });
}
