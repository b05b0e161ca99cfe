// What a browser gets outside the API: the home page at `/` (for a client asking for HTML), the favicon,
// and the HTML not-found page the problem gate answers a browser with instead of problem+json.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { renderHomePage, renderSiteNotFound } from '../../../hosted/src/site-shells.ts';
import { KeywayError } from '../errors/keyway-error.ts';
import { serverPackagePath } from '../shared/server-package-dir.ts';
import { keywayVersion } from '../shared/version.ts';
import { prefersHtml } from '../http/html-negotiation.ts';
import { checkReadiness } from '../http/operations.ts';
import type { Database } from '../storage/database.ts';
import type { HostedAssets } from './hosted-assets.ts';
import { hostedPageLanguage } from './hosted-language.ts';
import { sendHostedPage } from './hosted-page-response.ts';
import type { SelfServiceService } from './self-service-service.ts';

/** As the hosted pages' CSP: these pages run no script at all. */
const SITE_PAGE_CSP =
  "default-src 'self'; script-src 'none'; img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

const HOSTED_DIR = serverPackagePath('..', 'hosted', 'src');
const FAVICONS = {
  '/favicon.ico': { file: 'favicon.ico', type: 'image/x-icon' },
  '/favicon.svg': { file: 'favicon.svg', type: 'image/svg+xml' },
} as const;

export interface SitePagesRoutesOptions {
  database: Database;
  assets: () => HostedAssets;
}

export async function sitePagesRoutes(app: FastifyInstance, { database, assets }: SitePagesRoutesOptions): Promise<void> {
  const version = keywayVersion();
  app.get('/', { schema: { hide: true } }, async (request, reply) => {
    // An API client keeps the answer it always had: there is no endpoint here.
    if (!prefersHtml(request)) return reply.callNotFound();
    const { lang, path } = hostedPageLanguage(request);
    const health = await checkReadiness(database, request.log);
    const html = renderHomePage({ lang, path, stylesheet: assets().forPage('signin').stylesheet, version, health });
    return sendHostedPage(reply, { status: 200, csp: SITE_PAGE_CSP, lang, html });
  });

  for (const [route, { file, type }] of Object.entries(FAVICONS)) {
    let body: Buffer | undefined;
    app.get(route, { schema: { hide: true } }, async (_request, reply) => {
      body ??= readFileSync(resolve(HOSTED_DIR, file));
      return reply.header('cache-control', 'public, max-age=86400').header('x-content-type-options', 'nosniff').type(type).send(body);
    });
  }
}

/** A store path: `/{tenantId}/identity/{storeName}/…`. */
const STORE_PATH = /^\/([^/?#]+)\/identity\/([^/?#]+)(?:[/?#]|$)/;

export interface NotFoundPageOptions {
  selfService: Pick<SelfServiceService, 'resolve'>;
  assets: () => HostedAssets;
}

/**
 * The not-found answer for a browser asking for a page (undefined for every other client: problem+json). Below a
 * store that serves its pages it names the store and links to its sign-in page; anywhere else, to the home page.
 * A store that is unknown or switched off gets the generic page (no enumeration of stores).
 */
export function htmlNotFoundPage({
  selfService,
  assets,
}: NotFoundPageOptions): (request: FastifyRequest, reply: FastifyReply) => Promise<FastifyReply> | undefined {
  return (request, reply) => {
    if (!prefersHtml(request)) return undefined;
    return (async () => {
      const { lang, path } = hostedPageLanguage(request);
      const match = STORE_PATH.exec(request.url);
      let store: { serviceName: string; signin: string } | undefined;
      if (match) {
        try {
          const [tenantId, storeName] = [decodeURIComponent(match[1]!), decodeURIComponent(match[2]!)];
          const target = await selfService.resolve(tenantId, storeName);
          store = {
            serviceName: target.store.display_name ?? target.store.name,
            signin: `/${encodeURIComponent(tenantId)}/identity/${encodeURIComponent(storeName)}/signin`,
          };
        } catch (error) {
          if (!(error instanceof KeywayError || error instanceof URIError)) throw error;
        }
      }
      const html = renderSiteNotFound({ lang, path, stylesheet: assets().forPage('signin').stylesheet, ...(store ? { store } : {}) });
      return sendHostedPage(reply, { status: 404, csp: SITE_PAGE_CSP, lang, html });
    })();
  };
}
