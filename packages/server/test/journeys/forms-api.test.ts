// The custom forms admin API over real HTTP on both databases: create / add version / edit draft / validate / publish /
// list / read, bearer permissions `TNT#{t}#Journeys:<action>`, audit rows written with each change, tenant isolation,
// cursor pagination, publish immutability, and the published JSON Schema of the format.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DATABASE_KINDS } from '../support/databases.ts';
import type { ApiResponse } from '../support/http-client.ts';
import { startTestServer, type TenantFixture, type TestServer } from '../support/test-server.ts';
import { PROFILE_FORM, SEED_AUTHENTICATION_FORM, SEED_REGISTRATION_FORM, SEED_RETRY_FORM } from './forms-fixtures.ts';

const BASE = '/api/custom-forms';

function expect(response: ApiResponse, status: number, code?: string): ApiResponse {
  assert.equal(response.status, status, JSON.stringify(response.body));
  if (code !== undefined) {
    assert.equal(response.body.code, code, JSON.stringify(response.body));
    assert.equal(response.headers.get('content-type'), 'application/problem+json; charset=utf-8');
  }
  return response;
}

for (const kind of DATABASE_KINDS) {
  describe(`custom forms API on ${kind}`, () => {
    let server: TestServer;
    let acme: TenantFixture;
    let globex: TenantFixture;
    before(async () => {
      server = await startTestServer({ kind });
      acme = await server.tenant('acme');
      globex = await server.tenant('globex');
    });
    after(() => server.close());

    const auditOf = async (targetId: string) =>
      (
        await server.database.db
          .selectFrom('audit_events')
          .select(['action', 'actor', 'tenant_id', 'details'])
          .where('target_id', '=', targetId)
          .where('target_type', '=', 'form')
          .orderBy('id')
          .execute()
      ).map((r) => ({
        action: r.action,
        actor: r.actor,
        tenant: r.tenant_id,
        details: JSON.parse(r.details ?? 'null'),
      }));

    test('create → version 1 draft; read it back exactly; the change is audited', async () => {
      const created = expect(
        await acme.api.post(BASE, { name: 'passkey-registration', description: 'TrustX registration form', form: SEED_REGISTRATION_FORM }),
        201,
      );
      assert.deepEqual(Object.keys(created.body).sort(), ['createdAt', 'form', 'name', 'status', 'updatedAt', 'version']);
      assert.equal(created.body.version, 1);
      assert.equal(created.body.status, 'draft');
      assert.deepEqual(created.body.form, SEED_REGISTRATION_FORM);
      const read = expect(await acme.api.get(`${BASE}/passkey-registration/versions/1`), 200);
      assert.deepEqual(read.body, created.body);
      const summary = expect(await acme.api.get(`${BASE}/passkey-registration`), 200);
      assert.deepEqual(
        { ...summary.body, createdAt: undefined, updatedAt: undefined },
        {
          name: 'passkey-registration',
          description: 'TrustX registration form',
          latestVersion: 1,
          latestPublishedVersion: null,
          createdAt: undefined,
          updatedAt: undefined,
        },
      );
      assert.deepEqual(await auditOf('passkey-registration'), [
        { action: 'journey.form.create', actor: acme.clientId, tenant: 'acme', details: { version: 1 } },
      ]);
    });

    test('a duplicate name is 409 FORM_ALREADY_EXISTS; an invalid form is 400 with every problem and stores nothing', async () => {
      expect(await acme.api.post(BASE, { name: 'passkey-registration', form: SEED_RETRY_FORM }), 409, 'FORM_ALREADY_EXISTS');
      const broken = structuredClone(PROFILE_FORM) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- test edits
      broken.components[0].validate.minLength = 50;
      broken.components[1].id = 'nickname';
      const refused = expect(await acme.api.post(BASE, { name: 'broken', form: broken }), 400, 'VALIDATION_FAILED');
      assert.deepEqual(refused.body.errors, [
        { field: 'form.components.0.validate.minLength', message: '50 is more than maxLength 12' },
        { field: 'form.components.1.id', message: 'nickname is also the id of component 0; ids must be unique' },
      ]);
      expect(await acme.api.get(`${BASE}/broken`), 404, 'FORM_NOT_FOUND');
      expect(await acme.api.post(BASE, { name: 'bad name!', form: SEED_RETRY_FORM }), 400, 'VALIDATION_FAILED');
      expect(await acme.api.post(BASE, { name: 'no-form' }), 400, 'VALIDATION_FAILED');
      assert.deepEqual(await auditOf('broken'), []);
    });

    test('validate answers 200 with the problems (or none) and stores nothing', async () => {
      const fine = expect(await acme.api.post(`${BASE}/validate`, { form: SEED_AUTHENTICATION_FORM }), 200);
      assert.deepEqual(fine.body, { valid: true, errors: [], warnings: [] });
      const bad = expect(
        await acme.api.post(`${BASE}/validate`, {
          form: {
            title: { values: { en: 'x' }, type: 'title' },
            components: [{ type: 'text', id: 'a', label: { values: {} }, index: 0, readOnly: true, transient: true }],
          },
        }),
        200,
      );
      assert.deepEqual(bad.body, {
        valid: true,
        errors: [],
        warnings: [{ field: 'form.components.0', message: 'read-only and transient: the value is neither editable nor kept' }],
      });
      const invalid = expect(await acme.api.post(`${BASE}/validate`, { form: { title: { values: { en: 'x' } }, components: [] } }), 200);
      assert.deepEqual(invalid.body, { valid: false, errors: [{ field: 'form.title.type', message: 'is required' }], warnings: [] });
    });

    test('versions: add a draft, edit it, publish it; a published version is immutable; numbering continues', async () => {
      const v2 = expect(await acme.api.post(`${BASE}/passkey-registration/versions`, { form: SEED_AUTHENTICATION_FORM }), 201);
      assert.equal(v2.body.version, 2);
      assert.equal(v2.body.status, 'draft');
      const edited = expect(await acme.api.request('PUT', `${BASE}/passkey-registration/versions/2`, { form: PROFILE_FORM }), 200);
      assert.deepEqual(edited.body.form, PROFILE_FORM);
      const published = expect(await acme.api.post(`${BASE}/passkey-registration/versions/2/publish`), 200);
      assert.equal(published.body.status, 'published');
      assert.match(published.body.publishedAt, /^\d{4}-\d\d-\d\dT/);
      assert.deepEqual(published.body.form, PROFILE_FORM);
      const before = await server.database.db.selectFrom('journey_content_versions').selectAll().orderBy('id').execute();
      expect(await acme.api.request('PUT', `${BASE}/passkey-registration/versions/2`, { form: SEED_RETRY_FORM }), 409, 'CONTENT_VERSION_PUBLISHED');
      const again = expect(await acme.api.post(`${BASE}/passkey-registration/versions/2/publish`), 200);
      assert.equal(again.body.publishedAt, published.body.publishedAt, 'publishing again changes nothing');
      assert.deepEqual(await server.database.db.selectFrom('journey_content_versions').selectAll().orderBy('id').execute(), before);
      expect(await acme.api.get(`${BASE}/passkey-registration/versions/2`), 200);
      expect(await acme.api.get(`${BASE}/passkey-registration/versions/9`), 404, 'FORM_VERSION_NOT_FOUND');
      expect(await acme.api.post(`${BASE}/passkey-registration/versions/9/publish`), 404, 'FORM_VERSION_NOT_FOUND');
      const v3 = expect(await acme.api.post(`${BASE}/passkey-registration/versions`, { form: SEED_RETRY_FORM }), 201);
      assert.equal(v3.body.version, 3);
      const summary = expect(await acme.api.get(`${BASE}/passkey-registration`), 200);
      assert.equal(summary.body.latestVersion, 3);
      assert.equal(summary.body.latestPublishedVersion, 2);
      const versions = expect(await acme.api.get(`${BASE}/passkey-registration/versions`), 200);
      assert.deepEqual(
        versions.body.items.map((v: { version: number; status: string }) => [v.version, v.status]),
        [
          [1, 'draft'],
          [2, 'published'],
          [3, 'draft'],
        ],
      );
      assert.equal(versions.body.nextCursor, null);
      assert.deepEqual(
        (await auditOf('passkey-registration')).map((e) => [e.action, e.details.version]),
        [
          ['journey.form.create', 1],
          ['journey.form.version.create', 2],
          ['journey.form.version.update', 2],
          ['journey.form.publish', 2],
          ['journey.form.version.create', 3],
        ],
      );
    });

    test('the runtime uses only published versions', async () => {
      const latest = await server.services.forms.findPublished('acme', 'passkey-registration');
      assert.equal(latest.version, 2);
      assert.deepEqual(latest.body, PROFILE_FORM);
      await assert.rejects(server.services.forms.findPublished('acme', 'passkey-registration', 3), { code: 'CONTENT_VERSION_NOT_PUBLISHED' });
      await assert.rejects(server.services.forms.findPublished('globex', 'passkey-registration', 2), { code: 'FORM_NOT_FOUND' });
    });

    test('parallel new versions get distinct numbers', async () => {
      expect(await acme.api.post(BASE, { name: 'race', form: SEED_RETRY_FORM }), 201);
      const answers = await Promise.all(Array.from({ length: 4 }, () => acme.api.post(`${BASE}/race/versions`, { form: SEED_RETRY_FORM })));
      assert.deepEqual(
        answers.map((a) => a.status),
        [201, 201, 201, 201],
      );
      assert.deepEqual(answers.map((a) => a.body.version).sort(), [2, 3, 4, 5]);
    });

    test('list: cursor pagination over the tenant’s forms only', async () => {
      for (const name of ['p-1', 'p-2', 'p-3']) expect(await acme.api.post(BASE, { name, form: SEED_RETRY_FORM }), 201);
      expect(await globex.api.post(BASE, { name: 'globex-form', form: SEED_RETRY_FORM }), 201);
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const page: ApiResponse = expect(await acme.api.get(`${BASE}?limit=2${cursor ? `&cursor=${cursor}` : ''}`), 200);
        assert.ok(page.body.items.length <= 2);
        seen.push(...page.body.items.map((i: { name: string }) => i.name));
        cursor = page.body.nextCursor;
      } while (cursor !== null);
      assert.deepEqual(seen, ['passkey-registration', 'race', 'p-1', 'p-2', 'p-3']);
      expect(await acme.api.get(`${BASE}?cursor=bm90LWEtY3Vyc29y`), 400, 'INVALID_CURSOR');
    });

    test('tenant isolation: another tenant’s form is 404 for every operation', async () => {
      expect(await globex.api.get(`${BASE}/passkey-registration`), 404, 'FORM_NOT_FOUND');
      expect(await globex.api.get(`${BASE}/passkey-registration/versions/1`), 404, 'FORM_NOT_FOUND');
      expect(await globex.api.post(`${BASE}/passkey-registration/versions`, { form: SEED_RETRY_FORM }), 404, 'FORM_NOT_FOUND');
      expect(await globex.api.post(`${BASE}/passkey-registration/versions/3/publish`), 404, 'FORM_NOT_FOUND');
      expect(await globex.api.request('PUT', `${BASE}/passkey-registration/versions/3`, { form: SEED_RETRY_FORM }), 404, 'FORM_NOT_FOUND');
      expect(await globex.api.post(BASE, { name: 'passkey-registration', form: SEED_RETRY_FORM }), 201, undefined);
    });

    test('bearer and permissions: 401 without a token, 403 without Journeys:<action>, allowed with exactly it', async () => {
      expect(await server.http.get(BASE), 401, 'UNAUTHENTICATED');
      const readOnly = server.http.withToken(await server.token(acme.clientId, acme.clientSecret, 'TNT#acme#Journeys:listForms TNT#acme#Journeys:getForm'));
      expect(await readOnly.get(BASE), 200);
      expect(await readOnly.get(`${BASE}/passkey-registration/versions/1`), 200);
      const forbidden = expect(await readOnly.post(BASE, { name: 'nope', form: SEED_RETRY_FORM }), 403, 'FORBIDDEN');
      assert.match(forbidden.body.detail, /TNT#acme#Journeys:createForm/);
      expect(await readOnly.post(`${BASE}/passkey-registration/versions/3/publish`), 403, 'FORBIDDEN');
      expect(await readOnly.post(`${BASE}/validate`, { form: SEED_RETRY_FORM }), 403, 'FORBIDDEN');
      const publisher = server.http.withToken(await server.token(acme.clientId, acme.clientSecret, 'TNT#acme#Journeys:publishForm'));
      expect(await publisher.post(`${BASE}/passkey-registration/versions/3/publish`), 200);
    });

    test('the OpenAPI document lists the routes with their permissions, and the format’s JSON Schema is published', async () => {
      const document = (await server.http.get('/openapi.json')).body;
      assert.equal(document.paths['/api/custom-forms'].post['x-keyway-permission'], 'TNT#{tenant}#Journeys:createForm');
      assert.equal(document.paths['/api/custom-forms/{name}/versions/{version}/publish'].post['x-keyway-permission'], 'TNT#{tenant}#Journeys:publishForm');
      assert.match(document.paths['/api/custom-forms/{name}/versions/{version}'].put.responses['409'].description, /CONTENT_VERSION_PUBLISHED/);
      const schema = expect(await server.http.get('/schemas/custom-form.json'), 200);
      assert.equal(schema.headers.get('content-type'), 'application/schema+json; charset=utf-8');
      assert.equal(schema.body.$schema, 'https://json-schema.org/draft/2020-12/schema');
      assert.deepEqual(schema.body.required, ['title']);
      assert.ok(
        schema.body.properties.components.items.anyOf.some((c: { properties: { type: { const: string } } }) => c.properties.type.const === 'paragraph'),
      );
    });
  });
}
