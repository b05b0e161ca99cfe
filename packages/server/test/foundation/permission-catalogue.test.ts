import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { PERMISSION_CATALOGUE, PERMISSIONS } from '../../src/tenancy/permission-catalogue.ts';
import { startTestServer, type TestServer } from '../support/test-server.ts';

/**
 * The routes that need no bearer token, each for a reason: a new public route must be added here
 * on purpose; any other route must declare a permission from the catalogue.
 */
const PUBLIC_ROUTES = new Set([
  // Operations (health, readiness, metrics) and the API documentation
  'GET /healthz',
  'GET /readyz',
  'GET /metrics',
  'GET /openapi.json',
  // Client authentication itself (RFC 6749 §4.4) and the published keys and metadata
  'POST /oauth2/token',
  'GET /:tenantId/.well-known/jwks.json',
  'GET /:tenantId/.well-known/openid-configuration',
  'GET /.well-known/webauthn',
  'GET /.well-known/assetlinks.json',
  'GET /.well-known/apple-app-site-association',
  // Browser self-service (cookies, Origin-checked) and its hosted pages and assets
  'OPTIONS /:tenantId/identity/:storeName/*',
  'POST /:tenantId/identity/:storeName/register/challenge',
  'POST /:tenantId/identity/:storeName/register/webauthn/begin',
  'POST /:tenantId/identity/:storeName/register/webauthn/finish',
  'POST /:tenantId/identity/:storeName/login/webauthn/options',
  'POST /:tenantId/identity/:storeName/login/webauthn/finish',
  'POST /:tenantId/identity/:storeName/logout',
  'GET /:tenantId/identity/:storeName/me',
  'DELETE /:tenantId/identity/:storeName/me',
  'GET /:tenantId/identity/:storeName/me/passkeys',
  'PATCH /:tenantId/identity/:storeName/me/passkeys/:credentialId',
  'DELETE /:tenantId/identity/:storeName/me/passkeys/:credentialId',
  'POST /:tenantId/identity/:storeName/me/passkeys/register/begin',
  'POST /:tenantId/identity/:storeName/me/passkeys/register/finish',
  'GET /:tenantId/identity/:storeName/me/devices',
  'DELETE /:tenantId/identity/:storeName/me/devices/:deviceId',
  'POST /:tenantId/identity/:storeName/recovery/begin',
  'POST /:tenantId/identity/:storeName/recovery/finish',
  'POST /:tenantId/identity/:storeName/recovery/email',
  'POST /:tenantId/identity/:storeName/email/verify/inspect',
  'POST /:tenantId/identity/:storeName/email/verify',
  'POST /:tenantId/identity/:storeName/email/disown',
  'GET /_keyway/:version/*',
  'GET /_keyway/web.js',
  'GET /:tenantId/identity/:storeName',
  'GET /:tenantId/identity/:storeName/signup',
  'GET /:tenantId/identity/:storeName/signin',
  'GET /:tenantId/identity/:storeName/passkeys',
  'GET /:tenantId/identity/:storeName/recover',
  'GET /:tenantId/identity/:storeName/lost-passkey',
  'GET /:tenantId/identity/:storeName/verify-email',
  // For browsers: the home page and the favicon
  'GET /',
  'GET /favicon.ico',
  'GET /favicon.svg',
  // Published JSON schemas
  'GET /schemas/custom-form.json',
  'GET /schemas/journey-definition.json',
  // The journey runtime: the session id is the credential (start is optional-bearer, below)
  'OPTIONS /:tenantId/journeys/*',
  'POST /:tenantId/journeys/sessions/:sessionId/submit',
  'GET /:tenantId/journeys/sessions/:sessionId',
  'GET /:tenantId/journeys/pages/:grantId',
  'GET /_keyway/journey-runner/:version/*',
  'GET /:tenantId/journeys/:journeyId',
  // The OpenID Provider: its endpoints authenticate clients and tokens by the protocol (OpenID Connect Core, RFC 6749),
  // and its login and consent are bound to the browser by the provider's interaction cookie
  'GET /:tenantId/oidc/*',
  'POST /:tenantId/oidc/*',
  'OPTIONS /:tenantId/oidc/*',
  'GET /:tenantId/oidc/interaction/:uid',
  'POST /:tenantId/oidc/interaction/:uid/consent',
  'POST /:tenantId/oidc/interaction/:uid/abort',
  'GET /:tenantId/oidc/interaction/:uid/journey',
  // The console: its pages, and its same-origin browser API (enrolment link or session cookie)
  'GET /:tenantId/console',
  'GET /:tenantId/console/*',
  'POST /:tenantId/console/api/enrolment/options',
  'POST /:tenantId/console/api/enrolment/finish',
  'POST /:tenantId/console/api/sign-in/options',
  'POST /:tenantId/console/api/sign-in/finish',
  'POST /:tenantId/console/api/sign-out',
  'GET /:tenantId/console/api/session',
  'GET /:tenantId/console/api/passkeys',
  'POST /:tenantId/console/api/passkeys/options',
  'POST /:tenantId/console/api/passkeys/finish',
  'DELETE /:tenantId/console/api/passkeys/:passkeyId',
  // The previews the console frames: the operator's session cookie, and the role's IdentityStore:getStore or Journeys:getPage
  'GET /:tenantId/console/preview/:storeName/:page',
  'POST /:tenantId/console/preview/page',
]);
// Swagger UI's own routes.
const isDocs = (url: string) => url === '/docs' || url.startsWith('/docs/');

