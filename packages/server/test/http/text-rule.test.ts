// One rule for every string the API reads: NUL, other C0/C1 controls and unpaired surrogates are refused with 400
// VALIDATION_FAILED naming the field, on every kind of route (public or admin, path, query, header, JSON or form
// body, values and keys at any depth), before anything reaches the database — PostgreSQL refuses NUL in text and
// SQLite drivers cut strings at it.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { unsafeTextProblem } from '../../src/http/text-rule.ts';
import { ADMIN, SelfServiceWorld, expectStatus } from '../selfservice/selfservice-fixture.ts';
import { DATABASE_KINDS } from '../support/databases.ts';
import { snapshotDatabase } from '../support/database-snapshot.ts';

describe('text rule', () => {
  test('TAB, LF and CR are free text in a body only; NUL, C1, DEL and unpaired surrogates nowhere; keys are single-line', () => {
    assert.equal(unsafeTextProblem({ pem: '-----BEGIN\r\n\tx\n-----END' }, 'body'), undefined);
    assert.equal(unsafeTextProblem({ ok: 'emoji \uD83D\uDE00 ｂｏｂ' }, 'body'), undefined);
    assert.deepEqual(unsafeTextProblem({ a: [{ b: 'x\u0000' }] }, 'body')?.field, 'a.0.b');
    assert.deepEqual(unsafeTextProblem({ a: 'x\u007F' }, 'body')?.field, 'a');
    assert.deepEqual(unsafeTextProblem({ a: 'x\u009F' }, 'body')?.field, 'a');
    assert.deepEqual(unsafeTextProblem({ a: '\uDBFF' }, 'body')?.field, 'a');
    assert.deepEqual(unsafeTextProblem({ a: { 'k\n': 'v' } }, 'body')?.field, 'a');
    assert.deepEqual(unsafeTextProblem({ q: 'a\nb' }, 'query')?.field, 'query.q');
    assert.deepEqual(unsafeTextProblem({ storeName: 'x\t' }, 'params')?.field, 'params.storeName');
  });
});

