// The hosted pages over real HTTP on both databases: shells and their security headers, language
// negotiation, no store enumeration, escaping, and the versioned static assets.
import assert from 'node:assert/strict';
import { gunzipSync } from 'node:zlib';
import { after, before, describe, test } from 'node:test';
import { HOSTED_PAGE_CSP } from '../../server/src/selfservice/hosted-pages-routes.ts';
import { negotiateLanguage } from '../../server/src/selfservice/hosted-language.ts';
import { DATABASE_KINDS } from '../../server/test/support/databases.ts';
import { startTestServer, type TenantFixture, type TestServer } from '../../server/test/support/test-server.ts';

const PUBLIC_URL = 'http://localhost:8080';
const PAGES = ['signup', 'signin', 'passkeys', 'recover'] as const;

test('Accept-Language negotiation: q-values, regional variants, explicit ?lang, English by default', () => {
  assert.equal(negotiateLanguage(undefined), 'en');
  assert.equal(negotiateLanguage(''), 'en');
  assert.equal(negotiateLanguage('de-DE,de;q=0.9,en;q=0.8'), 'de');
  assert.equal(negotiateLanguage('de-AT'), 'de', 'a regional variant matches its language');
  assert.equal(negotiateLanguage('it-IT,it;q=0.9,de;q=0.7,en;q=0.5'), 'de', 'the best supported one');
  assert.equal(negotiateLanguage('en;q=0.4,de;q=0.6'), 'de', 'by q-value, not by order');
  assert.equal(negotiateLanguage('de;q=0.5,en;q=0.5'), 'de', 'order breaks ties');
  assert.equal(negotiateLanguage('de;q=0,en'), 'en', 'q=0 means "not this"');
  assert.equal(negotiateLanguage('it,pt'), 'en', 'nothing supported: English');
  assert.equal(negotiateLanguage('fr-CA,en;q=0.5'), 'fr');
  assert.equal(negotiateLanguage('es-419'), 'es');
  assert.equal(negotiateLanguage('de;q=abc, en;q=2'), 'en', 'malformed q-values are ignored');
  assert.equal(negotiateLanguage('de', 'en'), 'en', '?lang= wins');
  assert.equal(negotiateLanguage('de', 'xx'), 'de', 'an unknown ?lang= is ignored');
});

