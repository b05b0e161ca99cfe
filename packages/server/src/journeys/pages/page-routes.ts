import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { TenantIdParam } from '../../http/path-params.ts';
import type { Services } from '../../services.ts';
import { versionedContentRoutes } from '../forms/versioned-content-routes.ts';
import { PAGE_HEADERS, renderPage } from './page-document.ts';
import { MAX_PAGE_BYTES } from './page-service.ts';

/** Admin API of custom pages under /api/custom-pages. */
export async function customPageRoutes(app: FastifyInstance, { services }: { services: Services }): Promise<void> {
  await versionedContentRoutes(app, {
    service: services.pages,
    base: '/api/custom-pages',
    bodyKey: 'html',
    bodySchema: Type.String({
      maxLength: MAX_PAGE_BYTES,
      'x-multiline': true,
      description: 'The page: HTML with inline scripts and styles; window.keyway is the bridge to the journey',
    }),
    permissionNoun: 'Page',
    tag: 'custom pages',
    notFound: 'PAGE_NOT_FOUND',
    alreadyExists: 'PAGE_ALREADY_EXISTS',
    versionNotFound: 'PAGE_VERSION_NOT_FOUND',
  });
}

/**
 * The runtime side: a page version served to one journey step under its grant (no bearer token:
 * the unguessable grant id in the URL is the capability), sandboxed by its CSP.
 */
export async function journeyPageRoutes(fastify: FastifyInstance, { services }: { services: Services }): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  app.get(
    '/:tenantId/journeys/pages/:grantId',
    {
      schema: {
        operationId: 'getJourneyStepPage',
        tags: ['journey runtime'],
        summary: 'A custom page of a journey step, for the runner’s sandboxed iframe (the URL comes from the step’s data)',
        params: Type.Object({ tenantId: TenantIdParam, grantId: Type.String({ pattern: '^[A-Za-z0-9_-]{22}$' }) }),
        response: { 200: Type.String({ description: 'text/html' }) },
      },
      config: { errors: ['PAGE_GRANT_NOT_FOUND'] },
    },
    async (request, reply) => {
      const page = await services.pages.served(request.params.tenantId, request.params.grantId);
      return reply.headers(PAGE_HEADERS).type('text/html; charset=utf-8').send(renderPage(page.html, page.data));
    },
  );
}
