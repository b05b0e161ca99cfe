// How every hosted HTML page is answered (the self-service pages and the journey runner): the shared
// page security headers (http/page-security-headers.ts), never cached, in the page's language.
import type { FastifyReply } from 'fastify';
import { pageSecurityHeaders } from '../http/page-security-headers.ts';

export function sendHostedPage(reply: FastifyReply, page: { status: number; csp: string; lang: string; html: string }): FastifyReply {
  return reply
    .code(page.status)
    .headers({ ...pageSecurityHeaders(page.csp), 'cache-control': 'no-store', vary: 'Accept-Language' })
    .header('content-language', page.lang)
    .type('text/html; charset=utf-8')
    .send(page.html);
}
