import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ErrorCode } from '../errors/catalogue.ts';
import { KeywayError } from '../errors/keyway-error.ts';

/**
 * The origin rules of the browser-facing routes (the self-service API and the journey runtime), in
 * one place: who may read an answer (CORS, Fetch §3.2) and who may change state (CSRF).
 */

const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** The request's Origin, or undefined when absent or opaque (`null`, RFC 6454 §7.3). */
export function originOf(request: FastifyRequest): string | undefined {
  const origin = request.headers.origin;
  return typeof origin === 'string' && origin !== '' && origin !== 'null' ? origin : undefined;
}

/** Lets `origin` read this answer (Fetch §3.2.3); with credentials when cookies are involved. */
export function allowReading(reply: FastifyReply, origin: string, options: { credentials: boolean; exposeHeaders?: readonly string[] }): void {
  reply.header('access-control-allow-origin', origin).header('vary', 'Origin');
  if (options.credentials) reply.header('access-control-allow-credentials', 'true');
  if (options.exposeHeaders?.length) reply.header('access-control-expose-headers', options.exposeHeaders.join(', '));
}

/** Answers a CORS preflight (Fetch §4.8) with the methods and headers the actual request may use. */
export function answerPreflight(reply: FastifyReply, options: { methods: readonly string[]; headers: readonly string[] }): void {
  reply
    .header('access-control-allow-methods', options.methods.join(', '))
    .header('access-control-allow-headers', options.headers.join(', '))
    .header('access-control-max-age', '600');
}

/**
 * CSRF: a state-changing request must come from one of the allowed origins (browsers send Origin on
 * every POST, PATCH and DELETE) and never from another site (Fetch Metadata, Sec-Fetch-Site).
 * Fails closed without an Origin.
 */
export function refuseForeignStateChange(request: FastifyRequest, allowed: readonly string[] | ReadonlySet<string>, code: ErrorCode): void {
  if (!STATE_CHANGING.has(request.method)) return;
  if (request.headers['sec-fetch-site'] === 'cross-site') throw new KeywayError(code, 'Cross-site requests are refused (Sec-Fetch-Site: cross-site)');
  const origin = request.headers.origin;
  const isAllowed = origin !== undefined && (Array.isArray(allowed) ? allowed.includes(origin) : (allowed as ReadonlySet<string>).has(origin));
  if (!isAllowed) throw new KeywayError(code, `The Origin ${origin ?? '(none)'} is not an origin of the relying party`);
}
