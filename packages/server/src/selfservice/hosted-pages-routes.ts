// The hosted self-service pages: server-rendered, localized HTML shells at
// /{tenantId}/identity/{storeName}/{signup,signin,passkeys,recover}, and their static assets under
// /_keyway/<version>/. A store without enabled self-service answers the same 404 page as an unknown
// one (no enumeration of stores).
import { Type, type Static } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { brandedCsp, hostedBranding } from '../branding/page-branding.ts';
import type { BrandingService } from '../branding/branding-service.ts';
import type { EmailService } from '../email/email-service.ts';
import { KeywayError } from '../errors/keyway-error.ts';
import { prefersHtml } from '../http/html-negotiation.ts';
import { AnyTenantIdParam } from '../http/path-params.ts';
import { PAGE_NAMES, renderShell, type PageName } from '../../../hosted/src/shells.ts';
import { serveHostedAssetBundle } from './hosted-asset-bundle.ts';
import { buildHostedAssets, type HostedAssets } from './hosted-assets.ts';
import { HostedPageQuery, hostedPageLanguage } from './hosted-language.ts';
import { sendHostedPage } from './hosted-page-response.ts';
import { allowsAccountDeletion } from './self-service-config.ts';
import type { SelfServiceService } from './self-service-service.ts';

export interface HostedPagesRoutesOptions {
  selfService: Pick<SelfServiceService, 'resolve'>;
  /** The store's logo, colours and languages; Keyway's look without it. */
  branding?: Pick<BrandingService, 'forStore'> | undefined;
  /** Whether the server sends e-mail (the lost-passkey page and the sign-in page's link to it). */
  email?: Pick<EmailService, 'configured'> | undefined;
  /** The assets, built on first use (shared with the other pages of the server). */
  assets?: () => HostedAssets;
}

/**
 * No inline script or style anywhere; images may be the authenticators' `data:` icons. WebAuthn needs
 * nothing else. `frame-ancestors 'none'`: the pages cannot be framed (clickjacking).
 */
export const HOSTED_PAGE_CSP = "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

const PageParams = Type.Object({
  tenantId: AnyTenantIdParam,
  storeName: Type.String({ minLength: 1, maxLength: 128 }),
});

export async function hostedPagesRoutes(fastify: FastifyInstance, options: HostedPagesRoutesOptions): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  // Built on the first page or asset request, not at start-up (it transpiles and compresses every module).
  let built: HostedAssets | undefined;
  const assets = options.assets ?? (() => (built ??= buildHostedAssets()));

  serveHostedAssetBundle(fastify, '/_keyway', assets);

  // A stable address for the SDK, for relying parties' own pages: `import('https://<keyway>/_keyway/web.js')`.
  app.get('/_keyway/web.js', { schema: { hide: true } }, async (_request, reply) =>
    reply.header('cache-control', 'no-cache').header('access-control-allow-origin', '*').redirect(assets().sdk, 302),
  );

  const render = async (page: PageName, request: FastifyRequest, reply: FastifyReply) => {
    // The route schemas below validated them.
    const { tenantId, storeName } = request.params as Static<typeof PageParams>;
    const base = `/${encodeURIComponent(tenantId)}/identity/${encodeURIComponent(storeName)}`;
    let target;
    try {
      target = await options.selfService.resolve(tenantId, storeName);
    } catch (error) {
      if (!(error instanceof KeywayError) || error.status !== 404) throw error;
      const { lang, path } = hostedPageLanguage(request);
      const html = renderShell({
        lang,
        base,
        path,
        page: 'not-found',
        serviceName: 'Keyway',
        allowSignUp: false,
        assets: { stylesheet: assets().forPage('signin').stylesheet, preload: [] },
      });
      return sendHostedPage(reply, { status: 404, csp: HOSTED_PAGE_CSP, lang, html });
    }
    const branding = await options.branding?.forStore(target.store);
    const { lang, path } = hostedPageLanguage(request, branding?.languages);
    const html = renderShell({
      lang,
      base,
      path,
      page,
      serviceName: branding?.productName ?? target.store.display_name ?? target.store.name,
      allowSignUp: target.config.allowSignUp,
      applicationUrl: target.config.applicationUrl,
      emailEnabled: options.email?.configured === true,
      accountDeletion: allowsAccountDeletion(target.config),
      assets: assets().forPage(page),
      branding: branding && hostedBranding(branding),
    });
    return sendHostedPage(reply, { status: 200, csp: branding ? brandedCsp(HOSTED_PAGE_CSP, branding) : HOSTED_PAGE_CSP, lang, html });
  };

  // A store's root is its sign-in page, for a browser; an API client keeps the not-found answer it always had.
  app.get('/:tenantId/identity/:storeName', { schema: { hide: true, params: PageParams, querystring: HostedPageQuery } }, async (request, reply) => {
    if (!prefersHtml(request)) return reply.callNotFound();
    const { tenantId, storeName } = request.params as Static<typeof PageParams>;
    const query = request.url.includes('?') ? request.url.slice(request.url.indexOf('?')) : '';
    return reply.header('cache-control', 'no-store').redirect(`/${encodeURIComponent(tenantId)}/identity/${encodeURIComponent(storeName)}/signin${query}`, 302);
  });

  for (const page of PAGE_NAMES) {
    app.get(`/:tenantId/identity/:storeName/${page}`, { schema: { hide: true, params: PageParams, querystring: HostedPageQuery } }, (request, reply) =>
      render(page, request, reply),
    );
  }
}
