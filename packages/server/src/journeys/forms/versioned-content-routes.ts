import { editOf } from '../../http/edit-concurrency.ts';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type, type TSchema } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { ErrorCode } from '../../errors/catalogue.ts';
import { PageOf, PageQuery } from '../../http/common-schemas.ts';
import { VersionParam } from '../../http/path-params.ts';
import { actorOf, principalOf } from '../../http/route-config.ts';
import type { ContentVersion, VersionedContentService } from './versioned-content.ts';

export const CONTENT_NAME_PATTERN = '^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$';
const NameSchema = Type.String({ pattern: CONTENT_NAME_PATTERN, description: 'Letters, digits, _ . -; at most 128; unique per tenant' });

const FieldProblemSchema = Type.Object({ field: Type.String(), message: Type.String() });
export const ValidationReportSchema = Type.Object(
  { valid: Type.Boolean(), errors: Type.Array(FieldProblemSchema), warnings: Type.Array(FieldProblemSchema) },
  { title: 'ContentValidationReport' },
);

export const ContentSummarySchema = Type.Object(
  {
    name: Type.String(),
    description: Type.Optional(Type.String()),
    latestVersion: Type.Integer(),
    latestPublishedVersion: Type.Union([Type.Integer(), Type.Null()]),
    createdAt: Type.String({ format: 'date-time' }),
    updatedAt: Type.String({ format: 'date-time' }),
  },
  { title: 'ContentSummary' },
);

const versionFields = {
  name: Type.String(),
  version: Type.Integer(),
  status: Type.Union([Type.Literal('draft'), Type.Literal('published')]),
  createdAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' }),
  publishedAt: Type.Optional(Type.String({ format: 'date-time' })),
};
export const ContentVersionSummarySchema = Type.Object(versionFields, { title: 'ContentVersionSummary' });

export interface VersionedContentRoutesOptions<Body> {
  service: VersionedContentService<Body>;
  /** e.g. '/custom-forms' */
  base: string;
  /** The body's property in requests and responses: 'form' or 'html' */
  bodyKey: string;
  /** Schema of the body in requests and responses (checked in depth by the service, which names each problem's path) */
  bodySchema: TSchema;
  /** In permission names: 'Form' → Journeys:createForm */
  permissionNoun: 'Form' | 'Page';
  tag: string;
  notFound: ErrorCode;
  alreadyExists: ErrorCode;
  versionNotFound: ErrorCode;
}

/**
 * The admin API of one kind of versioned journey content (custom forms, custom pages): create,
 * add a version, edit a draft, validate, publish, list and read. Permissions `TNT#{t}#Journeys:<action>`;
 * every change is audited in its own transaction by the service.
 */
