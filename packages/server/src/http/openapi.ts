import { isDeepStrictEqual } from 'node:util';
import type { FastifyInstance, FastifyRequest, RouteOptions } from 'fastify';
import { ERROR_CATALOGUE, ERROR_CODES, type ErrorCode } from '../errors/catalogue.ts';
import { PERMISSION_CATALOGUE, PERMISSIONS, type Permission } from '../tenancy/permission-catalogue.ts';
import { NoBody, emptyBodyIsEmptyObject, takesOptionalBody } from './optional-body.ts';
import { problem, type Problem } from './problem.ts';
import './route-config.ts';
import { ALWAYS_ADMITTED } from './admission-control.ts';

/** A route as declared: what the auth hook will require of it. */
export interface DeclaredRoute {
  method: string;
  url: string;
  permission: Permission | undefined;
  bearer: 'required' | 'optional' | 'none';
}

declare module 'fastify' {
  interface FastifyInstance {
    /** Every route of the application with its permission, in declaration order (for tests and tooling). */
    declaredRoutes: readonly DeclaredRoute[];
  }
}

/** One schema object for every problem response, so its serializer is compiled once (lazy-schema-compilers.ts). */
const PROBLEM_REF = { $ref: 'Problem#' };

/** A made-up request id for the examples. */
const EXAMPLE_REQUEST_ID = '6f1c2b9e-3d4a-4e5f-8a7b-9c0d1e2f3a4b';

/** An example problem body per code, so each error response shows its own codes rather than one generated sample. */
function problemExamples(codes: ErrorCode[]): Record<string, { summary: string; value: Problem }> {
  const examples: Record<string, { summary: string; value: Problem }> = {};
  for (const code of codes) {
    const fields = code === 'VALIDATION_FAILED' ? [{ field: 'userKey', message: 'is required' }] : undefined;
    examples[code] = { summary: `${code}: ${ERROR_CATALOGUE[code].title}`, value: problem(code, undefined, EXAMPLE_REQUEST_ID, fields) };
  }
  return examples;
}

/** The problem responses a route can give, grouped by status, each listing its codes with an example of each. */
function problemResponses(codes: ErrorCode[]): Record<number, unknown> {
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of new Set(codes)) {
    const status = ERROR_CATALOGUE[code].status;
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  const responses: Record<number, unknown> = {};
  for (const [status, list] of byStatus) {
    responses[status] = {
      description: `Error codes: ${list.join(', ')}`,
      content: { 'application/problem+json': { schema: PROBLEM_REF, examples: problemExamples(list) } },
    };
  }
  return responses;
}

const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH']);

/**
 * Completes each route's schema as it is declared: a body for every POST, PUT and PATCH (an empty
 * one where the route reads none), its problem responses (domain codes plus the auth and validation
 * codes every route can give) and, for protected routes, the permission as `x-keyway-permission`
 * and bearer security. The OpenAPI document is generated from these.
 */
export function installRouteDocumentation(app: FastifyInstance): void {
  const declared: DeclaredRoute[] = [];
  app.decorate('declaredRoutes', declared);
  app.addHook('onRoute', (route: RouteOptions) => {
    const config = route.config ?? {};
    // The type checker holds routes to the catalogue; this catches a cast at start-up.
    if (config.permission !== undefined && !Object.hasOwn(PERMISSION_CATALOGUE, config.permission)) {
      throw new TypeError(`${String(route.method)} ${route.url}: permission ${config.permission} is not in the permission catalogue`);
    }
    const methods = [route.method].flat();
    // A POST, PUT or PATCH that reads no body declares one all the same: none or `{}`, anything else refused as invalid.
    if (!route.schema?.body && methods.some((method) => BODY_METHODS.has(method))) {
      route.schema = { ...route.schema, body: NoBody };
      route.preValidation = [...[route.preValidation ?? []].flat(), emptyBodyIsEmptyObject] as RouteOptions['preValidation'];
    }
    for (const method of methods) {
      declared.push({
        method,
        url: route.url,
        permission: config.permission,
        bearer: config.permission === undefined ? 'none' : (config.bearer ?? 'required'),
      });
    }
    // Any route can meet a database outage (503 with Retry-After) or an unexpected failure (500), and all but the
    // operations routes a node at capacity (503 SERVER_BUSY with Retry-After, admission-control.ts).
    const codes: ErrorCode[] = [...(config.errors ?? []), 'INTERNAL_ERROR', 'SERVICE_UNAVAILABLE'];
    if (!ALWAYS_ADMITTED.has(route.url)) codes.push('SERVER_BUSY');
    if (route.schema?.body || route.schema?.querystring || route.schema?.params) codes.push('VALIDATION_FAILED', 'MALFORMED_REQUEST');
    if (route.schema?.body) codes.push('PAYLOAD_TOO_LARGE', 'UNSUPPORTED_MEDIA_TYPE');
    if (config.permission) codes.push('UNAUTHENTICATED', 'FORBIDDEN');
    if (config.permission && route.url.includes(':tenantId')) codes.push('TENANT_NOT_FOUND');
    const schema = (route.schema ??= {}) as Record<string, unknown>;
    if (schema.body && takesOptionalBody(route.preValidation)) schema[OPTIONAL_BODY] = true;
    schema.response = { ...problemResponses(codes), ...((schema.response as object | undefined) ?? {}) };
    if (config.permission) {
      // An optional bearer: the route also serves callers without a token (e.g. public journeys).
      schema.security = config.bearer === 'optional' ? [{}, { bearerAuth: [] }] : [{ bearerAuth: [] }];
      schema['x-keyway-permission'] = `TNT#{tenant}#${config.permission}`;
      const description = typeof schema.description === 'string' ? `${schema.description}\n\n` : '';
      schema.description = `${description}Permission: \`TNT#{tenant}#${config.permission}\` — ${PERMISSION_CATALOGUE[config.permission].description}`;
    }
  });
}

