// A standing fuzz test of the HTTP edge: every write operation (POST, PUT, PATCH, DELETE) that /openapi.json of a
// real running server lists gets generated bad input — wrong types, oversized strings, controls, NUL, unpaired
// surrogates, `__proto__` / `constructor` keys, deep nesting, malformed JSON, invalid base64url and CBOR in
// credential bodies, bad path parameters and query values — with a full-admin token of a set-up tenant (store,
// relying party, policies, self-service on, a user with a passkey and a signed-in browser session) so requests get
// past authentication to the validators and handlers. Every answer must be a coded 4xx, and the database must be
// unchanged after each operation (every table's content hash; rate-limit counters excepted, counting attempts is
// their purpose). The generator is deterministic: a seeded PRNG, so a failure names a reproducible request.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ADMIN, ORIGIN, SelfServiceWorld, expectStatus } from '../selfservice/selfservice-fixture.ts';
import { DATABASE_KINDS } from '../support/databases.ts';
import { snapshotDatabase } from '../support/database-snapshot.ts';

const REQUESTS_PER_DATABASE = 2000;
const SEED = 0x6b657977; // "keyw"
/** Counters a refused request may legitimately move (attempts are what they count). */
const NOT_SNAPSHOTTED = ['selfservice_rate_limits'];

/** A refused passkey ceremony is recorded on purpose (an audit event with outcome failure): everything else must stay. */
const recordedRefusal = (table: string, row: Record<string, unknown>) => table === 'audit_events' && row.outcome === 'failure';

/** mulberry32: a small deterministic PRNG; injected so every run sends the same requests. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// ── the OpenAPI document, as far as the generator reads it ──
interface JsonSchema {
  $ref?: string;
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  enum?: unknown[];
  const?: unknown;
  maxLength?: number;
  format?: string;
  additionalProperties?: boolean | JsonSchema;
}
interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header' | 'cookie';
  schema?: JsonSchema;
}
interface Operation {
  parameters?: Parameter[];
  requestBody?: { content?: Record<string, { schema?: JsonSchema }> };
}
interface OpenApi {
  paths: Record<string, Record<string, Operation>>;
  components?: { schemas?: Record<string, JsonSchema> };
}
interface WriteOperation {
  method: string;
  path: string;
  parameters: Parameter[];
  mediaType: string | undefined;
  body: JsonSchema | undefined;
}

function writeOperations(doc: OpenApi): WriteOperation[] {
  const operations: WriteOperation[] = [];
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const method of ['post', 'put', 'patch', 'delete']) {
      const op = item[method];
      if (!op) continue;
      const [mediaType, content] = Object.entries(op.requestBody?.content ?? {})[0] ?? [];
      operations.push({ method: method.toUpperCase(), path, parameters: op.parameters ?? [], mediaType, body: resolve(doc, content?.schema) });
    }
  }
  return operations;
}

// ── generated bad values ──
type Random = () => number;
const pick = <T>(random: Random, items: readonly T[]): T => items[Math.floor(random() * items.length)]!;

const BAD_CHARACTERS = ['\u0000', '\u0001', '\u0008', '\u001b', '\u007f', '\u0085', '\u009f', '\ud800', '\udfff', '\u0000\u0000'];
const controlString = (random: Random) => `fuzz${pick(random, BAD_CHARACTERS)}${Math.floor(random() * 1000)}`;
const deepArrays = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);
const deepObjects = (depth: number) => '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);
// No bare `..`: fetch resolves a dot segment before sending (WHATWG URL), so `…/sessions/..` would really be a request
// for the parent resource; `..;` is the traversal spelling that reaches the server as written.
const BAD_PATH_VALUES = [
  '%00',
  'a%00b',
  '%01',
  '%C2%85',
  '%ED%A0%80',
  '%FF',
  '%',
  '__proto__',
  'constructor',
  'prototype',
  '..;',
  '%2E%2E%2F',
  'x'.repeat(3000),
  '%E2%80%8B',
  '%20',
  'null',
  '-1',
  '1e309',
];
const BAD_QUERY_VALUES = ['%00', 'maybe', '%C2%85', '-1', '[]', '1e309', 'x'.repeat(3000)];
const BAD_BASE64URL = ['', '!!!!', 'a', 'AA==AA', '%%%', 'A'.repeat(5000), '\u0000', 'AAAA-_-_*'];

const b64url = (bytes: Uint8Array | string) => Buffer.from(bytes).toString('base64url');
function garbageBytes(random: Random, n: number): Uint8Array {
  return Uint8Array.from({ length: n }, () => Math.floor(random() * 256));
}
/** CBOR that is not an attestation object: truncated maps, trailing bytes, wrong major types, huge lengths. */
function badCbor(random: Random): string {
  const samples = [
    Uint8Array.of(0xa3), // map(3) with nothing after
    Uint8Array.of(0xa1, 0x63, 0x66, 0x6d, 0x74, 0x64, 0x6e, 0x6f, 0x6e, 0x65, 0x00), // {fmt: "none"} + trailing byte
    Uint8Array.of(0x9f, 0x9f, 0x9f, 0x9f), // nested indefinite arrays, never closed
    Uint8Array.of(0x5b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff), // bytes of length 2^64-1
    Uint8Array.of(0xc6, 0xc6, 0xc6, 0xc6, 0x00), // nested tags
    Uint8Array.of(0xf7), // undefined
    garbageBytes(random, 1 + Math.floor(random() * 300)),
  ];
  return b64url(pick(random, samples));
}