for (const kind of DATABASE_KINDS) {
  describe(`text rule on every kind of route, ${kind}`, () => {
    let world: SelfServiceWorld;
    let userId: string;

    before(async () => {
      world = await SelfServiceWorld.create(kind);
      userId = (await expectStatus(world.api.post(`${ADMIN}/users`, { userKey: 'erin@x.example' }), 201)).body.id;
    });
    after(() => world.close());

    test('each route kind answers 400 VALIDATION_FAILED naming the field, and the database is unchanged', async () => {
      const api = world.api;
      const browser = world.browser();
      const anonymous = world.server.http;
      const cases: [string, () => Promise<{ status: number; body: { code?: string; errors?: { field: string }[] } }>, string][] = [
        // public, unauthenticated
        ['sign-in options, identifier', () => browser.post('/login/webauthn/options', { identifier: 'carol@x\u0000' }), 'identifier'],
        // JSON.stringify sends a lone surrogate as the escape \ud800, which JSON.parse turns back into one.
        ['sign-in options, lone surrogate', () => browser.post('/login/webauthn/options', { identifier: 'a\uD800' }), 'identifier'],
        ['sign-in options, tenant path parameter', () => browser.request('POST', '/acme%00/identity/customers/login/webauthn/options', {}), 'params.tenantId'],
        ['sign-in options, store path parameter', () => browser.request('POST', '/acme/identity/cust%00omers/login/webauthn/options', {}), 'params.storeName'],
        [
          'sign-up begin, displayName',
          () => browser.post('/register/webauthn/begin', { identifier: 'new@x.example', displayName: 'New\u0000' }),
          'displayName',
        ],
        [
          'sign-in finish, credential id',
          () => browser.post('/login/webauthn/finish', { id: 'AA\u0000', rawId: 'AA', type: 'public-key', response: {}, clientExtensionResults: {} }),
          'id',
        ],
        [
          'sign-in finish, extension key',
          () => browser.post('/login/webauthn/finish', { id: 'AA', rawId: 'AA', type: 'public-key', response: {}, clientExtensionResults: { 'x\u0000': 1 } }),
          'clientExtensionResults',
        ],
        ['recovery begin, token', () => browser.post('/recovery/begin', { token: 't\u0000' }), 'token'],
        ['user agent header (C1)', () => browser.post('/login/webauthn/options', {}, { 'user-agent': 'agent\u0085' }), 'headers.user-agent'],
        ['journey start, tenant path parameter', () => anonymous.post('/acme%00/journeys/j1/start', {}), 'params.tenantId'],
        [
          'token endpoint, form client_id',
          () =>
            anonymous.request('POST', '/oauth2/token', 'grant_type=client_credentials&client_id=a%00b&client_secret=x', {
              'content-type': 'application/x-www-form-urlencoded',
            }),
          'client_id',
        ],
        // admin API
        ['create store, displayName', () => api.post('/api/identity-store/stores', { name: 'other', displayName: 'O\u0000' }), 'displayName'],
        ['update store, displayName', () => api.patch(ADMIN, { displayName: '\u0000' }), 'displayName'],
        ['create user, userKey', () => api.post(`${ADMIN}/users`, { userKey: 'carol@x\u0000' }), 'userKey'],
        ['update user by id, attribute value', () => api.patch(`${ADMIN}/users/${userId}`, { attributes: { a: '\u0000' } }), 'attributes.a'],
        ['get user, path parameter', () => api.get(`${ADMIN}/users/${userId}%00`), 'params.userId'],
        ['list users, query userKey', () => api.get(`${ADMIN}/users?userKey=carol%00`), 'query.userKey'],
        ['list users, query email', () => api.get(`${ADMIN}/users?email=a%00@x.example`), 'query.email'],
        [
          'create relying party, name',
          () => api.post(`${ADMIN}/passkeys/relyingParties`, { id: 'x.example', name: 'X\u0000', origins: ['https://x.example'] }),
          'name',
        ],
        ['create registration policy, name', () => api.post(`${ADMIN}/passkeys/registrationPolicies`, { name: 'p\u0000' }), 'name'],
        [
          'start registration, userName',
          () => api.post(`${ADMIN}/users/${userId}/passkeys/relyingParties/keyway.test/registrations/default`, { userName: 'erin\u0000' }),
          'userName',
        ],
        ['create API client, name', () => api.post('/api/admin/clients', { name: 'c\u0000', permissions: ['TNT#acme#*'] }), 'name'],
        [
          'create journey, key deep in the definition',
          () => api.post('/api/journeys', { name: 'j', definition: { steps: { 'a\u0000': {} } } }),
          'definition.steps',
        ],
        ['create custom form, value deep inside', () => api.post('/api/custom-forms', { name: 'f', content: [{ text: 'x\uDFFF' }] }), 'content.0.text'],
      ];
      const before = await snapshotDatabase(world.server.database);
      for (const [name, send, field] of cases) {
        const answered = await send();
        assert.equal(answered.status, 400, `${name}: ${JSON.stringify(answered.body)}`);
        assert.equal(answered.body.code, 'VALIDATION_FAILED', name);
        assert.equal(answered.body.errors?.[0]?.field, field, name);
      }
      assert.deepEqual(await snapshotDatabase(world.server.database), before);
    });

    test('typed strings are single-line unless their schema says x-multiline: a line break in a name is 400, in a PEM certificate or page HTML it is not', async () => {
      const api = world.api;
      const before = await snapshotDatabase(world.server.database);
      for (const [send, field] of [
        [() => api.post(`${ADMIN}/users`, { userKey: 'frank', firstName: 'Frank\nEvil' }), 'firstName'],
        [() => api.patch(ADMIN, { displayName: 'tab\there' }), 'displayName'],
        [() => api.post('/api/admin/clients', { name: 'c\r\n', permissions: ['TNT#acme#*'] }), 'name'],
      ] as const) {
        const refused = await send();
        assert.equal(refused.status, 400, JSON.stringify(refused.body));
        assert.deepEqual(refused.body.errors[0], { field, message: 'must be a single line (no tab or line break)' });
      }
      assert.deepEqual(await snapshotDatabase(world.server.database), before);
      // Declared multi-line: the PEM field of a registration policy (refused for its content, not for its lines)
      // and custom page HTML are stored with their line breaks.
      const pem = await api.post(`${ADMIN}/passkeys/registrationPolicies`, {
        name: 'pem',
        attestationTrust: { rootCertificates: ['-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----'] },
      });
      assert.notEqual(pem.body.errors?.[0]?.message, 'must be a single line (no tab or line break)', JSON.stringify(pem.body));
      const page = await expectStatus(api.post('/api/custom-pages', { name: 'multi', description: 'line one\nline two', html: '<p>\n\tHello\n</p>' }), 201);
      assert.equal(page.body.html, '<p>\n\tHello\n</p>');
    });

    test('typed single-line strings refuse bidi embedding, override and isolate controls (Trojan Source): 400 naming the field, nothing stored; LRM/RLM stay allowed', async () => {
      const api = world.api;
      const message = 'must not contain bidirectional embedding, override or isolate controls (U+202A-U+202E, U+2066-U+2069)';
      const before = await snapshotDatabase(world.server.database, ['selfservice_rate_limits']);
      for (const [send, field] of [
        [() => api.post(`${ADMIN}/users`, { userKey: 'mallory', firstName: 'Ada\u202Eninmda' }), 'firstName'],
        [() => api.post(`${ADMIN}/users`, { userKey: 'mallory', lastName: 'x\u2067y\u2069' }), 'lastName'],
        [() => api.post(`${ADMIN}/users`, { userKey: 'mallory', type: '\u202Dstaff' }), 'type'],
        [() => api.patch(ADMIN, { displayName: 'Customers\u202A' }), 'displayName'],
        [() => api.post('/api/admin/clients', { name: 'c\u2066', permissions: ['TNT#acme#*'] }), 'name'],
        [() => world.browser().post('/register/webauthn/begin', { identifier: 'mallory@x.example', displayName: 'Bank\u202Eadmin' }), 'displayName'],
      ] as const) {
        const refused = await send();
        assert.equal(refused.status, 400, JSON.stringify(refused.body));
        assert.equal(refused.body.code, 'VALIDATION_FAILED');
        assert.deepEqual(refused.body.errors[0], { field, message });
      }
      assert.deepEqual(await snapshotDatabase(world.server.database, ['selfservice_rate_limits']), before);
      // The implicit direction marks are how mixed-script names are written; they reorder nothing beyond a neutral.
      const named = await expectStatus(api.post(`${ADMIN}/users`, { userKey: 'mixed', firstName: 'دانا\u200F', lastName: 'Smith\u200E' }), 201);
      assert.equal(named.body.firstName, 'دانا\u200F');
      // Multi-line free text (custom page HTML) is not a name and keeps what it was given.
      const page = await expectStatus(api.post('/api/custom-pages', { name: 'bidi', html: '<p dir="rtl">\u2067x\u2069</p>' }), 201);
      assert.equal(page.body.html, '<p dir="rtl">\u2067x\u2069</p>');
    });
  });
}