for (const kind of DATABASE_KINDS) {
  describe(`hosted pages over HTTP (${kind})`, () => {
    let server: TestServer;
    let acme: TenantFixture;

    before(async () => {
      server = await startTestServer({ kind, env: { KEYWAY_PUBLIC_URL: PUBLIC_URL } });
      acme = await server.tenant('acme');
      const base = '/api/identity-store/stores';
      assert.equal((await acme.api.post(base, { name: 'customers', displayName: 'Acme <b>"Customers"</b>' })).status, 201);
      assert.equal((await acme.api.post(`${base}/customers/passkeys/relyingParties`, { id: 'localhost', name: 'Acme', origins: [PUBLIC_URL] })).status, 201);
      assert.equal(
        (await acme.api.post(`${base}/customers/passkeys/registrationPolicies`, { name: 'reg', residentKey: 'required', userVerification: 'required' })).status,
        201,
      );
      assert.equal(
        (await acme.api.post(`${base}/customers/passkeys/authenticationPolicies`, { name: 'auth', userVerification: 'required', allowDiscoverable: true }))
          .status,
        201,
      );
      const selfService = { enabled: true, relyingPartyId: 'localhost', registrationPolicy: 'reg', authenticationPolicy: 'auth', allowSignUp: true };
      assert.equal((await acme.api.patch(`${base}/customers`, { selfService })).status, 200);
      // A second store, configured but switched off.
      assert.equal((await acme.api.post(base, { name: 'staff' })).status, 201);
      assert.equal((await acme.api.post(`${base}/staff/passkeys/relyingParties`, { id: 'localhost', name: 'Staff', origins: [PUBLIC_URL] })).status, 201);
      assert.equal((await acme.api.patch(`${base}/staff`, { selfService: { ...selfService, enabled: false } })).status, 200);
    });
    after(() => server?.close());

    test('every page is an HTML shell with a strict CSP and no inline script', async () => {
      for (const page of PAGES) {
        const response = await server.http.get(`/acme/identity/customers/${page}`);
        assert.equal(response.status, 200, page);
        assert.match(response.headers.get('content-type') ?? '', /^text\/html; charset=utf-8/);
        assert.equal(response.headers.get('content-security-policy'), HOSTED_PAGE_CSP);
        assert.match(HOSTED_PAGE_CSP, /default-src 'self'/);
        assert.doesNotMatch(HOSTED_PAGE_CSP, /unsafe-inline|unsafe-eval/);
        assert.equal(response.headers.get('x-frame-options'), 'DENY');
        assert.equal(response.headers.get('cache-control'), 'no-store');
        assert.equal(response.headers.get('vary'), 'Accept-Language');
        const html = response.body as string;
        // Scripts only by src (same origin); the page data is a non-executable JSON block.
        for (const tag of html.match(/<script\b[^>]*>/g) ?? [])
          assert.match(tag, /type="module" src="\/_keyway\/|type="application\/json" id="keyway-page"/, tag);
        assert.doesNotMatch(html, /\sstyle=|\son[a-z]+=/i, 'no inline style or event handler attributes');
        const data = JSON.parse(/<script type="application\/json" id="keyway-page">(.*?)<\/script>/s.exec(html)![1]!);
        assert.equal(data.base, '/acme/identity/customers');
        assert.equal(data.lang, 'en');
      }
    });

    test('the sign-in field asks for passkey autofill; every input has a label', async () => {
      const signin = (await server.http.get('/acme/identity/customers/signin')).body as string;
      assert.match(signin, /<input id="identifier" name="username" type="text" autocomplete="username webauthn"/);
      for (const page of PAGES) {
        const html = (await server.http.get(`/acme/identity/customers/${page}`)).body as string;
        for (const [, id] of html.matchAll(/<input id="([^"]+)"/g)) assert.match(html, new RegExp(`<label for="${id}">`), `${page}: #${id} has a label`);
        assert.match(html, /role="alert" aria-live="assertive"/, `${page}: errors are announced`);
      }
    });

    test('the store name is escaped', async () => {
      const html = (await server.http.get('/acme/identity/customers/signin')).body as string;
      assert.match(html, /Acme &lt;b&gt;&quot;Customers&quot;&lt;\/b&gt;/);
      assert.doesNotMatch(html, /<b>"Customers"<\/b>/);
    });

    test('localized from Accept-Language, or ?lang=', async () => {
      const de = await server.http.get('/acme/identity/customers/signin', { 'accept-language': 'de-DE,de;q=0.9,en;q=0.5' });
      assert.equal(de.headers.get('content-language'), 'de');
      assert.match(de.body, /<html lang="de">/);
      assert.match(de.body, /Mit einem Passkey anmelden/);
      assert.match(de.body, /<label for="identifier">Benutzername<\/label>/);
      const forced = await server.http.get('/acme/identity/customers/signup?lang=en', { 'accept-language': 'de' });
      assert.match(forced.body, /<html lang="en">/);
      assert.match(forced.body, /Create your account/);
      assert.match(forced.body, /href="\/acme\/identity\/customers\/signup\?lang=de"/, 'the language links keep the path');
    });

    test('an unknown tenant, an unknown store and a disabled store get the same 404 page', async () => {
      const answers = await Promise.all(
        ['/acme/identity/staff/signin', '/acme/identity/nobody/signin', '/nobody/identity/customers/signin'].map((path) => server.http.get(path)),
      );
      for (const answer of answers) {
        assert.equal(answer.status, 404);
        assert.match(answer.headers.get('content-type') ?? '', /^text\/html/);
        assert.equal(answer.headers.get('content-security-policy'), HOSTED_PAGE_CSP);
        assert.doesNotMatch(answer.body, /<script type="module"/, 'no page script on the not-found page');
      }
      const normalise = (html: string) => html.replaceAll(/\/(acme|nobody)\/identity\/(staff|nobody|customers)/g, '/T/identity/S');
      assert.equal(normalise(answers[0]!.body), normalise(answers[1]!.body));
      assert.equal(normalise(answers[1]!.body), normalise(answers[2]!.body));
    });

    test('with sign-up closed, the sign-up page says so and the sign-in page does not offer it', async () => {
      const selfService = { enabled: true, relyingPartyId: 'localhost', registrationPolicy: 'reg', authenticationPolicy: 'auth', allowSignUp: false };
      assert.equal((await acme.api.patch('/api/identity-store/stores/customers', { selfService })).status, 200);
      try {
        const signup = (await server.http.get('/acme/identity/customers/signup')).body as string;
        assert.match(signup, /New accounts cannot be created here/);
        assert.doesNotMatch(signup, /id="signup-form"/);
        const signin = (await server.http.get('/acme/identity/customers/signin')).body as string;
        assert.doesNotMatch(signin, /href="\/acme\/identity\/customers\/signup"/, 'no link to sign-up');
      } finally {
        assert.equal((await acme.api.patch('/api/identity-store/stores/customers', { selfService: { ...selfService, allowSignUp: true } })).status, 200);
      }
      assert.match((await server.http.get('/acme/identity/customers/signin')).body, /href="\/acme\/identity\/customers\/signup">Create an account<\/a>/);
    });

    test('assets: versioned, immutable, gzip when asked, nothing but the pages’ modules', async () => {
      const html = (await server.http.get('/acme/identity/customers/passkeys')).body as string;
      const urls = [...html.matchAll(/(?:href|src)="(\/_keyway\/[^"]+)"/g)].map((m) => m[1]!);
      assert.ok(urls.some((u) => u.endsWith('/hosted/src/keyway.css')));
      assert.ok(urls.some((u) => u.endsWith('/hosted/src/passkeys-page.js')));
      assert.ok(
        urls.some((u) => u.endsWith('/web/src/keyway.js')),
        'the SDK client is preloaded',
      );
      assert.ok(!urls.some((u) => /\/web\/src\/(index|journey)/.test(u)), 'but not the rest of the SDK (the journey client)');
      for (const url of urls) {
        const plain = await fetch(server.url + url, { headers: { 'accept-encoding': 'identity' } });
        assert.equal(plain.status, 200, url);
        assert.equal(plain.headers.get('cache-control'), 'public, max-age=31536000, immutable');
        // Importable from a relying party's own origin (module scripts load in CORS mode).
        assert.equal(plain.headers.get('access-control-allow-origin'), '*');
        assert.equal(plain.headers.get('cross-origin-resource-policy'), 'cross-origin');
        assert.match(plain.headers.get('content-type') ?? '', url.endsWith('.css') ? /^text\/css/ : /^text\/javascript/);
        const body = Buffer.from(await plain.arrayBuffer());
        if (url.endsWith('.js')) assert.doesNotMatch(body.toString(), /from\s+['"][^'"]+\.ts['"]/, 'imports point at .js');
        // node's fetch decompresses; ask over raw HTTP semantics by comparing with the gzip body decoded.
        const gz = await server.app.inject({ method: 'GET', url, headers: { 'accept-encoding': 'gzip' } });
        assert.equal(gz.headers['content-encoding'], 'gzip');
        assert.deepEqual(gunzipSync(gz.rawPayload), body);
      }
      const version = urls[0]!.split('/')[2]!;
      // The whole SDK, at a stable address that redirects to the versioned module.
      const sdk = await fetch(`${server.url}/_keyway/web.js`, { redirect: 'manual' });
      assert.equal(sdk.status, 302);
      assert.equal(sdk.headers.get('access-control-allow-origin'), '*');
      assert.equal(sdk.headers.get('location'), `/_keyway/${version}/web/src/index.js`);
      const index = await server.http.get(`/_keyway/${version}/web/src/index.js`);
      assert.equal(index.status, 200);
      assert.match(index.body, /export \{[^}]*\bKeyway\b/);
      assert.equal((await server.http.get(`/_keyway/${version}/hosted/src/messages.js`)).status, 404, 'server-only sources are not served');
      assert.equal((await server.http.get(`/_keyway/${version}/hosted/src/shells.js`)).status, 404);
      assert.equal((await server.http.get(`/_keyway/${version}/../../package.json`)).status, 404);
      assert.equal((await server.http.get('/_keyway/0000000000000000/hosted/src/keyway.css')).status, 404, 'an unknown version');
    });
  });
}
