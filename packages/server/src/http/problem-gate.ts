import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ErrorCode } from '../errors/catalogue.ts';
import { KeywayError, type FieldProblem } from '../errors/keyway-error.ts';
import { FORMAT_MESSAGES } from '../shared/formats.ts';
import { isConcurrentCollision } from '../storage/concurrent-collision.ts';
import { isDatabaseUnavailable } from '../storage/database-unavailable.ts';
import { problem, type Problem } from './problem.ts';

interface AjvError {
  instancePath: string;
  keyword: string;
  message?: string;
  params: Record<string, unknown>;
}

/** Turns Ajv's findings into `{field, message}` pairs that name the offending field. */
function fieldProblems(validation: AjvError[], context: string | undefined): FieldProblem[] {
  return validation.map((e) => {
    let pointer = e.instancePath;
    if (e.keyword === 'required') pointer += `/${String(e.params.missingProperty)}`;
    if (e.keyword === 'additionalProperties') pointer += `/${String(e.params.additionalProperty)}`;
    const field = pointer.replace(/^\//, '').replaceAll('/', '.') || context || 'body';
    let message = e.message ?? 'is not valid';
    if (e.keyword === 'format') message = FORMAT_MESSAGES[String(e.params.format)] ?? message;
    if (e.keyword === 'required') message = 'is required';
    if (e.keyword === 'singleLine') message = 'must be a single line (no tab or line break)';
    if (e.keyword === 'noBidiControls') message = 'must not contain bidirectional embedding, override or isolate controls (U+202A-U+202E, U+2066-U+2069)';
    if (e.keyword === 'additionalProperties') message = 'is not a known field';
    return { field: context && context !== 'body' ? `${context}.${field}` : field, message };
  });
}

const FASTIFY_CODES: Record<string, ErrorCode> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'MALFORMED_REQUEST',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'MALFORMED_REQUEST',
  FST_ERR_CTP_INVALID_JSON_BODY: 'MALFORMED_REQUEST',
};

/** Seconds a client is asked to wait after a database outage answer (RFC 9110 §10.2.3). */
export const OUTAGE_RETRY_AFTER_SECONDS = 5;
/** …and after a collision with a concurrent transaction, which is over as soon as the other commits. */
const COLLISION_RETRY_AFTER_SECONDS = 1;

export interface ProblemAnswer {
  status: number;
  body: Problem;
  headers?: Record<string, string> | undefined;
}

/** Decides what the caller sees for anything thrown while serving `request`. */
export function problemFor(error: unknown, request: FastifyRequest): ProblemAnswer {
  if (error instanceof KeywayError) {
    if (error.status >= 500) request.log.error({ err: error }, 'request failed');
    return { status: error.status, body: problem(error.code, error.detail, request.id, error.errors), headers: error.headers };
  }
  const fastifyError = error as FastifyError & { validation?: AjvError[]; validationContext?: string };
  if (fastifyError.validation) {
    const errors = fieldProblems(fastifyError.validation, fastifyError.validationContext);
    const detail = errors.map((e) => `${e.field}: ${e.message}`).join('; ');
    return { status: 400, body: problem('VALIDATION_FAILED', detail, request.id, errors) };
  }
  const mapped = fastifyError.code ? FASTIFY_CODES[fastifyError.code] : undefined;
  if (mapped) return { status: fastifyError.statusCode ?? 400, body: problem(mapped, fastifyError.message, request.id) };
  if (fastifyError.statusCode === 429) return { status: 429, body: problem('RATE_LIMITED', undefined, request.id) };
  if (fastifyError.statusCode !== undefined && fastifyError.statusCode >= 400 && fastifyError.statusCode < 500) {
    return { status: 400, body: problem('MALFORMED_REQUEST', undefined, request.id) };
  }
  if (isDatabaseUnavailable(error)) {
    // A passing outage, not a fault: 503 so clients and load balancers retry (RFC 9110 §15.6.4).
    request.log.error({ err: error }, 'database unavailable');
    return {
      status: 503,
      body: problem('SERVICE_UNAVAILABLE', 'The database is not reachable right now; retry after the Retry-After delay', request.id),
      headers: { 'retry-after': String(OUTAGE_RETRY_AFTER_SECONDS) },
    };
  }
  if (isConcurrentCollision(error)) {
    // Undone whole by the database; the retry meets the other transaction's result (storage/concurrent-collision.ts).
    request.log.warn({ err: error }, 'transaction collided with a concurrent one');
    return {
      status: 503,
      body: problem(
        'SERVICE_UNAVAILABLE',
        'A concurrent change to the same data collided with this request and nothing was changed; retry after the Retry-After delay',
        request.id,
      ),
      headers: { 'retry-after': String(COLLISION_RETRY_AFTER_SECONDS) },
    };
  }
  request.log.error({ err: error }, 'unhandled error');
  return { status: 500, body: problem('INTERNAL_ERROR', 'The server could not complete the request; the request id identifies it in the logs', request.id) };
}

/**
 * Errors Fastify answers before routing (a malformed percent-encoding, an over-long path parameter) go through the
 * same gate, so they too are coded problems (the `frameworkErrors` server option).
 */
export function answerFrameworkError(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  void sendProblem(reply, {
    status: 400,
    body: problem('MALFORMED_REQUEST', error.code === 'FST_ERR_MAX_PARAM_LENGTH' ? 'A path segment is too long' : 'The request URL is not valid', request.id),
  });
}

export function sendProblem(reply: FastifyReply, answer: ProblemAnswer): FastifyReply {
  if (answer.headers) reply.headers(answer.headers);
  return reply.code(answer.status).type('application/problem+json').send(answer.body);
}

/**
 * The single exposure gate (one place decides what leaves the process). Keyway errors
 * and request-shape errors are answered with their code; a database outage is a 503 with
 * Retry-After; anything else becomes a generic 500 and
 * its cause goes to the log only — no stack traces or SQL in responses.
 */
export function installProblemGate(app: FastifyInstance, options: ProblemGateOptions = {}): void {
  app.setErrorHandler((error, request, reply) => sendProblem(reply, problemFor(error, request)));
  app.setNotFoundHandler(
    (request, reply) =>
      options.notFoundPage?.(request, reply) ??
      sendProblem(reply, {
        status: 404,
        body: problem('ROUTE_NOT_FOUND', `${request.method} ${request.url.split('?')[0]} is not an endpoint of this server`, request.id),
      }),
  );
}

export interface ProblemGateOptions {
  /** Answers an unknown address with a page when the client is a browser asking for one; undefined leaves it to problem+json. */
  notFoundPage?: ((request: FastifyRequest, reply: FastifyReply) => Promise<FastifyReply> | undefined) | undefined;
}
