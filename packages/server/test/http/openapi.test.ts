// The OpenAPI document is one a client generator can use: valid OpenAPI 3.1 by an independent
// validator, a unique operationId per operation, named component schemas, an example of each error
// code under its response, described tags, servers, and a request body on every POST/PUT/PATCH.
// A typed client generated from it with openapi-typescript type-checks under tsc.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { get as httpGet } from 'node:http';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { compileErrors, validate } from '@readme/openapi-parser';
import openapiTS, { astToString } from 'openapi-typescript';
import { ERROR_CATALOGUE, ERROR_CODES, type ErrorCode } from '../../src/errors/catalogue.ts';
import { OPENAPI_TAGS } from '../../src/http/openapi.ts';
import { startTestServer, type TenantFixture, type TestServer } from '../support/test-server.ts';

interface Operation {
  operationId?: string;
  tags?: string[];
  requestBody?: { required?: boolean; content: Record<string, { schema: { type?: string; additionalProperties?: boolean; properties?: object } }> };
  responses: Record<
    string,
    { description: string; content?: Record<string, { schema?: unknown; examples?: Record<string, { value: { code: string; status: number } }> }> }
  >;
}
interface Document {
  tags: { name: string; description: string }[];
  servers: { url: string }[];
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, Record<string, unknown>> };
}

const PUBLIC_URL = 'https://id.example.com';
const METHODS_WITH_BODY = new Set(['post', 'put', 'patch']);

function operationsOf(document: Document): [string, Operation][] {
  return Object.entries(document.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, operation]) => [`${method.toUpperCase()} ${path}`, operation] as [string, Operation]),
  );
}

/** GET /openapi.json with the Host header given (fetch may not set it). */
async function documentReachedAs(baseUrl: string, host: string): Promise<Document> {
  const chunks: Buffer[] = [];
  await new Promise<void>((resolve, reject) => {
    const request = httpGet(`${baseUrl}/openapi.json`, { headers: { host } }, (response) => {
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', resolve);
    });
    request.on('error', reject);
  });
  return JSON.parse(Buffer.concat(chunks).toString('utf8')) as Document;
}

