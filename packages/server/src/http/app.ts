import { randomUUID } from 'node:crypto';
import formbody from '@fastify/formbody';
import swagger from '@fastify/swagger';
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import { auditRoutes } from '../audit/audit-routes.ts';
import { brandingRoutes } from '../branding/branding-routes.ts';
import type { Config } from '../config/config.ts';
import { fastifyTrustProxy } from '../config/trust-proxy.ts';
import { consoleAppRoutes } from '../console/console-app-routes.ts';
import { pagePreviewRoutes } from '../console/page-preview-routes.ts';
import { selfServicePreviewRoutes } from '../console/self-service-preview-routes.ts';
import { consoleRoutes } from '../console/console-routes.ts';
import { isAccessToken } from '../console/console-secrets.ts';
import { operatorRoutes } from '../console/operator-routes.ts';
import { overviewRoutes } from '../console/overview-routes.ts';
import { identityStoreRoutes } from '../identity/identity-store-routes.ts';
import { organizationRoutes } from '../organizations/organization-routes.ts';
import { customFormRoutes } from '../journeys/forms/form-routes.ts';
import { customPageRoutes, journeyPageRoutes } from '../journeys/pages/page-routes.ts';
import { journeyRoutes } from '../journeys/journey-routes.ts';
import { journeyDryRunRoutes } from '../journeys/dry-run/dry-run-routes.ts';
import { journeyRuntimeRoutes } from '../journeys/runtime-routes.ts';
import { journeyRunnerRoutes } from '../journeys/runner-routes.ts';
import { loggerOptions, resolveLogFormat } from '../logging/log-output.ts';
import { OneLinePerRequest } from '../logging/one-line-per-request.ts';
import { ceremonyRoutes } from '../passkeys/ceremony-routes.ts';
import { credentialRoutes } from '../passkeys/credential-routes.ts';
import { deviceRoutes } from '../passkeys/device-routes.ts';
import { passkeyConfigRoutes } from '../passkeys/passkey-config-routes.ts';
import { wellKnownRoutes } from '../passkeys/well-known-routes.ts';
import { hostedPagesRoutes } from '../selfservice/hosted-pages-routes.ts';
import { selfServiceAdminRoutes } from '../selfservice/self-service-admin-routes.ts';
import { selfServiceRoutes } from '../selfservice/self-service-routes.ts';
import { htmlNotFoundPage, sitePagesRoutes } from '../selfservice/site-pages-routes.ts';
import type { Services } from '../services.ts';
import type { Database } from '../storage/database.ts';
import { apiClientRoutes } from '../tenancy/api-client-routes.ts';
import { tokenRoutes } from '../tenancy/token-routes.ts';
import { jwksRoutes } from '../tokens/jwks-routes.ts';
import { installAuthentication } from './authenticate.ts';
import { docsRoutes } from './docs-routes.ts';
import { installEditConcurrency } from './edit-concurrency.ts';
import { lazySchemaCompilers } from './lazy-schema-compilers.ts';
import { installOperations } from './operations.ts';
import { SWAGGER_OPTIONS, documentFor, installRouteDocumentation } from './openapi.ts';
import { ProblemSchema } from './problem.ts';
import { answerFrameworkError, installProblemGate } from './problem-gate.ts';
import { installTextRule } from './text-rule.ts';
import { validatorCompiler } from './validators.ts';
import { Registry } from 'prom-client';
import { createAdmissionControl } from './admission-control.ts';
import { oidcClientRoutes } from '../oidc/oidc-client-routes.ts';
import { oidcInteractionRoutes } from '../oidc/oidc-interaction-routes.ts';
import { oidcRoutes } from '../oidc/oidc-routes.ts';

export interface AppDeps {
  config: Config;
  database: Database;
  services: Services;
  /** The built console (default packages/console/dist); tests point it at a fixture. */
  consoleDist?: string;
  /** Pino options or an instance; tests pass `false` to keep output quiet. Default: JSON lines, or human ones on a terminal (`KEYWAY_LOG_FORMAT`). */
  logger?: FastifyServerOptions['logger'];
}

