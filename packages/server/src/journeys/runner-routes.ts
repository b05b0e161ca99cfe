// The hosted journey runner: a localized HTML shell at /{tenantId}/journeys/{journeyId}
// whose script runs the journey with @keyway/web's journey client, and its assets under
// /_keyway/journey-runner/<version>/. An unknown or unpublished journey answers the same 404 page
// (no enumeration of journeys).
import { Type, type Static } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { brandedCsp, hostedBranding } from '../branding/page-branding.ts';
import type { Branding } from '../branding/branding-service.ts';
import { KeywayError } from '../errors/keyway-error.ts';
import { toStore } from '../identity/identity-service.ts';
import { AnyTenantIdParam } from '../http/path-params.ts';
import { renderRunnerShell } from '../../../hosted/src/journey-runner-shell.ts';
import { serveHostedAssetBundle } from '../selfservice/hosted-asset-bundle.ts';
import { HostedPageQuery, hostedPageLanguage } from '../selfservice/hosted-language.ts';
import { sendHostedPage } from '../selfservice/hosted-page-response.ts';
import type { Services } from '../services.ts';
import { buildRunnerAssets, type JourneyRunnerAssets } from './runner-assets.ts';

export interface JourneyRunnerRoutesOptions {
  services: Pick<Services, 'journeyDefinitions' | 'identity' | 'branding'>;
  /** Built on first use when not given (tests may share one). */
  assets?: JourneyRunnerAssets;
}

/**
 * As the hosted pages' CSP (no inline script or style), plus frames from this origin only: a custom
 * page step shows the admin's page (served sandboxed under its own CSP by journeyPageRoutes) in an iframe.
 */
export const JOURNEY_RUNNER_CSP =
  "default-src 'self'; img-src 'self' data:; frame-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

const RunnerParams = Type.Object({
  tenantId: AnyTenantIdParam,
  // Not the id pattern: a malformed id is a journey that does not exist (the 404 page, not a JSON 400).
  journeyId: Type.String({ minLength: 1, maxLength: 128 }),
});

export async function journeyRunnerRoutes(fastify: FastifyInstance, options: JourneyRunnerRoutesOptions): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  // Built on the first page or asset request, not at start-up (it transpiles and compresses every module).
  let built = options.assets;
  const assets = () => (built ??= buildRunnerAssets());
  const { journeyDefinitions, identity, branding } = options.services;

  serveHostedAssetBundle(fastify, '/_keyway/journey-runner', assets);

  /**
   * The published journey as its page shows it: the store's product name (never the journey's own name, which is the
   * administrators'), its branding, whether a browser may start it, and where to go after success; undefined when
   * there is none.
   */
  async function describeJourney(
    tenantId: string,
    journeyId: string,
  ): Promise<
    | { serviceName: string; startable: boolean; branding: Branding | undefined; applicationUrl?: string | undefined; accountUrl?: string | undefined }
    | undefined
  > {
    try {
      const journey = await journeyDefinitions.get(tenantId, journeyId);
      if (journey.latestVersion === null) return undefined;
      const { definition } = await journeyDefinitions.getVersion(tenantId, journeyId, journey.latestVersion);
      const row = await identity.findStore(tenantId, definition.store).catch(() => undefined);
      const store = row && toStore(row);
      const storeBranding = row && (await branding.forStore(row));
      const selfService = store?.selfService?.enabled ? store.selfService : undefined;
      return {
        serviceName: storeBranding?.productName ?? store?.displayName ?? store?.name ?? 'Keyway',
        startable: definition.access?.public === true,
        branding: storeBranding,
        applicationUrl: selfService?.applicationUrl,
        accountUrl: selfService && store ? `/${encodeURIComponent(tenantId)}/identity/${encodeURIComponent(store.name)}/passkeys` : undefined,
      };
    } catch (error) {
      if (error instanceof KeywayError && error.status === 404) return undefined;
      throw error;
    }
  }

  app.get(
    '/:tenantId/journeys/:journeyId',
    {
      schema: {
        operationId: 'openJourneyRunner',
        tags: ['journey runtime'],
        summary: 'The hosted journey runner (HTML)',
        description:
          'Runs the journey in the browser with the @keyway/web journey client. A public journey starts on load; a journey an API client started is continued with its sessionId in the fragment: `/{tenantId}/journeys/{journeyId}#session={sessionId}`. `?lang=en|de|fr|es` (among the languages the store’s branding offers) overrides Accept-Language; `?return_to=/path` (same origin only) is offered after success, else the store’s self-service `applicationUrl`.',
        params: RunnerParams,
        querystring: HostedPageQuery,
        produces: ['text/html'],
      },
    },
    async (request, reply) => {
      const { tenantId, journeyId } = request.params as Static<typeof RunnerParams>;
      const journey = await describeJourney(tenantId, journeyId);
      const storeBranding = journey?.branding;
      const { lang, path } = hostedPageLanguage(request, storeBranding?.languages);
      const html = renderRunnerShell({
        lang,
        tenantBase: `/${encodeURIComponent(tenantId)}`,
        journeyId,
        serviceName: journey?.serviceName ?? 'Keyway',
        startable: journey?.startable ?? false,
        applicationUrl: journey?.applicationUrl,
        accountUrl: journey?.accountUrl,
        path,
        assets: assets().page,
        ...(journey ? {} : { notFound: true }),
        branding: storeBranding && hostedBranding(storeBranding),
      });
      return sendHostedPage(reply, {
        status: journey ? 200 : 404,
        csp: storeBranding ? brandedCsp(JOURNEY_RUNNER_CSP, storeBranding) : JOURNEY_RUNNER_CSP,
        lang,
        html,
      });
    },
  );
}
