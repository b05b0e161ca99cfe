import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Type } from '@sinclair/typebox';
import Fastify, { type FastifyInstance } from 'fastify';
import { lazySchemaCompilers } from '../../src/http/lazy-schema-compilers.ts';
import { ProblemSchema } from '../../src/http/problem.ts';
import { validatorCompiler } from '../../src/http/validators.ts';
import { startTestServer, type TestServer } from '../support/test-server.ts';

describe('route schemas compile on first use', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ kind: 'sqlite' });
  });
  after(() => server.close());

  test('nothing is compiled before the first request, and every route schema compiles', async () => {
    const { compilation } = { compilation: server.app.schemaCompilation };
    assert.equal(compilation.compiled, 0, 'listening compiled no validator or serializer');
    assert.ok(compilation.pending > 100, `every route's schemas are handed out (${compilation.pending})`);

    assert.equal((await server.http.get('/healthz')).status, 200);
    const afterOne = compilation.compiled;
    assert.ok(afterOne >= 1 && afterOne <= 3, `one request compiles only what it uses (${afterOne})`);

    // What eager compilation used to prove at start: every schema of every route compiles.
    compilation.compileAll();
    assert.equal(compilation.pending, 0);
  });

  test('a validator compiled on first use refuses before the handler runs and changes nothing', async () => {
    const acme = await server.tenant('acme-lazy');
    const refused = await acme.api.post('/api/identity-store/stores', { name: 'customers', unknownField: true });
    assert.equal(refused.status, 400);
    assert.equal(refused.body.code, 'VALIDATION_FAILED');
    assert.deepEqual(refused.body.errors, [{ field: 'unknownField', message: 'is not a known field' }]);
    const stores = await acme.api.get('/api/identity-store/stores');
    assert.deepEqual(stores.body.items, []);
  });
});

describe('lazy schema compilers (on Fastify itself)', () => {
  let app: FastifyInstance;
  let handled = 0;
  const compilers = lazySchemaCompilers(validatorCompiler);
  before(async () => {
    app = Fastify({ schemaController: { compilersFactory: { buildSerializer: compilers.buildSerializer } } });
    app.setValidatorCompiler(compilers.validatorCompiler);
    app.addSchema(ProblemSchema);
    const problem = { $ref: 'Problem#' };
    app.post(
      '/things/:id',
      {
        schema: {
          params: Type.Object({ id: Type.Integer() }),
          querystring: Type.Object({ limit: Type.Integer({ default: 5 }) }, { additionalProperties: false }),
          body: Type.Object({ name: Type.String({ maxLength: 10 }) }, { additionalProperties: false }),
          response: {
            200: Type.Object({ id: Type.Integer(), name: Type.String(), limit: Type.Integer() }),
            409: { content: { 'application/problem+json': { schema: problem } } },
          },
        },
      },
      async (request, reply) => {
        handled += 1;
        const { id } = request.params as { id: number };
        const { limit } = request.query as { limit: number };
        const { name } = request.body as { name: string };
        if (name === 'taken') {
          return reply
            .code(409)
            .type('application/problem+json')
            .send({ type: 'urn:keyway:error:X', title: 't', status: 409, detail: 'd', code: 'INTERNAL_ERROR', secret: 'leak' });
        }
        return { id, name, limit, secret: 'must not be written' };
      },
    );
    app.get('/other', { schema: { response: { 409: { content: { 'application/problem+json': { schema: problem } } } } } }, async () => ({}));
    await app.ready();
  });
  after(() => app.close());

  test('nothing compiles at ready; the serializer still writes only declared properties', async () => {
    assert.equal(compilers.compilation.compiled, 0);
    const ok = await app.inject({ method: 'POST', url: '/things/7', payload: { name: 'n' } });
    assert.equal(ok.statusCode, 200);
    // Path and query coerced and defaulted as before; the undeclared `secret` is not written.
    assert.deepEqual(ok.json(), { id: 7, name: 'n', limit: 5 });
    const problem = await app.inject({ method: 'POST', url: '/things/7?limit=2', payload: { name: 'taken' } });
    assert.equal(problem.statusCode, 409);
    assert.equal(problem.json().secret, undefined);
    assert.equal(problem.json().code, 'INTERNAL_ERROR');
  });

  test('a lazily compiled validator refuses before the handler, with Ajv’s errors', async () => {
    const before = handled;
    for (const request of [
      { url: '/things/x', payload: { name: 'n' } },
      { url: '/things/1?limit=many', payload: { name: 'n' } },
      { url: '/things/1', payload: { name: 'far too long a name' } },
      { url: '/things/1', payload: { name: 'n', extra: 1 } },
      { url: '/things/1', payload: { name: 'two\nlines' } },
    ]) {
      const refused = await app.inject({ method: 'POST', ...request });
      assert.equal(refused.statusCode, 400, request.url);
      assert.equal(refused.json().code, 'FST_ERR_VALIDATION', request.url);
    }
    assert.equal(handled, before, 'no handler ran');
  });

  test('one schema object is compiled once, whichever routes and statuses use it', () => {
    compilers.compilation.compileAll();
    // params, querystring, body, the 200 serializer and one problem serializer for both routes.
    assert.equal(compilers.compilation.compiled, 5);
    assert.equal(compilers.compilation.pending, 0);
  });
});