describe('permission catalogue', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ kind: 'sqlite' });
  });
  after(() => server.close());

  test('every route is public on purpose or declares a permission from the catalogue, and every catalogue entry is used', () => {
    const used = new Set<string>();
    for (const route of server.app.declaredRoutes) {
      const name = `${route.method === 'HEAD' ? 'GET' : route.method} ${route.url}`;
      if (route.permission === undefined) {
        assert.ok(PUBLIC_ROUTES.has(name) || isDocs(route.url), `${name} declares no permission and is not a known public route`);
        continue;
      }
      assert.ok(Object.hasOwn(PERMISSION_CATALOGUE, route.permission), `${name}: ${route.permission} is in the catalogue`);
      used.add(route.permission);
    }
    assert.deepEqual(
      PERMISSIONS.filter((permission) => !used.has(permission)),
      [],
      'every catalogue entry is required by some route',
    );
    const declared = new Set(server.app.declaredRoutes.map((route) => `${route.method} ${route.url}`));
    assert.deepEqual(
      [...PUBLIC_ROUTES].filter((name) => !declared.has(name)),
      [],
      'the public list names only routes that exist',
    );
    const start = server.app.declaredRoutes.find((route) => route.method === 'POST' && route.url === '/:tenantId/journeys/:journeyId/start');
    assert.deepEqual({ permission: start?.permission, bearer: start?.bearer }, { permission: 'Journeys:start', bearer: 'optional' });
  });

  test('OpenAPI shows each protected operation’s permission (x-keyway-permission, bearer security) and lists the catalogue', async () => {
    const document = (await server.http.get('/openapi.json')).body;
    assert.deepEqual(document.components.schemas.Permission.enum, PERMISSIONS);
    for (const permission of PERMISSIONS)
      assert.ok(document.components.schemas.Permission.description.includes(`\`${permission}\``), `${permission} documented`);
    const operations = new Map<string, { 'x-keyway-permission'?: string; security?: unknown }>();
    for (const [path, methods] of Object.entries(document.paths as Record<string, Record<string, { 'x-keyway-permission'?: string; security?: unknown }>>)) {
      for (const [method, operation] of Object.entries(methods)) operations.set(`${method.toUpperCase()} ${path.replace(/\{([^}]+)\}/g, ':$1')}`, operation);
    }
    let checked = 0;
    for (const route of server.app.declaredRoutes) {
      const operation = operations.get(`${route.method} ${route.url}`);
      if (route.permission === undefined || operation === undefined) continue; // hidden aliases (/{tenantId}/…) are not documented twice
      checked += 1;
      assert.equal(operation['x-keyway-permission'], `TNT#{tenant}#${route.permission}`, `${route.method} ${route.url}`);
      assert.deepEqual(operation.security, route.bearer === 'optional' ? [{}, { bearerAuth: [] }] : [{ bearerAuth: [] }], `${route.method} ${route.url}`);
    }
    assert.ok(checked >= PERMISSIONS.length, `${checked} documented protected operations`);
  });

  test('the journey runtime and the admin API share one bearer check', async () => {
    const acme = await server.tenant('acme');
    for (const path of ['/api/journeys', '/acme/journeys/anything/start']) {
      const method = path.endsWith('/start') ? 'POST' : 'GET';
      const bad = await server.http.request(method, path, method === 'POST' ? {} : undefined, { authorization: 'Bearer not-a-token' });
      assert.equal(bad.status, 401, path);
      assert.equal(bad.body.code, 'UNAUTHENTICATED');
      assert.equal(bad.headers.get('www-authenticate'), 'Bearer realm="keyway", error="invalid_token"');
      const malformed = await server.http.request(method, path, method === 'POST' ? {} : undefined, { authorization: 'Basic eDp5' });
      assert.equal(malformed.status, 401, path);
      assert.equal(malformed.headers.get('www-authenticate'), 'Bearer realm="keyway"');
    }
    const viewer = await acme.api.post('/api/admin/clients', { name: 'viewer', permissions: ['TNT#acme#Journeys:list'] });
    const api = server.http.withToken(await server.token(viewer.body.clientId, viewer.body.clientSecret));
    const forbidden = await api.post('/acme/journeys/anything/start', {});
    assert.equal(forbidden.status, 403);
    assert.equal(forbidden.body.detail, 'This operation needs TNT#acme#Journeys:start');
    const otherTenant = await api.post('/globex/journeys/anything/start', {});
    assert.equal(otherTenant.status, 404);
    assert.equal(otherTenant.body.code, 'TENANT_NOT_FOUND');
  });
});
