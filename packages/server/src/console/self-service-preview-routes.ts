// The self-service settings' live preview in the console: a hosted page rendered with the settings the operator has
// not saved yet, at /{tenantId}/console/preview/{storeName}/{page}. Every normal hosted page keeps
// `frame-ancestors 'none'`; only this response may be framed, and only by Keyway's own origin (the console).
//
// Why it is safe to frame: it is served only to a signed-in console operator who may read the store (the HttpOnly,
// SameSite=Strict console cookie, whose path `/{tenantId}/console` covers this route, so no token sits in the URL), and
// it is inert: `script-src 'none'` and `form-action 'none'`, so nothing on it can be clicked into doing anything — there
// is nothing to clickjack. What it shows is the server-rendered shell: the store's name and branding and the unsaved
// settings that change the page (whether sign-up is offered, the application's address).
import { Type, type Static } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { parseCookie } from 'cookie';
import type { FastifyInstance } from 'fastify';
import { brandedCsp, hostedBranding } from '../branding/page-branding.ts';
import type { BrandingService } from '../branding/branding-service.ts';
import { KeywayError } from '../errors/keyway-error.ts';
import { AnyTenantIdParam } from '../http/path-params.ts';
import type { IdentityService } from '../identity/identity-service.ts';
import { isAllowed } from '../tenancy/permissions.ts';
import { PAGE_NAMES, renderShell, type PageName } from '../../../hosted/src/shells.ts';
import type { HostedAssets } from '../selfservice/hosted-assets.ts';
import { HostedPageQuery, hostedPageLanguage } from '../selfservice/hosted-language.ts';
import { parseSelfServiceConfig } from '../selfservice/self-service-config.ts';
import { CONSOLE_COOKIE } from './console-routes.ts';
import type { ConsoleService } from './console-service.ts';

/** The hosted pages' policy, made inert (no script, no form submission) and framable by Keyway's own pages only. */
export const PREVIEW_CSP =
  "default-src 'self'; script-src 'none'; img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'self'";

const PreviewParams = Type.Object({
  tenantId: AnyTenantIdParam,
  storeName: Type.String({ minLength: 1, maxLength: 128 }),
  page: Type.Union(PAGE_NAMES.map((name) => Type.Literal(name))),
});

const PreviewQuery = Type.Composite([
  HostedPageQuery,
  Type.Object({
    /** The unsaved settings that change what the page shows */
    allowSignUp: Type.Optional(Type.Union([Type.Literal('true'), Type.Literal('false')])),
    applicationUrl: Type.Optional(Type.String({ maxLength: 2048 })),
  }),
]);

export interface SelfServicePreviewRoutesOptions {
  console: Pick<ConsoleService, 'signedInOperator'>;
  identity: Pick<IdentityService, 'findStore'>;
  branding: Pick<BrandingService, 'forStore'>;
  assets: () => HostedAssets;
}

/** An http(s) address, or nothing: the preview shows a link to it and must not carry another scheme. */
function webAddress(value: string | undefined): string | undefined {
  if (value === undefined || !URL.canParse(value)) return undefined;
  const url = new URL(value);
  return url.protocol === 'https:' || url.protocol === 'http:' ? url.href : undefined;
}

export async function selfServicePreviewRoutes(fastify: FastifyInstance, options: SelfServicePreviewRoutesOptions): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  app.get(
    '/:tenantId/console/preview/:storeName/:page',
    { schema: { hide: true, params: PreviewParams, querystring: PreviewQuery } },
    async (request, reply) => {
      const { tenantId, storeName, page } = request.params as Static<typeof PreviewParams>;
      const query = request.query as Static<typeof PreviewQuery>;
      // Fail closed: no live console session (CONSOLE_SIGN_IN_REQUIRED), or a role that may not read the store, sees nothing.
      const { permissions } = await options.console.signedInOperator(tenantId, parseCookie(request.headers.cookie ?? '')[CONSOLE_COOKIE]);
      if (!isAllowed(permissions, tenantId, 'IdentityStore:getStore')) throw new KeywayError('FORBIDDEN', 'Your role may not read this store');
      const store = await options.identity.findStore(tenantId, storeName);
      const branding = await options.branding.forStore(store);
      const { lang, path } = hostedPageLanguage(request, branding.languages);
      // A setting the address does not give is the saved one (a link followed inside the preview carries none).
      const saved = parseSelfServiceConfig(store.self_service);
      const html = renderShell({
        lang,
        // The pages' links lead to the other pages of the preview: the hosted pages themselves refuse to be framed.
        base: `/${encodeURIComponent(tenantId)}/console/preview/${encodeURIComponent(storeName)}`,
        path,
        page: page as PageName,
        serviceName: branding.productName,
        allowSignUp: query.allowSignUp === undefined ? (saved?.allowSignUp ?? false) : query.allowSignUp === 'true',
        applicationUrl: query.applicationUrl === undefined ? saved?.applicationUrl : webAddress(query.applicationUrl),
        // The stylesheet only: the preview runs no script.
        assets: { stylesheet: options.assets().forPage(page as PageName).stylesheet, preload: [] },
        branding: hostedBranding(branding),
      });
      return reply
        .headers({
          'content-security-policy': brandedCsp(PREVIEW_CSP, branding),
          'x-content-type-options': 'nosniff',
          // Legacy twin of frame-ancestors 'self'.
          'x-frame-options': 'SAMEORIGIN',
          'referrer-policy': 'no-referrer',
          'cache-control': 'no-store',
        })
        .header('content-language', lang)
        .type('text/html; charset=utf-8')
        .send(html);
    },
  );
}
