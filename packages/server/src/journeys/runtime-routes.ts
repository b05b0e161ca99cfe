import { Type } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { allowReading, answerPreflight, originOf } from '../http/browser-origin.ts';
import { AnyTenantIdParam, JourneyIdParam, JourneySessionIdParam } from '../http/path-params.ts';
import type { Services } from '../services.ts';
import { browserSecretOf } from './engine/browser-binding.ts';
import type { JourneyStarter } from './engine/journey-access.ts';
import { describeRejectionCodes } from './engine/rejection-codes.ts';
import { StartJourneyBody, StepResponseSchema, SubmitBody } from './journey-schemas.ts';

const tags = ['journey runtime'];

const rejectionCodes = describeRejectionCodes();
const protocol = `Answers \`{journeyStepId, data, sessionId}\`. At the end \`journeyStepId\` is \`success\` (data: the user and an ID token when the journey authenticated them, see the \`data\` schema) or \`rejection\` (data: a problem \`code\`). Engine rejection codes:\n${rejectionCodes}`;

/** The first language tag of Accept-Language (steps localise with it). */
export function localeOf(request: FastifyRequest): string {
  const header = request.headers['accept-language'];
  const first = typeof header === 'string' ? header.split(',')[0]?.split(';')[0]?.trim() : undefined;
  return first && /^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*$/.test(first) ? first : 'en';
}

/** The journey runtime: start a journey and submit client responses. */
export async function journeyRuntimeRoutes(fastify: FastifyInstance, { services }: { services: Services }): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const engine = services.journeys;

  // CORS (Fetch §3.2), so an application's own pages can run a journey with @keyway/web/journey.
  // The engine already refuses a browser request whose Origin is not one of the store's relying
  // parties (JOURNEY_ORIGIN_NOT_ALLOWED, before it changes anything); every other answer may be read
  // by the requesting origin. The session id is the credential, so no Allow-Credentials: the one cookie the runtime
  // reads, the journey browser cookie of an instance bound to its browser (engine/browser-binding.ts: a login journey
  // of an OIDC interaction), is only ever sent by Keyway's own hosted runner, same-origin.
  const refusedOrigin = new WeakSet<FastifyRequest>();
  async function judgingOrigin<T>(request: FastifyRequest, work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      if ((error as { code?: unknown }).code === 'JOURNEY_ORIGIN_NOT_ALLOWED') refusedOrigin.add(request);
      throw error;
    }
  }
  app.addHook('onSend', async (request, reply) => {
    const origin = originOf(request);
    if (origin !== undefined && !refusedOrigin.has(request)) allowReading(reply, origin, { credentials: false });
  });
  // Preflight: lets the browser send the request; the request itself is then judged by its Origin.
  app.options('/:tenantId/journeys/*', { schema: { hide: true } }, async (_request, reply) => {
    answerPreflight(reply, { methods: ['GET', 'POST'], headers: ['content-type', 'accept-language'] });
    return reply.code(204).send();
  });

  /**
   * Who starts: a browser without a token (public journeys, Origin checked), or an API client with
   * a bearer token holding Journeys:start (optionally naming the user), authenticated by the one
   * bearer hook (`bearer: 'optional'`): a token, when sent, must be valid.
   */
  const starterOf = (request: FastifyRequest): JourneyStarter =>
    request.principal === undefined
      ? { kind: 'public', origin: originOf(request) ?? '', clientIp: request.ip }
      : { kind: 'api', caller: request.principal, origin: originOf(request) };

  app.post(
    '/:tenantId/journeys/:journeyId/start',
    {
      schema: {
        operationId: 'startJourney',
        tags,
        summary: 'Start a journey',
        description: `Public journeys start from a browser without a token (the Origin must be one of the store’s relying parties); any journey can be started by an API client with a bearer token holding \`TNT#{tenant}#Journeys:start\`, optionally for a named user (which also needs the permission to read that user, and, when the journey registers a passkey for its user or starts their sign-in before a step identifies someone, the permissions of the passkey ceremony API for the same act: \`IdentityStore:createPasskeyRegistrationForUser\` / \`…AuthenticationForUser\`, by \`externalId\` also \`…ByExtId\`; 403 JOURNEY_STARTER_NOT_PERMITTED otherwise, nothing read or stored). ${protocol}`,
        params: Type.Object({ tenantId: AnyTenantIdParam, journeyId: JourneyIdParam }),
        body: StartJourneyBody,
        response: { 200: StepResponseSchema },
      },
      config: {
        permission: 'Journeys:start',
        bearer: 'optional',
        errors: [
          'RATE_LIMITED',
          'JOURNEY_NOT_FOUND',
          'JOURNEY_NOT_PUBLISHED',
          'JOURNEY_NOT_STARTABLE',
          'JOURNEY_STARTER_NOT_PERMITTED',
          'JOURNEY_ORIGIN_NOT_ALLOWED',
          'UNAUTHENTICATED',
          'USER_NOT_FOUND',
          'STORE_NOT_FOUND',
          'ORGANIZATION_NOT_FOUND',
        ],
      },
    },
    async (request) => {
      const starter = starterOf(request);
      return judgingOrigin(request, () => engine.start(request.params.tenantId, request.params.journeyId, starter, request.body, localeOf(request)));
    },
  );

  app.post(
    '/:tenantId/journeys/sessions/:sessionId/submit',
    {
      schema: {
        operationId: 'submitJourneyStep',
        tags,
        summary: 'Submit the client’s response to the current step',
        description: `The session id authenticates the journey; each answer carries a new one and the old one is refused (409), so a double submit never runs a step twice. ${protocol}`,
        params: Type.Object({ tenantId: AnyTenantIdParam, sessionId: JourneySessionIdParam }),
        body: SubmitBody,
        response: { 200: StepResponseSchema },
      },
      config: {
        errors: [
          'JOURNEY_SESSION_NOT_FOUND',
          'JOURNEY_SESSION_EXPIRED',
          'JOURNEY_STEP_ALREADY_SUBMITTED',
          'JOURNEY_OPTION_NOT_OFFERED',
          'JOURNEY_ORIGIN_NOT_ALLOWED',
        ],
      },
    },
    async (request) => {
      const body = request.body;
      return judgingOrigin(request, () =>
        engine.submit(
          request.params.tenantId,
          request.params.sessionId,
          originOf(request),
          { clientResponseOptionId: body.clientResponseOptionId, data: body.data ?? null, journeyStepId: body.journeyStepId },
          localeOf(request),
          browserSecretOf(request.headers.cookie),
        ),
      );
    },
  );

  app.get(
    '/:tenantId/journeys/sessions/:sessionId',
    {
      schema: {
        operationId: 'getJourneySession',
        tags,
        summary: 'The current step of a journey session again (e.g. after a reload)',
        params: Type.Object({ tenantId: AnyTenantIdParam, sessionId: JourneySessionIdParam }),
        response: { 200: StepResponseSchema },
      },
      config: { errors: ['JOURNEY_SESSION_NOT_FOUND', 'JOURNEY_SESSION_EXPIRED', 'JOURNEY_STEP_ALREADY_SUBMITTED', 'JOURNEY_ORIGIN_NOT_ALLOWED'] },
    },
    async (request, reply) => {
      reply.header('cache-control', 'no-store');
      return judgingOrigin(request, () =>
        engine.current(request.params.tenantId, request.params.sessionId, originOf(request), localeOf(request), browserSecretOf(request.headers.cookie)),
      );
    },
  );
}
