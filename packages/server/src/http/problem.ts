import { Type, type Static } from '@sinclair/typebox';
import { ERROR_CATALOGUE, ERROR_CODES, type ErrorCode } from '../errors/catalogue.ts';
import type { FieldProblem } from '../errors/keyway-error.ts';

/** RFC 9457 problem details with Keyway's stable `code`: every error response is application/problem+json. */
export const ProblemSchema = Type.Object(
  {
    type: Type.String({ description: 'urn:keyway:error:<code>' }),
    title: Type.String(),
    status: Type.Integer(),
    detail: Type.String(),
    code: Type.Union(
      ERROR_CODES.map((c) => Type.Literal(c)),
      { description: 'Stable error code; see the ErrorCode schema' },
    ),
    instance: Type.Optional(Type.String({ description: 'The request id, also sent as x-request-id' })),
    errors: Type.Optional(Type.Array(Type.Object({ field: Type.String(), message: Type.String() }))),
    error: Type.Optional(Type.String({ description: 'OAuth 2.0 error code (RFC 6749 §5.2), on /oauth2/token only' })),
  },
  { $id: 'Problem' },
);

export type Problem = Static<typeof ProblemSchema>;

export function problem(code: ErrorCode, detail: string | undefined, requestId: string, errors?: FieldProblem[]): Problem {
  const entry = ERROR_CATALOGUE[code];
  return {
    type: `urn:keyway:error:${code}`,
    title: entry.title,
    status: entry.status,
    detail: detail ?? entry.title,
    code,
    instance: requestId,
    ...(errors && errors.length > 0 ? { errors } : {}),
  };
}
