import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import fastifyStatic from '@fastify/static';
import { Type } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { KeywayError } from '../errors/keyway-error.ts';
import { TenantIdParam } from '../http/path-params.ts';

/** Where `npm run build:console` writes the console (packages/console/dist). */
export const DEFAULT_CONSOLE_DIST = path.resolve(import.meta.dirname, '../../../console/dist');

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
  "base-uri 'none'",
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

/** What the built index.html writes in front of its asset paths (packages/console/vite.config.ts). */
const CONSOLE_BASE_PLACEHOLDER = '/__KEYWAY_CONSOLE_BASE__/';

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
  const built = () => existsSync(path.join(dist, 'index.html'));

  const page = async (reply: FastifyReply, tenantId: string) => {
    secure(reply);
    if (!built()) return reply.code(503).header('cache-control', 'no-store').type('text/html; charset=utf-8').send(NOT_BUILT_PAGE);
    // One build serves every tenant: the page names its assets under a placeholder prefix (see
    // packages/console/vite.config.ts), which becomes this tenant's console path. The page names its
    // hashed assets, so it is revalidated on every visit and a new build shows at once.
    const html = (await readFile(path.join(dist, 'index.html'), 'utf8')).replaceAll(CONSOLE_BASE_PLACEHOLDER, `/${tenantId}/console/`);
    return reply.header('cache-control', 'no-cache').type('text/html; charset=utf-8').send(html);
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
