import { editOf } from '../http/edit-concurrency.ts';
import { Type, type TProperties } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { StoreNameSchema, pathParams } from '../http/path-params.ts';
import { actorOf, principalOf } from '../http/route-config.ts';
import type { Services } from '../services.ts';
import { BrandingBody, BrandingSchema } from './branding-schemas.ts';

export interface BrandingRoutesOptions {
  services: Pick<Services, 'branding'>;
  /** Registered a second time under `/api/identity-store/:tenantId` (TrustX's tenant paths); hidden from the docs. */
  tenantAlias?: boolean;
}

/**
 * A store's branding for its hosted pages, journey runner and e-mails. Part of the store's configuration
 * like its self-service settings, so it takes the same permissions: reading the store, updating the store.
 */
export async function brandingRoutes(fastify: FastifyInstance, { services, tenantAlias = false }: BrandingRoutesOptions): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const branding = services.branding;
  const params = <P extends TProperties>(properties: P) => pathParams(properties, { tenantAlias });
  const doc = (summary: string, description: string) => ({ tags: ['stores'], summary, description, ...(tenantAlias ? { hide: true } : {}) });
  const storeParams = params({ storeName: StoreNameSchema });

  app.get(
    '/stores/:storeName/branding',
    {
      schema: {
        operationId: 'getStoreBranding',
        ...doc(
          'Read a store’s branding',
          'The settings as stored (absent fields keep Keyway’s defaults) and `effective`: what the hosted pages show, with the colours Keyway derived.',
        ),
        params: storeParams,
        response: { 200: BrandingSchema },
      },
      config: { permission: 'IdentityStore:getStore', errors: ['STORE_NOT_FOUND'] },
    },
    async (request) => branding.get(principalOf(request).tenantId, request.params.storeName),
  );

  app.put(
    '/stores/:storeName/branding',
    {
      schema: {
        operationId: 'replaceStoreBranding',
        ...doc(
          'Replace a store’s branding',
          'Logo, product name, colours and the languages offered by the hosted pages and the journey runner. Colours you set are never changed: one that does not reach WCAG AA contrast where the pages use it (4.5:1 for text, 3:1 for the focus ring) refuses the whole request. Colours Keyway derives (text on buttons, hover, the dark variant of primaryColor) are chosen to pass. Other nodes show a change within 30 seconds.',
        ),
        params: storeParams,
        body: BrandingBody,
        response: { 200: BrandingSchema },
      },
      config: {
        permission: 'IdentityStore:updateStore',
        errors: ['STORE_NOT_FOUND', 'BRANDING_COLOR_INVALID', 'BRANDING_CONTRAST_TOO_LOW', 'BRANDING_LOGO_INVALID', 'BRANDING_LANGUAGE_UNSUPPORTED'],
      },
    },
    async (request) => branding.replace(actorOf(request), request.params.storeName, request.body, editOf(request)),
  );

  app.delete(
    '/stores/:storeName/branding',
    {
      schema: {
        operationId: 'resetStoreBranding',
        ...doc('Reset a store’s branding', 'Back to Keyway’s look, every language offered.'),
        params: storeParams,
        response: { 204: Type.Null() },
      },
      config: { permission: 'IdentityStore:updateStore', errors: ['STORE_NOT_FOUND'] },
    },
    async (request, reply) => {
      await branding.reset(actorOf(request), request.params.storeName, editOf(request));
      return reply.code(204).send(null);
    },
  );
}