function resolve(doc: OpenApi, schema: JsonSchema | undefined): JsonSchema | undefined {
  if (schema?.$ref === undefined) return schema;
  const name = schema.$ref.split('/').pop()!;
  return doc.components?.schemas?.[name];
}
const typesOf = (schema: JsonSchema | undefined): string[] => (schema?.type === undefined ? [] : Array.isArray(schema.type) ? schema.type : [schema.type]);

/** A plausible value for a schema, so that one bad field is the only defect of a body. */
function plausible(doc: OpenApi, raw: JsonSchema | undefined, depth = 0): unknown {
  const schema = resolve(doc, raw);
  if (!schema || depth > 6) return {};
  if (schema.const !== undefined) return schema.const;
  if (schema.enum) return schema.enum[0];
  const variant = schema.anyOf?.[0] ?? schema.oneOf?.[0];
  if (variant) return plausible(doc, variant, depth + 1);
  switch (typesOf(schema)[0]) {
    case 'string':
      return schema.format === 'email' ? 'fuzz@x.example' : schema.format === 'date' ? '2000-01-01' : schema.format === 'uri' ? 'https://x.example/' : 'fuzz';
    case 'integer':
    case 'number':
      return 1;
    case 'boolean':
      return false;
    case 'array':
      return [];
    default: {
      const out: Record<string, unknown> = {};
      for (const name of schema.required ?? []) out[name] = plausible(doc, schema.properties?.[name], depth + 1);
      return out;
    }
  }
}

/** Paths to every property the body schema names (a few levels deep), with their schemas. */
function fieldPaths(doc: OpenApi, raw: JsonSchema | undefined, prefix: string[] = [], depth = 0): [string[], JsonSchema][] {
  const schema = resolve(doc, raw);
  if (!schema?.properties || depth > 3) return [];
  const out: [string[], JsonSchema][] = [];
  for (const [name, child] of Object.entries(schema.properties)) {
    const resolved = resolve(doc, child) ?? {};
    out.push([[...prefix, name], resolved]);
    out.push(...fieldPaths(doc, resolved, [...prefix, name], depth + 1));
  }
  return out;
}

/** A value of a JSON type the schema does not allow (unions are answered with a string no rule accepts). */
function wrongType(random: Random, schema: JsonSchema): unknown {
  const allowed = typesOf(schema);
  if (allowed.length === 0 || schema.anyOf || schema.oneOf) return controlString(random);
  const candidates: [string, unknown][] = [
    ['string', 'not-the-right-type'],
    ['number', 12.5],
    ['integer', 7],
    ['boolean', true],
    ['array', [controlString(random)]],
    ['object', { nested: controlString(random) }],
    ['null', null],
  ];
  const wrong = candidates.filter(([type]) => !allowed.includes(type) && !(type === 'integer' && allowed.includes('number')));
  return pick(random, wrong)[1];
}

