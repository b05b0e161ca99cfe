// How every hosted HTML page is answered (the self-service pages and the journey runner): one set of
// security headers, so a hardening applies to all of them. Only the CSP is the caller's, since the
// runner also allows same-origin frames.
import type { FastifyReply } from 'fastify';

const PAGE_HEADERS = {
  'cache-control': 'no-store',
  vary: 'Accept-Language',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'permissions-policy': 'publickey-credentials-get=(self), publickey-credentials-create=(self)',
};

export function sendHostedPage(reply: FastifyReply, page: { status: number; csp: string; lang: string; html: string }): FastifyReply {
  return reply
    .code(page.status)
    .headers({ 'content-security-policy': page.csp, ...PAGE_HEADERS })
    .header('content-language', page.lang)
    .type('text/html; charset=utf-8')
    .send(page.html);
}