/**
 * The operation groups in the order the docs show them, each with what it is for. Every tag a route
 * uses is listed here (a test holds the two together).
 */
export const OPENAPI_TAGS = [
  { name: 'oauth2', description: 'Get a bearer token for the `/api` routes with OAuth 2.0 client credentials (RFC 6749 §4.4).' },
  { name: 'stores', description: 'Identity stores: the containers of users, relying parties and policies.' },
  { name: 'users', description: 'Users of a store, addressed by id or by external id.' },
  { name: 'organizations', description: 'Organizations (B2B) of a store: members with roles, claimed e-mail domains and a sign-in policy.' },
  { name: 'relying parties', description: 'The WebAuthn relying parties of a store: RP ID, name and the origins allowed to use them.' },
  {
    name: 'registration policies',
    description: 'How passkeys are created: attestation, authenticator attachment, resident key, user verification, algorithms.',
  },
  { name: 'authentication policies', description: 'How passkeys are used: user verification, timeout, discoverable sign-in.' },
  {
    name: 'passkey ceremonies',
    description: 'Server-to-server WebAuthn registration and authentication: start answers the options for the browser, complete verifies its response.',
  },
  { name: 'passkeys', description: 'A user’s registered passkeys: list, read, rename, delete.' },
  {
    name: 'self-service',
    description: 'The browser API behind the hosted pages and `@keyway/web` (sign-up, sign-in, my passkeys, recovery), and its admin side.',
  },
  { name: 'journeys', description: 'Journey definitions: drafts, validation, published versions, instances and templates.' },
  { name: 'journey runtime', description: 'Running a journey: start, submit each step, resume; the hosted runner.' },
  { name: 'custom forms', description: 'Versioned custom forms that journey steps show.' },
  { name: 'custom pages', description: 'Versioned custom HTML pages that journey steps show.' },
  { name: 'api clients', description: 'The tenant’s API clients, their permissions and secrets.' },
  { name: 'tokens', description: 'ID token signing keys and the tenant’s issuer metadata (JWKS, OpenID configuration).' },
  { name: 'audit', description: 'The tenant’s audit trail.' },
  { name: 'console', description: 'The console’s operators, their invitations and the tenant overview (admin API).' },
  {
    name: 'console sign-in',
    description:
      'The console’s own browser API, same-origin only: operator enrolment and passkey sign-in (Keyway is the relying party), the session and its short-lived access token, the operator’s passkeys.',
  },
  {
    name: 'openid connect',
    description: 'Each tenant is an OpenID Provider: its discovery document and its clients (the applications that sign users in through Keyway).',
  },
  {
    name: 'well-known',
    description: 'Files browsers and mobile platforms fetch from a relying party’s domain (related origins, Android asset links, Apple app site association).',
  },
] as const;

/** The error catalogue as a table, shown with the ErrorCode schema after the operations. */
const ERROR_CODE_DESCRIPTION = [
  'Every error response is `application/problem+json` (RFC 9457) with one of these stable codes in `code`; each operation lists the codes it can answer with.',
  '',
  '| Code | Status | Meaning |',
  '|---|---|---|',
  ...ERROR_CODES.map((code) => `| \`${code}\` | ${ERROR_CATALOGUE[code].status} | ${ERROR_CATALOGUE[code].title} |`),
].join('\n');

const PERMISSION_DESCRIPTION = [
  'A token carries permissions `TNT#{tenant}#Service:action`; `*` may stand for the action or for `Service:action`. Each protected operation names the one it needs.',
  '',
  '| Permission | Allows |',
  '|---|---|',
  ...PERMISSIONS.map((permission) => `| \`${permission}\` | ${PERMISSION_CATALOGUE[permission].description} |`),
].join('\n');

