// The hosted self-service pages (issue 4): server-rendered, localized HTML shells at
// /{tenantId}/identity/{storeName}/{signup,signin,passkeys,recover}, and their static assets under
// /_keyway/<version>/. A store without enabled self-service answers the same 404 page as an unknown
// one (no enumeration of stores).
import { Type, type Static } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { KeywayError } from '../errors/keyway-error.ts';
import { PAGE_NAMES, renderShell, type PageName } from '../../../hosted/src/shells.ts';
import { buildHostedAssets, type HostedAssets } from './hosted-assets.ts';
import { negotiateLanguage } from './hosted-language.ts';
import type { SelfServiceService } from './self-service-service.ts';

export interface HostedPagesRoutesOptions {
  selfService: Pick<SelfServiceService, 'resolve'>;
  /** Built at start-up when not given (tests may share one). */
  assets?: HostedAssets;
}

/**
 * No inline script or style anywhere; images may be the authenticators' `data:` icons. WebAuthn needs
 * nothing else. `frame-ancestors 'none'`: the pages cannot be framed (clickjacking).
 */
export const HOSTED_PAGE_CSP = "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

const PAGE_HEADERS = {
  'content-security-policy': HOSTED_PAGE_CSP,
  'cache-control': 'no-store',
  vary: 'Accept-Language',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'permissions-policy': 'publickey-credentials-get=(self), publickey-credentials-create=(self)',
};

const PageParams = Type.Object({
  tenantId: Type.String({ minLength: 1, maxLength: 128 }),
  storeName: Type.String({ minLength: 1, maxLength: 128 }),
});
const PageQuery = Type.Object({ lang: Type.Optional(Type.String({ maxLength: 16 })) }, { additionalProperties: true });

export async function hostedPagesRoutes(fastify: FastifyInstance, options: HostedPagesRoutesOptions): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const assets = options.assets ?? buildHostedAssets();

  app.get(
    '/_keyway/:version/*',
    { schema: { hide: true, params: Type.Object({ version: Type.String({ maxLength: 64 }), '*': Type.String({ maxLength: 256 }) }) } },
    async (request, reply) => {
      const file = request.params.version === assets.version ? assets.files.get(request.params['*']) : undefined;
      if (!file) throw new KeywayError('ROUTE_NOT_FOUND', `No asset ${request.url.split('?')[0]}`);
      reply.header('content-type', file.contentType).header('cache-control', 'public, max-age=31536000, immutable').header('x-content-type-options', 'nosniff').header('vary', 'Accept-Encoding');
      if (/\bgzip\b/.test(request.headers['accept-encoding'] ?? '')) return reply.header('content-encoding', 'gzip').send(file.gzip);
      return reply.send(file.body);
    },
  );

  // A stable address for the SDK, for relying parties' own pages: `import('https://<keyway>/_keyway/web.js')`.
  app.get('/_keyway/web.js', { schema: { hide: true } }, async (_request, reply) =>
    reply.header('cache-control', 'no-cache').redirect(assets.sdk, 302),
  );

  const render = async (page: PageName, request: FastifyRequest, reply: FastifyReply) => {
    // The route schemas below validated both.
    const { tenantId, storeName } = request.params as Static<typeof PageParams>;
    const lang = negotiateLanguage(request.headers['accept-language'], (request.query as Static<typeof PageQuery>).lang);
    const url = new URL(request.url, 'http://localhost');
    url.searchParams.delete('lang');
    const base = `/${encodeURIComponent(tenantId)}/identity/${encodeURIComponent(storeName)}`;
    const common = { lang, base, path: url.pathname + url.search };
    let target;
    try {
      target = await options.selfService.resolve(tenantId, storeName);
    } catch (error) {
      if (!(error instanceof KeywayError) || error.status !== 404) throw error;
      const html = renderShell({ ...common, page: 'not-found', serviceName: 'Keyway', allowSignUp: false, assets: { stylesheet: assets.forPage('signin').stylesheet, preload: [] } });
      return reply.code(404).headers(PAGE_HEADERS).header('content-language', lang).type('text/html; charset=utf-8').send(html);
    }
    const html = renderShell({
      ...common,
      page,
      serviceName: target.store.display_name ?? target.store.name,
      allowSignUp: target.config.allowSignUp,
      assets: assets.forPage(page),
    });
    return reply.headers(PAGE_HEADERS).header('content-language', lang).type('text/html; charset=utf-8').send(html);
  };

  for (const page of PAGE_NAMES) {
    app.get(`/:tenantId/identity/:storeName/${page}`, { schema: { hide: true, params: PageParams, querystring: PageQuery } }, (request, reply) => render(page, request, reply));
  }
}
