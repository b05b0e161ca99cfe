import { editOf } from '../http/edit-concurrency.ts';
import { Type } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { PageOf, PageQuery } from '../http/common-schemas.ts';
import { JourneyIdParam, VersionParam } from '../http/path-params.ts';
import { actorOf, principalOf } from '../http/route-config.ts';
import type { Services } from '../services.ts';
import { JOURNEY_DEFINITION_SCHEMA } from './definition.ts';
import {
  CreateJourneyBody,
  DEFINITION_SCHEMA_PATH,
  DraftResultSchema,
  InstalledTemplateSchema,
  InstanceQuery,
  InstanceSummarySchema,
  InstallTemplatesBody,
  JourneySchema,
  JourneyVersionSchema,
  JourneyVersionSummarySchema,
  PutDraftBody,
  StepTypeSchema,
  ValidateBody,
  ValidationReportSchema,
} from './journey-schemas.ts';
import { installTemplates } from './templates.ts';
import { publisherOf } from './user-acts.ts';

const tags = ['journeys'];
const journeyParams = Type.Object({ journeyId: JourneyIdParam });

/** Journey definitions (drafts, validation, immutable versions) and templates. */
export async function journeyRoutes(fastify: FastifyInstance, { services }: { services: Services }): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const journeys = services.journeyDefinitions;

  app.get(
    DEFINITION_SCHEMA_PATH,
    {
      schema: { operationId: 'getJourneyDefinitionSchema', tags, summary: 'The JSON Schema of journey definitions', response: { 200: Type.Unknown() } },
    },
    async (_request, reply) => reply.header('cache-control', 'public, max-age=300').send(JOURNEY_DEFINITION_SCHEMA),
  );

  app.get(
    '/api/journeys/step-types',
    {
      schema: {
        operationId: 'listJourneyStepTypes',
        tags,
        summary: 'The step types a definition can use, with their parameter schemas and outcomes',
        response: { 200: Type.Object({ items: Type.Array(StepTypeSchema) }) },
      },
      config: { permission: 'Journeys:listStepTypes' },
    },
    async () => ({
      items: services.stepTypes.all().map((step) => ({
        type: step.type,
        title: step.title,
        family: step.family,
        clientFacing: step.clientFacing,
        outcomes: [...step.outcomes],
        parameterSchema: step.parameterSchema,
      })),
    }),
  );

  app.post(
    '/api/journeys/templates/install',
    {
      schema: {
        operationId: 'installJourneyTemplates',
        tags,
        summary: 'Install (create or update and publish) the built-in journey templates',
        description:
          'Installing publishes, so the caller answers for the templates as for a publish (403 JOURNEY_PUBLISHER_NOT_PERMITTED, nothing installed): ' +
          'the TrustX registration template adds users (IdentityStore:createUser), the TrustX authentication template signs in the user a form names ' +
          '(IdentityStore:createPasskeyAuthenticationForUser).',
        body: InstallTemplatesBody,
        response: { 200: Type.Object({ items: Type.Array(InstalledTemplateSchema) }) },
      },
      config: {
        permission: 'Journeys:installTemplates',
        errors: [
          'JOURNEY_NOT_FOUND',
          'JOURNEY_DEFINITION_INVALID',
          'JOURNEY_PUBLISHER_NOT_PERMITTED',
          'JOURNEY_CHANGED_CONCURRENTLY',
          'STORE_NOT_FOUND',
          'FORM_ALREADY_EXISTS',
        ],
      },
    },
    async (request) => {
      const { store, templates, ...settings } = request.body;
      const publisher = publisherOf(principalOf(request));
      return { items: await installTemplates(services, actorOf(request), store, { only: templates, settings, publisher }) };
    },
  );

  app.post(
    '/api/journeys',
    {
      schema: {
        operationId: 'createJourney',
        tags,
        summary: 'Create a journey (optionally with a first draft)',
        body: CreateJourneyBody,
        response: { 201: JourneySchema },
      },
      config: { permission: 'Journeys:create', errors: ['JOURNEY_ALREADY_EXISTS'] },
    },
    async (request, reply) => reply.code(201).send(await journeys.create(actorOf(request), request.body)),
  );

  app.get(
    '/api/journeys',
    {
      schema: { operationId: 'listJourneys', tags, summary: 'List journeys', querystring: PageQuery, response: { 200: PageOf(JourneySchema) } },
      config: { permission: 'Journeys:list', errors: ['INVALID_CURSOR'] },
    },
    async (request) => journeys.list(principalOf(request).tenantId, request.query),
  );

  app.get(
    '/api/journeys/:journeyId',
    {
      schema: { operationId: 'getJourney', tags, summary: 'Read a journey and its draft', params: journeyParams, response: { 200: JourneySchema } },
      config: { permission: 'Journeys:get', errors: ['JOURNEY_NOT_FOUND'] },
    },
    async (request) => journeys.get(principalOf(request).tenantId, request.params.journeyId),
  );

  app.put(
    '/api/journeys/:journeyId/draft',
    {
      schema: {
        operationId: 'updateJourneyDraft',
        tags,
        summary: 'Replace the draft (saved even if not yet valid); answers its validation report',
        params: journeyParams,
        body: PutDraftBody,
        response: { 200: DraftResultSchema },
      },
      config: { permission: 'Journeys:updateDraft', errors: ['JOURNEY_NOT_FOUND'] },
    },
    async (request) => journeys.putDraft(actorOf(request), request.params.journeyId, request.body.definition, request.body.name, editOf(request)),
  );

  app.post(
    '/api/journeys/:journeyId/validate',
    {
      schema: {
        operationId: 'validateJourney',
        tags,
        summary: 'Validate the draft, or the definition in the body',
        params: journeyParams,
        body: ValidateBody,
        response: { 200: ValidationReportSchema },
      },
      config: { permission: 'Journeys:validate', errors: ['JOURNEY_NOT_FOUND', 'JOURNEY_NO_DRAFT'] },
    },
    async (request) => journeys.validate(principalOf(request).tenantId, request.params.journeyId, request.body.definition),
  );

  app.post(
    '/api/journeys/:journeyId/publish',
    {
      schema: {
        operationId: 'publishJourney',
        tags,
        summary: 'Publish the draft as the next immutable version',
        description:
          'The publisher answers for what the journey does to users other than its own (the user it creates or authenticates, or the one its starter names): ' +
          'a step that registers a passkey for, or starts a passkey sign-in for, a user its parameters name needs the permission the passkey ceremony API asks for the same ceremony ' +
          '(by external id: both the …ByExtId and the by-id permission), a step that adds users needs IdentityStore:createUser, and a sub-journey’s acts count as the caller’s. ' +
          'Without them: 403 JOURNEY_PUBLISHER_NOT_PERMITTED, one entry in `errors` per missing permission, and nothing is published.',
        params: journeyParams,
        response: { 201: JourneyVersionSchema },
      },
      config: {
        permission: 'Journeys:publish',
        errors: ['JOURNEY_NOT_FOUND', 'JOURNEY_NO_DRAFT', 'JOURNEY_DEFINITION_INVALID', 'JOURNEY_PUBLISHER_NOT_PERMITTED', 'JOURNEY_CHANGED_CONCURRENTLY'],
      },
    },
    async (request, reply) => reply.code(201).send(await journeys.publish(actorOf(request), request.params.journeyId, publisherOf(principalOf(request)))),
  );

  app.get(
    '/api/journeys/:journeyId/versions',
    {
      schema: {
        operationId: 'listJourneyVersions',
        tags,
        summary: 'List published versions',
        params: journeyParams,
        querystring: PageQuery,
        response: { 200: PageOf(JourneyVersionSummarySchema) },
      },
      config: { permission: 'Journeys:listVersions', errors: ['JOURNEY_NOT_FOUND', 'INVALID_CURSOR'] },
    },
    async (request) => journeys.listVersions(principalOf(request).tenantId, request.params.journeyId, request.query),
  );

  app.get(
    '/api/journeys/:journeyId/versions/:version',
    {
      schema: {
        operationId: 'getJourneyVersion',
        tags,
        summary: 'Read a published version',
        params: Type.Object({ journeyId: JourneyIdParam, version: VersionParam }),
        response: { 200: JourneyVersionSchema },
      },
      config: { permission: 'Journeys:getVersion', errors: ['JOURNEY_NOT_FOUND', 'JOURNEY_VERSION_NOT_FOUND'] },
    },
    async (request) => journeys.getVersion(principalOf(request).tenantId, request.params.journeyId, request.params.version),
  );

  app.get(
    '/api/journeys/:journeyId/instances',
    {
      schema: {
        operationId: 'listJourneyInstances',
        tags,
        summary: 'List the journey’s instances (running and finished), optionally by status',
        params: journeyParams,
        querystring: InstanceQuery,
        response: { 200: PageOf(InstanceSummarySchema) },
      },
      config: { permission: 'Journeys:listInstances', errors: ['JOURNEY_NOT_FOUND', 'INVALID_CURSOR'] },
    },
    async (request) => journeys.listInstances(principalOf(request).tenantId, request.params.journeyId, request.query),
  );

  app.delete(
    '/api/journeys/:journeyId',
    {
      schema: {
        operationId: 'deleteJourney',
        tags,
        summary: 'Delete a journey, its versions and its instances',
        params: journeyParams,
        response: { 204: Type.Null() },
      },
      config: { permission: 'Journeys:delete', errors: ['JOURNEY_NOT_FOUND'] },
    },
    async (request, reply) => {
      await journeys.delete(actorOf(request), request.params.journeyId, editOf(request));
      return reply.code(204).send(null);
    },
  );
}