function setAt(target: Record<string, unknown>, path: string[], value: unknown): Record<string, unknown> {
  let node = target;
  for (const key of path.slice(0, -1)) {
    if (typeof node[key] !== 'object' || node[key] === null || Array.isArray(node[key])) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  node[path.at(-1)!] = value;
  return target;
}

const isCredentialBody = (schema: JsonSchema | undefined) => Boolean(schema?.properties?.rawId && schema.properties.response);

/** A WebAuthn credential JSON with one broken part: base64url, CBOR, client data or the ids. */
function badCredential(random: Random): Record<string, unknown> {
  const clientData = b64url(
    JSON.stringify({ type: pick(random, ['webauthn.create', 'webauthn.get']), challenge: b64url(garbageBytes(random, 32)), origin: ORIGIN }),
  );
  const credential = {
    id: b64url(garbageBytes(random, 16)),
    rawId: '',
    type: 'public-key',
    response: {
      clientDataJSON: clientData,
      attestationObject: badCbor(random),
      authenticatorData: badCbor(random),
      signature: b64url(garbageBytes(random, 70)),
      transports: ['internal'],
    },
    clientExtensionResults: {},
  };
  credential.rawId = credential.id;
  switch (Math.floor(random() * 6)) {
    case 0:
      credential.id = pick(random, BAD_BASE64URL);
      break;
    case 1:
      credential.response.clientDataJSON = pick(random, BAD_BASE64URL);
      break;
    case 2:
      credential.response.clientDataJSON = b64url(
        pick(random, ['{', 'null', '[]', '{"type":1}', `{"type":"webauthn.create","challenge":"${'A'.repeat(5000)}"}`]),
      );
      break;
    case 3:
      credential.response.attestationObject = pick(random, BAD_BASE64URL);
      break;
    case 4:
      credential.rawId = b64url(garbageBytes(random, 16));
      break;
    default:
      break; // only the CBOR is bad
  }
  return credential;
}

interface FuzzRequest {
  method: string;
  url: string;
  body?: string;
  contentType?: string;
  what: string;
}

/** One bad request for an operation: at least one defect in a part the operation declares. */
function badRequest(doc: OpenApi, op: WriteOperation, random: Random, known: Record<string, string>): FuzzRequest | undefined {
  const pathParams = op.parameters.filter((p) => p.in === 'path');
  const queryParams = op.parameters.filter((p) => p.in === 'query');
  const hasBody = op.mediaType !== undefined;
  // A DELETE, or an operation whose only input is its path, gets a bad path (or query) value: valid ones would act.
  const parts = [...(hasBody ? ['body', 'body', 'body'] : []), ...(pathParams.length > 0 ? ['path'] : []), ...(queryParams.length > 0 ? ['query'] : [])];
  if (parts.length === 0) return undefined;
  const part = pick(random, parts);
  const broken = part === 'path' ? pick(random, pathParams).name : undefined;
  let url = op.path.replace(/\{([^}]+)\}/g, (_m, name: string) =>
    name === broken ? pick(random, BAD_PATH_VALUES) : encodeURIComponent(known[name] ?? 'fuzz'),
  );
  if (part === 'query') url += `?${pick(random, queryParams).name}=${pick(random, BAD_QUERY_VALUES)}`;
  if (!hasBody) return { method: op.method, url, what: `${part} ${broken ?? ''}` };

  const form = op.mediaType === 'application/x-www-form-urlencoded';
  const base = plausible(doc, op.body) as Record<string, unknown>;
  if (part !== 'body')
    return {
      method: op.method,
      url,
      body: form ? new URLSearchParams(base as Record<string, string>).toString() : JSON.stringify(base),
      contentType: op.mediaType!,
      what: `${part} ${broken ?? ''}`,
    };
  if (form) {
    const fields = {
      ...(base as Record<string, string>),
      grant_type: 'client_credentials',
      [pick(random, ['grant_type', 'client_id', 'client_secret', 'scope'])]: controlString(random),
    };
    return { method: op.method, url, body: new URLSearchParams(fields).toString(), contentType: op.mediaType!, what: 'form field' };
  }

  const fields = fieldPaths(doc, op.body);
  const strategies = [
    'root-type',
    'malformed',
    'proto',
    'constructor',
    'unknown-key',
    ...(fields.length > 0 ? ['field-type', 'field-control', 'field-control', 'field-huge', 'field-deep'] : []),
    ...(isCredentialBody(op.body) ? ['credential', 'credential', 'credential'] : []),
  ];
  const strategy = pick(random, strategies);
  const [path, schema] = fields.length > 0 ? pick(random, fields) : [[], {}];
  let text: string;
  switch (strategy) {
    case 'root-type':
      // JSON null is not among them: the API reads a null body as no body, which optional-input operations accept.
      text = JSON.stringify(pick(random, ['text', 42, [1, 2], true]));
      break;
    case 'malformed':
      text = pick(random, ['{', '{"a":', '{"a":1,}', "{'a':1}", '\u0000', '{"a":"\\ud800"', '[' + '{'.repeat(50)]);
      break;
    case 'proto':
      text = JSON.stringify(base).replace(/^\{/, '{"__proto__":{"polluted":true},').replace(',}', '}');
      break;
    case 'constructor':
      text = JSON.stringify(base).replace(/^\{/, '{"constructor":{"prototype":{"polluted":true}},').replace(',}', '}');
      break;
    case 'unknown-key':
      text = JSON.stringify({ ...base, [controlString(random)]: 'x' });
      break;
    case 'field-type':
      text = JSON.stringify(setAt(structuredClone(base), path, wrongType(random, schema)));
      break;
    case 'field-huge': {
      const limit = schema.maxLength;
      const value = limit === undefined || !typesOf(schema).includes('string') ? controlString(random) : 'x'.repeat(limit + 1 + Math.floor(random() * 100));
      text = JSON.stringify(setAt(structuredClone(base), path, value));
      break;
    }
    case 'field-deep': {
      // Deep nesting where the schema wants a scalar or an object (nested arrays), or an array (nested objects).
      const types = typesOf(schema);
      const deep = types.length === 0 ? JSON.stringify(controlString(random)) : types.includes('array') ? deepObjects(2000) : deepArrays(2000);
      text = JSON.stringify(setAt(structuredClone(base), path, '__DEEP__')).replace('"__DEEP__"', deep);
      break;
    }
    case 'credential':
      text = JSON.stringify(op.body?.properties?.credential ? { ...base, credential: badCredential(random) } : badCredential(random));
      break;
    default:
      text = JSON.stringify(setAt(structuredClone(base), path, controlString(random)));
  }
  return { method: op.method, url, body: text, contentType: 'application/json', what: `${strategy} ${path.join('.')}` };
}

for (const kind of DATABASE_KINDS) {
  describe(`fuzz of every write operation on ${kind}`, () => {
    let world: SelfServiceWorld;
    const known: Record<string, string> = {
      tenantId: 'acme',
      storeName: 'customers',
      rpId: 'keyway.test',
      regPolicyName: 'default',
      authPolicyName: 'default',
      policyName: 'default',
      journeyId: 'fuzz-journey',
    };
    let cookie = '';

    before(async () => {
      world = await SelfServiceWorld.create(kind);
      const browser = world.browser();
      const signedUp = await world.signUp(browser, 'fuzz@x.example');
      await world.signIn(browser, signedUp.authenticator, 'fuzz@x.example');
      cookie = [...browser.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
      const user = (await expectStatus(world.api.get(`${ADMIN}/users/${signedUp.user.id}`), 200)).body;
      Object.assign(known, { userId: user.id, userExtId: user.externalId, credentialId: signedUp.credentialId, clientId: world.acme!.clientId });
      // A live registration ceremony, so completion bodies meet a real session.
      const started = await expectStatus(world.api.post(`${ADMIN}/users/${user.id}/passkeys/relyingParties/keyway.test/registrations/default`, {}), 200);
      known.sessionId = started.body.sessionId;
    });
    after(() => world.close());

    test(`≈${REQUESTS_PER_DATABASE} generated bad requests: no 5xx, every answer a coded problem, nothing stored`, async () => {
      const doc = (await expectStatus(world.server.http.get('/openapi.json'), 200)).body as OpenApi;
      const operations = writeOperations(doc);
      assert.ok(operations.length >= 50, `only ${operations.length} write operations in /openapi.json`);
      const random = seededRandom(SEED);
      const perOperation = Math.ceil(REQUESTS_PER_DATABASE / operations.length);
      const failures: string[] = [];
      let sent = 0;
      for (const op of operations) {
        const before = await snapshotDatabase(world.server.database, NOT_SNAPSHOTTED, recordedRefusal);
        for (let i = 0; i < perOperation; i++) {
          const request = badRequest(doc, op, random, known);
          if (!request) break;
          sent++;
          const response = await fetch(world.server.url + request.url, {
            method: request.method,
            headers: {
              authorization: `Bearer ${world.acme!.token}`,
              origin: ORIGIN,
              cookie,
              ...(request.contentType ? { 'content-type': request.contentType } : {}),
            },
            ...(request.body === undefined ? {} : { body: request.body }),
          });
          const text = await response.text();
          const coded = response.headers.get('content-type')?.startsWith('application/problem+json') && /"code":"[A-Z_]+"/.test(text);
          if (response.status >= 500 || response.status < 400 || !coded) {
            const kindOfFailure = `${op.method} ${op.path} → ${response.status} ${/"code":"([A-Za-z_]+)"/.exec(text)?.[1] ?? 'uncoded'}`;
            if (!failures.some((f) => f.startsWith(kindOfFailure)))
              failures.push(
                `${kindOfFailure}: ${request.method} ${request.url.slice(0, 160)} [${request.what}] body=${(request.body ?? '').slice(0, 200)} answer=${text.slice(0, 200)}`,
              );
          }
        }
        const afterOp = await snapshotDatabase(world.server.database, NOT_SNAPSHOTTED, recordedRefusal);
        for (const table of Object.keys(afterOp)) {
          if (JSON.stringify(afterOp[table]) !== JSON.stringify(before[table])) failures.push(`${op.method} ${op.path} changed table ${table}`);
        }
      }
      assert.ok(sent >= REQUESTS_PER_DATABASE * 0.8, `sent only ${sent} requests`);
      assert.deepEqual(failures.slice(0, 40), [], `${failures.length} failures`);
    });
  });
}