describe('OpenAPI document', () => {
  let server: TestServer;
  let acme: TenantFixture;
  let document: Document;
  before(async () => {
    server = await startTestServer({ kind: 'sqlite', env: { KEYWAY_PUBLIC_URL: PUBLIC_URL } });
    acme = await server.tenant('acme');
    const response = await server.http.get('/openapi.json');
    assert.equal(response.status, 200);
    document = response.body as Document;
  });
  after(() => server.close());

  test('is valid OpenAPI 3.1 by @readme/openapi-parser, with no warnings', async () => {
    const result = await validate(structuredClone(document) as never);
    assert.ok(result.valid, result.valid ? '' : compileErrors(result));
    assert.deepEqual(result.warnings, []);
  });

  test('every operation has a camelCase operationId, unique in the document', () => {
    const seen = new Map<string, string>();
    const operations = operationsOf(document);
    assert.ok(operations.length > 100, `${operations.length} operations`);
    for (const [name, operation] of operations) {
      assert.match(operation.operationId ?? '', /^[a-z][A-Za-z0-9]*$/, `${name} has a camelCase operationId`);
      assert.equal(seen.get(operation.operationId!), undefined, `${operation.operationId} is used by ${seen.get(operation.operationId!)} and ${name}`);
      seen.set(operation.operationId!, name);
    }
    // The names are part of generated clients: a few are pinned.
    assert.equal(seen.get('createUser'), 'POST /api/identity-store/stores/{storeName}/users');
    assert.equal(
      seen.get('startPasskeyRegistration'),
      'POST /api/identity-store/stores/{storeName}/users/{userId}/passkeys/relyingParties/{rpId}/registrations/{regPolicyName}',
    );
    assert.equal(seen.get('beginPasskeyRegistration'), 'POST /{tenantId}/identity/{storeName}/me/passkeys/register/begin');
    assert.equal(seen.get('issueAccessToken'), 'POST /oauth2/token');
  });

  test('shared schemas are named components (no def-N), referenced where they are used', () => {
    const names = Object.keys(document.components.schemas);
    assert.deepEqual(
      names.filter((name) => /^def-\d+$/.test(name)),
      [],
    );
    for (const name of [
      'Problem',
      'ErrorCode',
      'Permission',
      'Store',
      'StorePage',
      'User',
      'UserPage',
      'CreateUserRequest',
      'RelyingParty',
      'RegistrationPolicy',
      'AuthenticationPolicy',
      'Passkey',
      'StartedPasskeyRegistration',
      'PublicKeyCredentialCreationOptionsJSON',
      'ApiClient',
      'AuditEvent',
      'Journey',
    ]) {
      assert.ok(names.includes(name), `${name} is a component schema`);
    }
    const createUser = document.paths['/api/identity-store/stores/{storeName}/users']!.post!;
    assert.deepEqual(createUser.requestBody!.content['application/json']!.schema, { $ref: '#/components/schemas/CreateUserRequest' });
    assert.deepEqual(createUser.responses['201']!.content!['application/json']!.schema, { $ref: '#/components/schemas/User' });
    const listUsers = document.paths['/api/identity-store/stores/{storeName}/users']!.get!;
    assert.deepEqual(listUsers.responses['200']!.content!['application/json']!.schema, { $ref: '#/components/schemas/UserPage' });
    assert.deepEqual((document.components.schemas.UserPage!.properties as { items: unknown }).items, {
      type: 'array',
      items: { $ref: '#/components/schemas/User' },
    });
  });

  test('each error response shows an example of each of its codes, and only of its codes', () => {
    let examples = 0;
    for (const [name, operation] of operationsOf(document)) {
      for (const [status, response] of Object.entries(operation.responses)) {
        if (Number(status) < 400) continue;
        const codes = response.description.replace(/^Error codes: /, '').split(', ') as ErrorCode[];
        for (const code of codes) assert.equal(ERROR_CATALOGUE[code]?.status, Number(status), `${name} ${status}: ${code}`);
        const media = response.content!['application/problem+json']!;
        assert.deepEqual(media.schema, { $ref: '#/components/schemas/Problem' });
        assert.deepEqual(Object.keys(media.examples ?? {}), codes, `${name} ${status}`);
        for (const [code, example] of Object.entries(media.examples!)) {
          assert.equal(example.value.code, code);
          assert.equal(example.value.status, Number(status));
          examples += 1;
        }
      }
    }
    const getStore = document.paths['/api/identity-store/stores/{storeName}']!.get!;
    const notFound = getStore.responses['404']!.content!['application/problem+json']!.examples!;
    assert.deepEqual(Object.keys(notFound), ['STORE_NOT_FOUND']);
    assert.deepEqual(notFound.STORE_NOT_FOUND!.value, {
      type: 'urn:keyway:error:STORE_NOT_FOUND',
      title: 'No such identity store',
      status: 404,
      detail: 'No such identity store',
      code: 'STORE_NOT_FOUND',
      instance: '6f1c2b9e-3d4a-4e5f-8a7b-9c0d1e2f3a4b',
    });
    assert.ok(examples > 500, `${examples} examples`);
  });

  test('the error catalogue and the permissions are their own schemas, not the introduction', () => {
    const info = (document as unknown as { info: { description: string } }).info.description;
    for (const code of ERROR_CODES) {
      assert.ok(!info.includes(`\`${code}\``), `${code} is not listed in the introduction`);
      assert.ok(
        String(document.components.schemas.ErrorCode!.description).includes(`| \`${code}\` | ${ERROR_CATALOGUE[code].status} |`),
        `${code} is in the ErrorCode table`,
      );
    }
    assert.match(info, /ErrorCode/);
  });

  test('tags: every tag used is declared with a description, in the order the docs show, and every declared tag is used', () => {
    assert.deepEqual(document.tags, OPENAPI_TAGS);
    const used = new Set(operationsOf(document).flatMap(([, operation]) => operation.tags ?? []));
    for (const [name, operation] of operationsOf(document)) assert.equal(operation.tags?.length, 1, `${name} has one tag`);
    assert.deepEqual([...used].sort(), document.tags.map((tag) => tag.name).sort());
    for (const tag of document.tags) assert.ok(tag.description.length > 20, `${tag.name} is described`);
  });

  test('servers: the public URL first, then the origin the request reached when it differs', async () => {
    assert.deepEqual(
      document.servers.map((s) => s.url),
      [PUBLIC_URL, server.url],
    );
    const port = new URL(server.url).port;
    assert.deepEqual(
      (await documentReachedAs(server.url, `localhost:${port}`)).servers.map((s) => s.url),
      [PUBLIC_URL, `http://localhost:${port}`],
    );
    assert.deepEqual(
      (await documentReachedAs(server.url, 'id.example.com')).servers.map((s) => s.url),
      [PUBLIC_URL, 'http://id.example.com'],
    );
    // The docs' own address of the document answers the same.
    const docsJson = (await server.http.get('/docs/json')).body as Document;
    assert.deepEqual(
      docsJson.servers.map((s) => s.url),
      [PUBLIC_URL, server.url],
    );
    assert.deepEqual(docsJson.paths, document.paths);
  });

  test('every POST, PUT and PATCH declares its request body; an action takes none or {}, and refuses anything else', async () => {
    for (const [name, operation] of operationsOf(document)) {
      if (!METHODS_WITH_BODY.has(name.split(' ')[0]!.toLowerCase())) continue;
      assert.ok(
        operation.requestBody?.content['application/json'] ?? operation.requestBody?.content['application/x-www-form-urlencoded'],
        `${name} declares a body`,
      );
    }
    const rotate = document.paths['/api/admin/signing-keys/rotate']!.post!;
    assert.equal(rotate.requestBody!.required, false);
    const empty = rotate.requestBody!.content['application/json']!.schema;
    assert.equal(empty.type, 'object');
    assert.equal(empty.additionalProperties, false);
    assert.deepEqual(empty.properties ?? {}, {});
    // A ceremony start's body may be left out, and the document says so; a finish's may not.
    const ceremonies = '/api/identity-store/stores/{storeName}/users/{userId}/passkeys';
    assert.equal(document.paths[`${ceremonies}/relyingParties/{rpId}/registrations/{regPolicyName}`]!.post!.requestBody!.required, false);
    assert.equal(document.paths[`${ceremonies}/registrations/sessions/{sessionId}`]!.post!.requestBody!.required, true);
    // What the document says holds: no body, or {}, are accepted; any other body is refused and changes nothing.
    const keyCount = async () => ((await acme.api.get('/api/admin/signing-keys')).body as { items: unknown[] }).items.length;
    assert.equal((await acme.api.request('POST', '/api/admin/signing-keys/rotate', undefined, {})).status, 200);
    assert.equal((await acme.api.post('/api/admin/signing-keys/rotate', {})).status, 200);
    const keys = await keyCount();
    // (A string is sent as it stands: '"now"' is a JSON string, 'now' is not JSON.)
    for (const [body, code] of [
      [{ force: true }, 'VALIDATION_FAILED'],
      ['"now"', 'VALIDATION_FAILED'],
      [[1], 'VALIDATION_FAILED'],
      ['now', 'MALFORMED_REQUEST'],
    ] as const) {
      const refused = await acme.api.post('/api/admin/signing-keys/rotate', body);
      assert.equal(refused.status, 400, JSON.stringify(body));
      assert.equal((refused.body as { code: string }).code, code, JSON.stringify(body));
    }
    assert.equal(await keyCount(), keys, 'a refused rotation rotates nothing');
    assert.match(rotate.responses['400']!.description, /VALIDATION_FAILED/);
  });

  test('a client generated by openapi-typescript type-checks under tsc, error codes and bodies included', async () => {
    const directory = await mkdtemp(join(tmpdir(), 'keyway-openapi-client-'));
    try {
      await writeFile(join(directory, 'keyway.d.ts'), astToString(await openapiTS(structuredClone(document) as never)));
      await writeFile(join(directory, 'usage.ts'), USAGE);
      await writeFile(
        join(directory, 'tsconfig.json'),
        JSON.stringify({
          compilerOptions: { strict: true, noEmit: true, target: 'es2022', module: 'nodenext', moduleResolution: 'nodenext', types: [], skipLibCheck: false },
          files: ['usage.ts'],
        }),
      );
      const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
      const run = await promisify(execFile)(process.execPath, [tsc, '-p', directory], { cwd: directory }).then(
        () => ({ code: 0, stdout: '' }),
        (error: { code: number; stdout: string }) => error,
      );
      assert.equal(run.code, 0, run.stdout);
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  });
});

/** A small program against the generated types; each `@ts-expect-error` fails the check if the types are too loose. */
const USAGE = `import type { components, operations, paths } from './keyway.js';

type User = components['schemas']['User'];
type CreateUser = operations['createUser']['requestBody']['content']['application/json'];
type StoreNotFound = operations['getStore']['responses'][404]['content']['application/problem+json'];
type Started = operations['startPasskeyRegistration']['responses'][200]['content']['application/json'];

export const user: User = { id: 'u1', userKey: 'alice', externalId: 'e1', nationalities: [], status: 'active', attributes: {}, createdAt: '2026-01-01T00:00:00Z', updatedAt: '2026-01-01T00:00:00Z' };
export const body: CreateUser = { userKey: 'alice', email: 'alice@example.com' };
// @ts-expect-error userKey is required
export const noKey: CreateUser = { email: 'alice@example.com' };
export const problem: StoreNotFound = { type: 'urn:keyway:error:STORE_NOT_FOUND', title: 'No such identity store', status: 404, detail: 'No such identity store', code: 'STORE_NOT_FOUND' };
// @ts-expect-error a code outside the catalogue
export const unknownCode: StoreNotFound['code'] = 'NOT_A_CODE';
export const challenge: Started['clientRequest']['challenge'] = 'b64url';
export const page: components['schemas']['StorePage'] = { items: [], nextCursor: null };
// An action POST and a ceremony start may be called without a body.
export const publish: paths['/api/journeys/{journeyId}/publish']['post']['requestBody'] = undefined;
export const start: operations['startPasskeyRegistration']['requestBody'] = undefined;
// @ts-expect-error finishing a ceremony needs the authenticator's response
export const finish: operations['completePasskeyRegistration']['requestBody'] = undefined;
`;
