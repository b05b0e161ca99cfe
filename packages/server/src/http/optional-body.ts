import { Type } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';

/**
 * The `preValidation` of a route whose body may be left out: a request without a body is the same
 * request as one with `{}`. The OpenAPI document marks such a route's request body as optional.
 */
export async function emptyBodyIsEmptyObject(request: FastifyRequest): Promise<void> {
  if (request.body === undefined || request.body === null) request.body = {};
}

/** Whether a route's `preValidation` hooks include `emptyBodyIsEmptyObject`. */
export function takesOptionalBody(preValidation: unknown): boolean {
  return [preValidation].flat().includes(emptyBodyIsEmptyObject);
}

/** The body of an action (publish, rotate, sign out…): none, or an empty JSON object. */
export const NoBody = Type.Object({}, { additionalProperties: false, description: 'No body is needed; an empty JSON object is accepted.' });
