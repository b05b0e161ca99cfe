import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import fastifyStatic from '@fastify/static';
import { Type } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { KeywayError } from '../errors/keyway-error.ts';
import { TenantIdParam } from '../http/path-params.ts';
import { serverPackagePath } from '../shared/server-package-dir.ts';

/** Where `npm run build:console` writes the console (packages/console/dist). */
export const DEFAULT_CONSOLE_DIST = serverPackagePath('..', 'console', 'dist');

/**
 * The console's pages: scripts, styles and connections only from this origin, never framed, no
 * Referer sent anywhere (CSP Level 3, RFC 7034, Referrer Policy). Frames of this origin are allowed
 * for the live preview of the hosted pages; images may be data: URLs (QR codes, authenticator icons).
 */
const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "frame-src 'self'",
  "object-src 'none'",
  // The page's <base href="/{tenantId}/console/"> (below) is its own origin's.
  "base-uri 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const NOT_BUILT_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Console not built</title></head>
<body><main><h1>Console not built</h1><p>console not built — run <code>npm run build:console</code>, then reload this page.</p></main></body></html>
`;

function secure(reply: FastifyReply): FastifyReply {
  return reply
    .header('content-security-policy', CONTENT_SECURITY_POLICY)
    .header('referrer-policy', 'no-referrer')
    .header('x-frame-options', 'DENY')
    .header('x-content-type-options', 'nosniff');
}

const Params = Type.Object({ tenantId: TenantIdParam, '*': Type.Optional(Type.String({ maxLength: 2048 })) });

/**
 * Serves the console (a single-page application built into `dist`) at `/{tenantId}/console` and
 * every path under it: hashed assets under `assets/` (cached for a year, 404 when absent), anything
 * else answers index.html, where the application routes itself. `api/…` is the console's browser
 * API (console-routes.ts); an unknown path there is a 404, not the page. Until the console is
 * built, a 503 page says how to build it.
 */
export async function consoleAppRoutes(fastify: FastifyInstance, { dist = DEFAULT_CONSOLE_DIST }: { dist?: string }): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  // Not built yet is a state the pages answer (503 below), not a warning at every start.
  await app.register(fastifyStatic, { root: dist, serve: false, wildcard: false, suppressWarning: true });
  const indexFile = path.join(dist, 'index.html');
  // The page as last read, re-read when the file changes (a new build shows without a restart).
  let cached: { mtimeMs: number; html: string } | undefined;
  const indexHtml = (): string | undefined => {
    if (!existsSync(indexFile)) return undefined;
    const { mtimeMs } = statSync(indexFile);
    if (cached?.mtimeMs !== mtimeMs) cached = { mtimeMs, html: readFileSync(indexFile, 'utf8') };
    return cached.html;
  };

  const page = async (reply: FastifyReply, tenantId: string) => {
    secure(reply);
    const html = indexHtml();
    if (html === undefined) return reply.code(503).header('cache-control', 'no-store').type('text/html; charset=utf-8').send(NOT_BUILT_PAGE);
    // The same page answers every path under the console, so its relative URLs (./assets/…) are
    // resolved against the console's root, whatever the depth (tenantId matched its pattern: no markup in it).
    const based = /<base\s/i.test(html) ? html : html.replace(/<head(\s[^>]*)?>/i, (head) => `${head}<base href="/${tenantId}/console/">`);
    // The page names its hashed assets, so it is revalidated on every visit and a new build shows at once.
    return reply.header('cache-control', 'no-cache').type('text/html; charset=utf-8').send(based);
  };

  const schema = { hide: true, params: Params };
  app.get('/:tenantId/console', { schema }, async (request, reply) => page(reply, request.params.tenantId));
  app.get('/:tenantId/console/*', { schema }, async (request, reply) => {
    const rest = request.params['*'] ?? '';
    if (rest === 'api' || rest.startsWith('api/')) throw new KeywayError('ROUTE_NOT_FOUND', `No console API endpoint GET ${request.url.split('?')[0]}`);
    if (rest.startsWith('assets/')) {
      secure(reply);
      const file = rest.slice('assets/'.length);
      if (file === '' || file.split('/').some((part) => part === '' || part === '.' || part === '..') || !existsSync(path.join(dist, 'assets', file))) {
        throw new KeywayError('ROUTE_NOT_FOUND', `No console asset ${rest}`);
      }
      return reply.sendFile(path.join('assets', file), { maxAge: '365d', immutable: true });
    }
    return page(reply, request.params.tenantId);
  });
}
