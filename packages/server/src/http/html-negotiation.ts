import type { FastifyRequest } from 'fastify';

/** The media types a browser names when it navigates to a page. */
const HTML_TYPES = new Set(['text/html', 'application/xhtml+xml']);
/** What the API answers: a client naming one of these at least as high as HTML gets JSON. */
const JSON_TYPES = new Set(['application/json', 'application/problem+json']);

/**
 * Whether a GET or HEAD asks for an HTML page rather than JSON: its Accept header (RFC 9110 §12.5.1) names
 * `text/html` (or XHTML) explicitly, with a q-value above zero and not below any JSON type it names.
 * Wildcards do not count: `curl` and `fetch()` send `*\/*` and keep getting problem+json.
 */
export function prefersHtml(request: FastifyRequest): boolean {
  if (request.method !== 'GET' && request.method !== 'HEAD') return false;
  return acceptPrefersHtml(request.headers.accept);
}

/** Whether an Accept header names HTML (or XHTML) explicitly, not below any JSON type it names; see prefersHtml. */
export function acceptPrefersHtml(accept: string | undefined): boolean {
  if (typeof accept !== 'string') return false;
  let html = 0;
  let json = 0;
  for (const part of accept.split(',').slice(0, 64)) {
    const [range = '', ...params] = part.trim().toLowerCase().split(';');
    const qParam = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    const q = qParam === undefined ? 1 : Number(qParam.slice(2));
    if (!Number.isFinite(q) || q < 0 || q > 1) continue;
    const type = range.trim();
    if (HTML_TYPES.has(type)) html = Math.max(html, q);
    if (JSON_TYPES.has(type)) json = Math.max(json, q);
  }
  return html > 0 && html >= json;
}
