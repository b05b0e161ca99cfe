import { Type } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import type { ErrorCode } from '../errors/catalogue.ts';
import { KeywayError } from '../errors/keyway-error.ts';
import { problemFor, sendProblem } from '../http/problem-gate.ts';
import type { Services } from '../services.ts';

/** RFC 6749 §5.2 error names, sent beside Keyway's code so OAuth libraries understand the answer. */
const OAUTH_ERRORS: Partial<Record<ErrorCode, string>> = {
  INVALID_CLIENT: 'invalid_client',
  INVALID_GRANT_TYPE: 'unsupported_grant_type',
  INVALID_SCOPE: 'invalid_scope',
  VALIDATION_FAILED: 'invalid_request',
  MALFORMED_REQUEST: 'invalid_request',
  UNSUPPORTED_MEDIA_TYPE: 'invalid_request',
};

const TokenBody = Type.Object({
  grant_type: Type.String({ maxLength: 64 }),
  client_id: Type.Optional(Type.String({ maxLength: 128 })),
  client_secret: Type.Optional(Type.String({ maxLength: 256 })),
  scope: Type.Optional(Type.String({ maxLength: 8192 })),
});

/** The client's credentials from HTTP Basic (RFC 6749 §2.3.1: form-urlencoded, then base64) or the body. */
function clientCredentials(header: string | undefined, body: { client_id?: string; client_secret?: string }): { id: string; secret: string } {
  if (header?.startsWith('Basic ')) {
    const decoded = Buffer.from(header.slice(6), 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0 || body.client_secret !== undefined)
      throw new KeywayError('INVALID_CLIENT', 'Use either HTTP Basic or client_id/client_secret in the body, not both');
    try {
      return { id: decodeURIComponent(decoded.slice(0, colon)), secret: decodeURIComponent(decoded.slice(colon + 1)) };
    } catch {
      throw new KeywayError('INVALID_CLIENT', 'The Basic credentials are not form-urlencoded');
    }
  }
  if (!body.client_id || !body.client_secret) throw new KeywayError('INVALID_CLIENT', 'client_id and client_secret are required (HTTP Basic or body)');
  return { id: body.client_id, secret: body.client_secret };
}

/** `POST /oauth2/token`: OAuth 2.0 client credentials grant (RFC 6749 §4.4). */
export async function tokenRoutes(fastify: FastifyInstance, { services }: { services: Services }): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  app.setErrorHandler((error, request, reply) => {
    const answer = problemFor(error, request);
    const oauthError = OAUTH_ERRORS[answer.body.code];
    if (oauthError) answer.body.error = oauthError;
    if (answer.body.code === 'INVALID_CLIENT' && request.headers.authorization?.startsWith('Basic ')) {
      answer.headers = { ...answer.headers, 'www-authenticate': 'Basic realm="keyway"' };
    }
    reply.header('cache-control', 'no-store');
    return sendProblem(reply, answer);
  });

  app.post(
    '/oauth2/token',
    {
      schema: {
        operationId: 'issueAccessToken',
        tags: ['oauth2'],
        summary: 'Client credentials grant: a bearer token for the /api routes',
        description:
          'Form-encoded (application/x-www-form-urlencoded). Client secret by HTTP Basic or in the body. Optional `scope`: space-separated permissions, a subset of the client’s. Requests are limited per client address and per client id and minute (KEYWAY_RATE_LIMIT_TOKEN_PER_IP, KEYWAY_RATE_LIMIT_TOKEN_PER_CLIENT): beyond, 429 RATE_LIMITED with Retry-After.',
        security: [{ clientBasic: [] }],
        consumes: ['application/x-www-form-urlencoded'],
        body: TokenBody,
        response: {
          200: Type.Object({ access_token: Type.String(), token_type: Type.Literal('Bearer'), expires_in: Type.Integer(), scope: Type.String() }),
        },
      },
      config: { errors: ['INVALID_CLIENT', 'INVALID_GRANT_TYPE', 'INVALID_SCOPE', 'RATE_LIMITED'] },
    },
    async (request, reply) => {
      if (request.body.grant_type !== 'client_credentials') throw new KeywayError('INVALID_GRANT_TYPE', 'grant_type: only client_credentials is supported');
      const client = clientCredentials(request.headers.authorization, request.body);
      const token = await services.tenancy.issueToken(client.id, client.secret, request.body.scope, request.ip);
      reply.header('cache-control', 'no-store').header('pragma', 'no-cache');
      return token;
    },
  );
}