const REQUEST_ID = /^[A-Za-z0-9._-]{8,128}$/;

/** Builds the whole HTTP application: one plugin per area, one error gate, one auth hook. */
export async function buildApp({ config, database, services, logger, consoleDist }: AppDeps): Promise<FastifyInstance> {
  // Validators and serializers compile on first use (lazy-schema-compilers.ts), not before listening.
  const compilers = lazySchemaCompilers(validatorCompiler);
  const metrics = new Registry();
  // Load shedding: its queue-delay rule answers in the HTTP server itself, ahead of Fastify (serverFactory).
  const admission = createAdmissionControl({
    maxConcurrentRequests: config.maxConcurrentRequests,
    shedDelayTargetMs: config.shedDelayTargetMs,
    registry: metrics,
  });
  const app = Fastify({
    serverFactory: admission.serverFactory,
    schemaController: { compilersFactory: { buildSerializer: compilers.buildSerializer } },
    logger: logger ?? loggerOptions(config, resolveLogFormat(config.logFormat, process.stdout.isTTY === true)),
    logController: new OneLinePerRequest(),
    bodyLimit: config.bodyLimitBytes,
    // A request is admitted (and holds one of the KEYWAY_MAX_CONCURRENT_REQUESTS places) once its headers are in: a
    // client that then sends its body slowly, or never, must lose the place in bounded time (408, connection closed).
    requestTimeout: config.requestTimeoutSeconds * 1000,
    trustProxy: fastifyTrustProxy(config.trustProxy),
    // Honour a caller's request id (for tracing across services) when it is well-formed.
    genReqId: (req) => {
      const incoming = req.headers['x-request-id'];
      return typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : randomUUID();
    },
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    routerOptions: { ignoreTrailingSlash: true },
    frameworkErrors: answerFrameworkError,
  });
  app.setValidatorCompiler(compilers.validatorCompiler);
  app.decorate('schemaCompilation', compilers.compilation);
  // The API speaks JSON (and form-encoding on /oauth2/token): other bodies are 415, not parsed as text.
  app.removeContentTypeParser('text/plain');
  // Hooks that do not wait for anything take a callback (here and in operations, text-rule, authenticate): an async
  // hook costs a promise and a turn of the microtask queue per request, about a microsecond, on every request.
  app.addHook('onSend', (request, reply, payload, done) => {
    reply.header('x-request-id', request.id);
    done(null, payload);
  });
  // First of all hooks: past capacity, a request is refused before any other work is spent on it.
  admission.install(app);
  app.addSchema(ProblemSchema);
  const hostedAssets = services.hostedAssets;
  installProblemGate(app, { notFoundPage: htmlNotFoundPage({ selfService: services.selfService, assets: hostedAssets }) });
  // Before the documentation hook, which lists the EDIT_CONFLICT it adds to the editable resources' writes.
  installEditConcurrency(app, database.db);
  installRouteDocumentation(app);
  // Before authentication and every route hook: no string with NUL, controls or lone surrogates goes further.
  installTextRule(app);
  // Bearer tokens of API clients, and the console's access tokens bound to an operator's session.
  installAuthentication(app, {
    authenticate: (token) => (isAccessToken(token) ? services.console.authenticate(token) : services.tenancy.authenticate(token)),
  });
  await installOperations(app, { database, registry: metrics });

  await app.register(swagger, SWAGGER_OPTIONS as never);
  await app.register(docsRoutes, { publicUrl: config.publicUrl });
  app.get('/openapi.json', { schema: { hide: true } }, async (request) => documentFor(app.swagger(), config.publicUrl, request));

  await app.register(formbody);
  await app.register(tokenRoutes, { services });
  await app.register(apiClientRoutes, { services, prefix: '/api/admin' });
  await app.register(auditRoutes, { services, prefix: '/api' });
  await app.register(jwksRoutes, { services });
  // TrustX shows identity-store paths both with and without the tenant; both are accepted.
  await app.register(identityStoreRoutes, { services, prefix: '/api/identity-store' });
  await app.register(identityStoreRoutes, { services, prefix: '/api/identity-store/:tenantId', tenantAlias: true });
  await app.register(organizationRoutes, { services, prefix: '/api/identity-store' });
  await app.register(organizationRoutes, { services, prefix: '/api/identity-store/:tenantId', tenantAlias: true });
  await app.register(passkeyConfigRoutes, { services, prefix: '/api/identity-store' });
  await app.register(passkeyConfigRoutes, { services, prefix: '/api/identity-store/:tenantId', tenantAlias: true });
  await app.register(ceremonyRoutes, { services, prefix: '/api/identity-store' });
  await app.register(ceremonyRoutes, { services, prefix: '/api/identity-store/:tenantId', tenantAlias: true });
  await app.register(credentialRoutes, { services, prefix: '/api/identity-store' });
  await app.register(credentialRoutes, { services, prefix: '/api/identity-store/:tenantId', tenantAlias: true });
  await app.register(deviceRoutes, { services, prefix: '/api/identity-store' });
  await app.register(wellKnownRoutes, { services });
  // Browser self-service: the public API per store, and its admin side (recovery links, sessions).
  await app.register(selfServiceRoutes, { services, publicUrl: config.publicUrl, prefix: '/:tenantId/identity/:storeName' });
  await app.register(selfServiceAdminRoutes, { services, prefix: '/api/identity-store' });
  await app.register(selfServiceAdminRoutes, { services, prefix: '/api/identity-store/:tenantId', tenantAlias: true });
  await app.register(brandingRoutes, { services, prefix: '/api/identity-store' });
  await app.register(brandingRoutes, { services, prefix: '/api/identity-store/:tenantId', tenantAlias: true });
  // Hosted self-service pages (sign up, sign in, my passkeys, recovery) and their assets under /_keyway/.
  await app.register(hostedPagesRoutes, { selfService: services.selfService, branding: services.branding, email: services.email, assets: hostedAssets });
  // For browsers: the home page at `/` and the favicon.
  await app.register(sitePagesRoutes, { database, assets: hostedAssets });
  // Journey custom forms and pages: admin API, and pages served to journey steps.
  await app.register(customFormRoutes, { services });
  await app.register(customPageRoutes, { services });
  await app.register(journeyPageRoutes, { services });
  // Journeys: definitions and versions (admin), and the runtime protocol.
  await app.register(journeyRoutes, { services });
  await app.register(journeyDryRunRoutes, { services });
  await app.register(journeyRuntimeRoutes, { services });
  // The hosted journey runner page and its assets.
  await app.register(journeyRunnerRoutes, { services });
  // Each tenant's OpenID Provider: its clients (admin), the protocol endpoints and discovery, the passkey login.
  await app.register(oidcClientRoutes, { clients: services.oidcClients, prefix: '/api/oidc' });
  await app.register(oidcRoutes, { providers: services.oidc, publicUrl: config.publicUrl, pages: services.oidcPages });
  await app.register(oidcInteractionRoutes, {
    login: services.oidcLogin,
    providers: services.oidc,
    clients: services.oidcClients,
    journeys: services.journeys,
    organizations: services.organizations,
    publicUrl: config.publicUrl,
    pages: services.oidcPages,
  });
  // The console: its operators' browser API, and the operators in the admin API.
  await app.register(consoleRoutes, { console: services.console, publicUrl: config.publicUrl, prefix: '/:tenantId/console/api' });
  await app.register(operatorRoutes, { operators: services.operators, prefix: '/api/console' });
  await app.register(overviewRoutes, { overview: services.overview, prefix: '/api/console' });
  await app.register(selfServicePreviewRoutes, { console: services.console, identity: services.identity, branding: services.branding, assets: hostedAssets });
  await app.register(pagePreviewRoutes, { console: services.console, publicUrl: config.publicUrl });
  await app.register(consoleAppRoutes, consoleDist === undefined ? {} : { dist: consoleDist });
  return app;
}