export async function versionedContentRoutes<Body>(fastify: FastifyInstance, options: VersionedContentRoutesOptions<Body>): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const { service, base, bodyKey, bodySchema, permissionNoun: noun, tag, notFound, alreadyExists, versionNotFound } = options;
  const tags = [tag];
  const VersionSchema = Type.Object({ ...versionFields, [bodyKey]: bodySchema }, { title: `Custom${noun}Version` });
  const BodyOnly = Type.Object({ [bodyKey]: bodySchema }, { additionalProperties: false });
  const CreateBody = Type.Object(
    { name: NameSchema, description: Type.Optional(Type.String({ maxLength: 1024, 'x-multiline': true })), [bodyKey]: bodySchema },
    { title: `CreateCustom${noun}Request`, additionalProperties: false },
  );
  const nameParams = Type.Object({ name: NameSchema });
  const versionParams = Type.Object({ name: NameSchema, version: VersionParam });
  const out = (version: ContentVersion<Body>) => {
    const { body, ...rest } = version;
    return { ...rest, [bodyKey]: body };
  };
  const bodyOf = (request: { body: unknown }) => (request.body as Record<string, unknown>)[bodyKey];

  app.post(
    base,
    {
      schema: {
        operationId: `createCustom${noun}`,
        tags,
        summary: `Create a ${tag.replace(/s$/, '')} (version 1, a draft)`,
        body: CreateBody,
        response: { 201: VersionSchema },
      },
      config: { permission: `Journeys:create${noun}`, errors: [alreadyExists] },
    },
    async (request, reply) => {
      const body = request.body as { name: string; description?: string };
      return reply.code(201).send(out(await service.create(actorOf(request), { name: body.name, description: body.description, body: bodyOf(request) })));
    },
  );

  app.get(
    base,
    {
      schema: { operationId: `listCustom${noun}s`, tags, summary: `List ${tag}`, querystring: PageQuery, response: { 200: PageOf(ContentSummarySchema) } },
      config: { permission: `Journeys:list${noun}s`, errors: ['INVALID_CURSOR'] },
    },
    async (request) => service.list(principalOf(request).tenantId, request.query),
  );

  app.post(
    `${base}/validate`,
    {
      schema: {
        operationId: `validateCustom${noun}`,
        tags,
        summary: `Validate a ${tag.replace(/s$/, '')} without saving it (200 with the problems found, if any)`,
        body: BodyOnly,
        response: { 200: ValidationReportSchema },
      },
      config: { permission: `Journeys:validate${noun}` },
    },
    async (request) => service.validate(bodyOf(request)),
  );

  app.get(
    `${base}/:name`,
    {
      schema: {
        operationId: `getCustom${noun}`,
        tags,
        summary: `Read a ${tag.replace(/s$/, '')}: its latest and latest published version`,
        params: nameParams,
        response: { 200: ContentSummarySchema },
      },
      config: { permission: `Journeys:get${noun}`, errors: [notFound] },
    },
    async (request) => service.get(principalOf(request).tenantId, request.params.name),
  );

  app.get(
    `${base}/:name/versions`,
    {
      schema: {
        operationId: `listCustom${noun}Versions`,
        tags,
        summary: 'List the versions, oldest first',
        params: nameParams,
        querystring: PageQuery,
        response: { 200: PageOf(ContentVersionSummarySchema) },
      },
      config: { permission: `Journeys:get${noun}`, errors: [notFound, 'INVALID_CURSOR'] },
    },
    async (request) => service.listVersions(principalOf(request).tenantId, request.params.name, request.query),
  );

  app.post(
    `${base}/:name/versions`,
    {
      schema: {
        operationId: `createCustom${noun}Version`,
        tags,
        summary: 'Add the next version, as a draft',
        params: nameParams,
        body: BodyOnly,
        response: { 201: VersionSchema },
      },
      config: { permission: `Journeys:create${noun}Version`, errors: [notFound] },
    },
    async (request, reply) => reply.code(201).send(out(await service.addVersion(actorOf(request), request.params.name, { body: bodyOf(request) }))),
  );

  app.get(
    `${base}/:name/versions/:version`,
    {
      schema: { operationId: `getCustom${noun}Version`, tags, summary: 'Read a version', params: versionParams, response: { 200: VersionSchema } },
      config: { permission: `Journeys:get${noun}`, errors: [notFound, versionNotFound] },
    },
    async (request) => out(await service.getVersion(principalOf(request).tenantId, request.params.name, request.params.version)),
  );

  app.put(
    `${base}/:name/versions/:version`,
    {
      schema: {
        operationId: `updateCustom${noun}Version`,
        tags,
        summary: 'Replace a draft version (a published version is immutable)',
        params: versionParams,
        body: BodyOnly,
        response: { 200: VersionSchema },
      },
      config: { permission: `Journeys:update${noun}Version`, errors: [notFound, versionNotFound, 'CONTENT_VERSION_PUBLISHED'] },
    },
    async (request) =>
      out(await service.updateDraft(actorOf(request), request.params.name, request.params.version, { body: bodyOf(request) }, editOf(request))),
  );

  app.post(
    `${base}/:name/versions/:version/publish`,
    {
      schema: {
        operationId: `publishCustom${noun}Version`,
        tags,
        summary: 'Publish a version: journeys can use it, and it never changes again',
        params: versionParams,
        response: { 200: VersionSchema },
      },
      config: { permission: `Journeys:publish${noun}`, errors: [notFound, versionNotFound] },
    },
    async (request) => out(await service.publish(actorOf(request), request.params.name, request.params.version)),
  );
}
