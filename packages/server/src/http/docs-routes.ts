import { readFileSync } from 'node:fs';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import { documentFor } from './openapi.ts';
import { serverPackagePath } from '../shared/server-package-dir.ts';
import { pageSecurityHeaders } from './page-security-headers.ts';

/**
 * Swagger UI loads only its own files and fetches the OpenAPI document from this origin, so the
 * hosted pages' policy fits it with one exception: the bundle inserts one fixed inline <style>
 * element, allowed by its hash (CSP3 §8.3 hash-source) rather than by 'unsafe-inline'. An upgrade
 * of @fastify/swagger-ui that changes it shows up as a CSP violation in the docs browser test.
 * The validator badge, which would load an image from validator.swagger.io, is turned off.
 */
const SWAGGER_UI_INLINE_STYLE = "'sha256-RL3ie0nH+Lzz2YNqQN83mnU0J1ot4QL7b99vMdIX99w='";
export const DOCS_CSP = `default-src 'self'; style-src 'self' ${SWAGGER_UI_INLINE_STYLE}; img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'`;

const asset = (file: string) => readFileSync(serverPackagePath('src', 'http', file), 'utf8');

export interface DocsRoutesOptions {
  publicUrl: string;
}

/**
 * The API reference at /docs, branded Keyway: its own title, bar and a neutral key icon (docs-page/),
 * the document read from /openapi.json. Every response of it (page, assets, JSON) carries the page
 * security headers.
 */
export async function docsRoutes(app: FastifyInstance, { publicUrl }: DocsRoutesOptions): Promise<void> {
  app.addHook('onSend', async (_request, reply) => {
    reply.headers(pageSecurityHeaders(DOCS_CSP));
  });
  await app.register(swaggerUi, {
    routePrefix: '/docs',
    uiConfig: { validatorUrl: null },
    theme: {
      title: 'Keyway API reference',
      favicon: [{ filename: 'favicon.svg', rel: 'icon', type: 'image/svg+xml', sizes: 'any', content: asset('docs-page/favicon.svg') }],
      css: [{ filename: 'keyway-docs.css', content: asset('docs-page/docs.css') }],
      js: [{ filename: 'keyway-docs.js', content: asset('docs-page/docs.js') }],
    },
    // /docs/json stays as an alias of /openapi.json.
    transformSpecification: (document, request) => documentFor(document, publicUrl, request),
  });
}
