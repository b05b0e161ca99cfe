import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ERROR_CATALOGUE, ERROR_CODES } from '../../src/errors/catalogue.ts';
import { startTestServer, type TenantFixture, type TestServer } from '../support/test-server.ts';

describe('HTTP behaviour', () => {
  let server: TestServer;
  let acme: TenantFixture;
  before(async () => {
    server = await startTestServer({ kind: 'sqlite', env: { KEYWAY_BODY_LIMIT: '2048' } });
    acme = await server.tenant('acme');
    await acme.api.post('/api/identity-store/stores', { name: 'customers' });
  });
  after(() => server.close());

  test('every catalogue code maps to a 4xx/5xx status and is listed in /openapi.json', async () => {
    const response = await server.http.get('/openapi.json');
    assert.equal(response.status, 200);
    const document = response.body;
    assert.equal(document.openapi, '3.1.0');
    assert.deepEqual(document.components.schemas.ErrorCode.enum, ERROR_CODES);
    for (const code of ERROR_CODES) {
      assert.ok(ERROR_CATALOGUE[code].status >= 400 && ERROR_CATALOGUE[code].status < 600, code);
      assert.ok(document.components.schemas.ErrorCode.description.includes(`\`${code}\``), `${code} documented`);
    }
  });

  test('the OpenAPI document names each protected route’s permission and its error codes', async () => {
    const document = (await server.http.get('/openapi.json')).body;
    const createUser = document.paths['/api/identity-store/stores/{storeName}/users'].post;
    assert.equal(createUser['x-keyway-permission'], 'TNT#{tenant}#IdentityStore:createUser');
    assert.deepEqual(createUser.security, [{ bearerAuth: [] }]);
    assert.match(createUser.responses['409'].description, /EXT_ID_NOT_UNIQUE/);
    assert.match(createUser.responses['409'].description, /USER_KEY_NOT_UNIQUE/);
    assert.match(createUser.responses['401'].description, /UNAUTHENTICATED/);
    assert.match(createUser.responses['403'].description, /FORBIDDEN/);
    assert.match(createUser.responses['400'].description, /VALIDATION_FAILED/);
    for (const [path, methods] of Object.entries(document.paths as Record<string, Record<string, { 'x-keyway-permission'?: string; security?: unknown }>>)) {
      if (!path.startsWith('/api/')) continue;
      for (const [method, operation] of Object.entries(methods)) {
        assert.match(operation['x-keyway-permission'] ?? '', /^TNT#\{tenant\}#[A-Za-z]+:[A-Za-z]+$/, `${method} ${path} names its permission`);
      }
    }
    const docs = await fetch(`${server.url}/docs/`);
    assert.equal(docs.status, 200);
    assert.match(await docs.text(), /<title>Keyway API reference<\/title>/);
  });

  test('errors are problem+json and never leak internals', async () => {
    const notFound = await server.http.get('/no/such/route');
    assert.equal(notFound.status, 404);
    assert.equal(notFound.headers.get('content-type'), 'application/problem+json; charset=utf-8');
    assert.deepEqual(Object.keys(notFound.body).sort(), ['code', 'detail', 'instance', 'status', 'title', 'type']);
    assert.equal(notFound.body.code, 'ROUTE_NOT_FOUND');
    assert.equal(notFound.body.type, 'urn:keyway:error:ROUTE_NOT_FOUND');

    const malformed = await acme.api.request('POST', '/api/identity-store/stores/customers/users', '{"userKey":', {});
    assert.equal(malformed.status, 400);
    assert.equal(malformed.body.code, 'MALFORMED_REQUEST');
    assert.ok(!JSON.stringify(malformed.body).includes('at '), 'no stack trace');

    const tooLarge = await acme.api.post('/api/identity-store/stores/customers/users', { userKey: 'big', firstName: 'x'.repeat(4000) });
    assert.equal(tooLarge.status, 413);
    assert.equal(tooLarge.body.code, 'PAYLOAD_TOO_LARGE');

    const wrongType = await acme.api.request('POST', '/api/identity-store/stores/customers/users', 'userKey=a', { 'content-type': 'text/plain' });
    assert.equal(wrongType.status, 415);
    assert.equal(wrongType.body.code, 'UNSUPPORTED_MEDIA_TYPE');

    const proto = await acme.api.request('POST', '/api/identity-store/stores/customers/users', '{"userKey":"p","__proto__":{"admin":true}}', {});
    assert.equal(proto.status, 400, 'prototype pollution attempts are refused');
  });

  test('request ids: generated, or taken from a well-formed x-request-id, and echoed', async () => {
    const generated = await server.http.get('/healthz');
    assert.match(generated.headers.get('x-request-id') ?? '', /^[0-9a-f-]{36}$/);
    const given = await server.http.get('/healthz', { 'x-request-id': 'trace-abcdef12' });
    assert.equal(given.headers.get('x-request-id'), 'trace-abcdef12');
    const hostile = await server.http.get('/healthz', { 'x-request-id': 'id with spaces; injected' });
    assert.match(hostile.headers.get('x-request-id') ?? '', /^[0-9a-f-]{36}$/);
    const problem = await server.http.get('/nope', { 'x-request-id': 'trace-abcdef34' });
    assert.equal(problem.body.instance, 'trace-abcdef34');
  });

  test('health, readiness and Prometheus metrics', async () => {
    assert.deepEqual((await server.http.get('/healthz')).body, { status: 'ok' });
    assert.deepEqual((await server.http.get('/readyz')).body, { status: 'ready', database: 'sqlite' });
    const metrics = await fetch(`${server.url}/metrics`);
    assert.equal(metrics.status, 200);
    assert.match(metrics.headers.get('content-type') ?? '', /^text\/plain/);
    const text = await metrics.text();
    assert.match(text, /keyway_http_request_duration_seconds_bucket\{.*route="\/healthz"/);
    assert.match(text, /keyway_http_errors_total\{code="ROUTE_NOT_FOUND"\} \d+/);
    assert.match(text, /process_cpu_user_seconds_total/);
  });
});
