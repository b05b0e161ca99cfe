import { LogController, type FastifyReply, type FastifyRequest } from 'fastify';

/**
 * One log line per request, written when the answer is sent and carrying the request as well as
 * the status and duration, instead of Fastify's two (received, then completed), which interleave
 * under load and double the volume.
 */
export class OneLinePerRequest extends LogController {
  override incomingRequest(): void {}

  // Fastify's default 404 handler would add `Route GET:<the whole URL, query and all> not found`: the request's own
  // line says it, without the query's values (request-log.ts).
  override routeNotFound(): void {}

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    if (this.isLogDisabled(request)) return;
    if (error) reply.log.error({ req: request, res: reply, err: error, responseTime: reply.elapsedTime }, 'request errored');
    else reply.log.info({ req: request, res: reply, responseTime: reply.elapsedTime }, 'request completed');
  }
}