export const OPENAPI_INFO = {
  openapi: '3.1.0',
  info: {
    title: 'Keyway API',
    version: '0.1.0',
    description: [
      'Keyway is a self-hostable passkey (WebAuthn) identity platform.',
      '',
      'API callers authenticate with OAuth 2.0 client credentials (`POST /oauth2/token`) and send `Authorization: Bearer <token>`; each protected operation names the permission it needs (all of them: the **Permission** schema).',
      'Every error is `application/problem+json` with a stable `code`; each operation lists its codes with an example of each, and the whole catalogue is the **ErrorCode** schema, after the operations.',
      '',
      'This document is served at `/openapi.json`.',
    ].join('\n'),
  },
  tags: OPENAPI_TAGS,
  components: {
    securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer' }, clientBasic: { type: 'http', scheme: 'basic' } },
    schemas: {
      ErrorCode: { type: 'string', title: 'ErrorCode', description: ERROR_CODE_DESCRIPTION, enum: ERROR_CODES },
      Permission: { type: 'string', title: 'Permission', description: PERMISSION_DESCRIPTION, enum: PERMISSIONS },
    },
  },
} as const;

/** A schema named by a PascalCase `title` (or `$id`) is a component schema under that name. */
const SCHEMA_NAME = /^[A-Z][A-Za-z0-9]*$/;
const COMPONENT_REF = '#/components/schemas/';

/**
 * Moves every schema named by a PascalCase `title` out of the operations into `components.schemas`
 * and refers to it there, so generated clients get one named type per shared schema instead of an
 * anonymous copy per operation. Two different schemas with the same name are a programming error.
 */
function hoistNamedSchemas(document: OpenApiDocument): void {
  const components = (document.components.schemas ??= {});
  const hoist = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(hoist);
    if (typeof node !== 'object' || node === null) return node;
    const copy: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(node))
      copy[key] = key === 'examples' || key === 'example' || key === 'default' || key === 'const' || key === 'enum' ? value : hoist(value);
    const name = copy.title;
    if (typeof name !== 'string' || !SCHEMA_NAME.test(name) || typeof copy.$ref === 'string') return copy;
    const existing = components[name];
    if (existing !== undefined && !isDeepStrictEqual(existing, copy)) throw new TypeError(`OpenAPI: two different schemas are named ${name}`);
    components[name] = copy;
    return { $ref: `${COMPONENT_REF}${name}` };
  };
  for (const methods of Object.values(document.paths)) {
    for (const operation of Object.values(methods)) {
      if (operation.requestBody) operation.requestBody = hoist(operation.requestBody) as OpenApiOperation['requestBody'];
      operation.responses = hoist(operation.responses) as OpenApiOperation['responses'];
    }
  }
  // Named schemas inside component schemas (e.g. a page of users) are hoisted too.
  for (const [name, schema] of Object.entries(components)) {
    const { title, ...rest } = schema as Record<string, unknown>;
    components[name] = { ...(hoist(rest) as object), ...(title === undefined ? {} : { title }) };
  }
}

/** Marks, on a route's schema, a body that may be left out (optional-body.ts); read and removed when the document is finished. */
const OPTIONAL_BODY = 'x-keyway-optional-body';

/**
 * A body that may be left out (an action's empty body, a ceremony start's parameters) is optional in
 * the document: generators then offer the call without a body argument, while a client that always
 * sends JSON may send `{}`.
 */
function markOptionalBodies(document: OpenApiDocument): void {
  for (const methods of Object.values(document.paths)) {
    for (const operation of Object.values(methods)) {
      if (operation[OPTIONAL_BODY]) (operation.requestBody as { required: boolean }).required = false;
      delete operation[OPTIONAL_BODY];
    }
  }
}

interface OpenApiOperation {
  operationId?: string;
  [OPTIONAL_BODY]?: boolean;
  requestBody?: unknown;
  responses?: unknown;
}
interface OpenApiDocument {
  paths: Record<string, Record<string, OpenApiOperation>>;
  components: { schemas?: Record<string, unknown> };
  servers?: { url: string; description?: string }[];
}

/** The @fastify/swagger options: document head, component names, and the finishing passes above. */
export const SWAGGER_OPTIONS = {
  openapi: OPENAPI_INFO,
  // A schema registered with `$id` (Problem, User) is a component under that name, not `def-N`.
  refResolver: {
    buildLocalReference: (json: { $id?: unknown }, _base: unknown, _fragment: unknown, index: number) =>
      typeof json.$id === 'string' && SCHEMA_NAME.test(json.$id) ? json.$id : `def-${index}`,
  },
  transformObject: ({ openapiObject }: { openapiObject: unknown }) => {
    const document = openapiObject as OpenApiDocument;
    hoistNamedSchemas(document);
    markOptionalBodies(document);
    return document;
  },
};

/**
 * The document as served: `servers` names the configured public URL first (a stable base for
 * generated clients), then the origin the caller reached this server at when it differs (so the
 * docs' "Try it out" also works through another host name).
 */
export function documentFor(document: object, publicUrl: string, request: FastifyRequest): object {
  const servers = [{ url: publicUrl.replace(/\/$/, ''), description: 'Public URL (KEYWAY_PUBLIC_URL)' }];
  const reached = `${request.protocol}://${request.host}`;
  if (URL.canParse(reached) && new URL(reached).origin !== servers[0]!.url)
    servers.push({ url: new URL(reached).origin, description: 'This server, as reached by this request' });
  return { ...document, servers };
}
