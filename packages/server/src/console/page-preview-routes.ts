// The custom page editor's live preview in the console: POST /{tenantId}/console/preview/page with the unsaved HTML
// (form field `html`), answered as that HTML under the policy a journey serves the page with, made inert
// (PAGE_PREVIEW_CSP: sandboxed, no script, no form, framable by Keyway's own pages only).
//
// Why a round trip: a page is made of inline styles (and scripts), and a frame the console fills itself (srcdoc, a
// blob: URL) inherits the console's own CSP, which refuses inline styles: the preview showed the page unstyled. A
// response of its own carries its own policy. The console submits a form into a new frame each time (a navigation
// from a frame's first blank document replaces it, so the preview adds nothing to the browser's history).
//
// Why it is safe: it answers only a signed-in operator whose role may read pages (the HttpOnly, SameSite=Strict
// console cookie, whose path `/{tenantId}/console` covers this route, so a form on another site carries none), only
// from the console's own origin (the same check as the console's API), and what it answers is sandboxed by its own
// policy (an opaque origin) and runs nothing.
//
// A refusal loaded into the frame (an ended session, say) is a short page in the console's language (`?lang=en|de`,
// page-preview-refusal.ts) rather than problem+json, which the console cannot read from a sandboxed frame.
import { Type, type Static } from '@sinclair/typebox';
import { parseCookie } from 'cookie';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { KeywayError } from '../errors/keyway-error.ts';
import { acceptPrefersHtml } from '../http/html-negotiation.ts';
import { AnyTenantIdParam } from '../http/path-params.ts';
import { problemFor, sendProblem } from '../http/problem-gate.ts';
import { PAGE_PREVIEW_CSP } from '../journeys/pages/page-document.ts';
import { MAX_PAGE_BYTES } from '../journeys/pages/page-service.ts';
import { isAllowed } from '../tenancy/permissions.ts';
import { CONSOLE_COOKIE, refuseAllButTheConsole } from './console-routes.ts';
import type { ConsoleService } from './console-service.ts';
import { PREVIEW_REFUSAL_CSP, previewLanguage, renderPreviewRefusal } from './page-preview-refusal.ts';

const PreviewParams = Type.Object({ tenantId: AnyTenantIdParam });
const PreviewBody = Type.Object({ html: Type.String({ maxLength: MAX_PAGE_BYTES, 'x-multiline': true }) });

export interface PagePreviewRoutesOptions {
  console: Pick<ConsoleService, 'signedInOperator'>;
  /** KEYWAY_PUBLIC_URL: the only origin the preview answers */
  publicUrl: string;
}

export async function pagePreviewRoutes(fastify: FastifyInstance, options: PagePreviewRoutesOptions): Promise<void> {
  const origin = new URL(options.publicUrl).origin;
  fastify.post(
    '/:tenantId/console/preview/page',
    {
      schema: { hide: true, params: PreviewParams, body: PreviewBody },
      // Form-encoded, a page of MAX_PAGE_BYTES takes up to three times that (every byte a %XX escape).
      bodyLimit: 3 * MAX_PAGE_BYTES + 1024,
      // Who asks is settled before the body is read: nobody else gets a page's worth of form parsed.
      onRequest: async (request) => {
        const { tenantId } = request.params as Static<typeof PreviewParams>;
        refuseAllButTheConsole(request, origin);
        // Fail closed: no live console session (CONSOLE_SIGN_IN_REQUIRED), or a role that may not read pages, sees nothing.
        const { permissions } = await options.console.signedInOperator(tenantId, parseCookie(request.headers.cookie ?? '')[CONSOLE_COOKIE]);
        if (!isAllowed(permissions, tenantId, 'Journeys:getPage')) throw new KeywayError('FORBIDDEN', 'Your role may not read custom pages');
      },
      // The frame shows a refusal as a page that says why, in the console's language; any other caller gets the
      // problem+json every other route answers.
      errorHandler: (error, request, reply) => {
        const answer = problemFor(error, request);
        if (!isFrameNavigation(request)) return sendProblem(reply, answer);
        if (answer.headers) reply.headers(answer.headers);
        return framed(reply, PREVIEW_REFUSAL_CSP)
          .code(answer.status)
          .send(renderPreviewRefusal(answer, previewLanguage(request.query)));
      },
    },
    async (request, reply) => framed(reply, PAGE_PREVIEW_CSP).send((request.body as Static<typeof PreviewBody>).html),
  );
}

/** An HTML answer for the console's preview frame, under `csp`. */
function framed(reply: FastifyReply, csp: string): FastifyReply {
  return reply
    .headers({
      'content-security-policy': csp,
      'x-content-type-options': 'nosniff',
      // Legacy twin of frame-ancestors 'self'.
      'x-frame-options': 'SAMEORIGIN',
      'referrer-policy': 'no-referrer',
      'cache-control': 'no-store',
    })
    .type('text/html; charset=utf-8');
}

/** The console's form loading a frame (Sec-Fetch-Dest, or a browser too old to send it asking for HTML). */
function isFrameNavigation(request: FastifyRequest): boolean {
  const dest = request.headers['sec-fetch-dest'];
  return dest === undefined ? acceptPrefersHtml(request.headers.accept) : dest === 'iframe';
}
