// The typed admin API client: openapi-fetch over the types generated from /openapi.json (schema.ts).
// Every call carries the session's bearer token; a 401 fetches a fresh token once and repeats the call.
import createClient from 'openapi-fetch';
import { accessToken } from '../session/session.ts';
import { ApiError, problemFrom, type Problem } from './problem.ts';
import type { paths } from './schema.ts';

async function authorisedFetch(request: Request): Promise<Response> {
  const retry = request.clone();
  const send = async (req: Request, force: boolean): Promise<Response> => {
    const token = await accessToken(force);
    if (token) req.headers.set('authorization', `Bearer ${token}`);
    return fetch(req);
  };
  const response = await send(request, false);
  if (response.status !== 401) return response;
  return send(retry, true);
}

export const api = createClient<paths>({ baseUrl: window.location.origin, fetch: authorisedFetch });

/** A loaded resource and the ETag to send back as If-Match when it is edited. */
export interface Versioned<T> {
  data: T;
  etag: string | undefined;
}

interface FetchResult<T> {
  data?: T;
  error?: unknown;
  response: Response;
}

/** openapi-fetch has read the body already: its parsed error, or the bare status, as an ApiError. */
function failure(result: FetchResult<unknown>): ApiError {
  const body = (result.error && typeof result.error === 'object' ? result.error : {}) as Partial<Problem>;
  const status = result.response.status;
  return new ApiError({ ...body, status: body.status ?? status, code: body.code ?? `HTTP_${status}` });
}

/** The data of a successful call; an ApiError (with the problem's code and fields) otherwise. */
export async function ok<T>(call: Promise<FetchResult<T>>): Promise<T> {
  const result = await call;
  if (!result.response.ok) throw failure(result);
  return result.data as T;
}

/** As ok(), keeping the ETag for optimistic concurrency. */
export async function versioned<T>(call: Promise<FetchResult<T>>): Promise<Versioned<T>> {
  const result = await call;
  if (!result.response.ok) throw failure(result);
  return { data: result.data as T, etag: result.response.headers.get('etag') ?? undefined };
}

/** The If-Match header for an edit of what was loaded with this ETag (none: the write is unconditional). */
export function ifMatch(etag: string | undefined): Record<string, string> {
  return etag ? { 'if-match': etag } : {};
}

/**
 * A call by path for the console-only admin endpoints (operators, overview), whose shapes the
 * console contract fixes; same token handling and errors as the typed client.
 */
export async function adminJson<T>(method: string, path: string, body?: unknown): Promise<T> {
  const response = await authorisedFetch(
    new Request(new URL(path, window.location.origin), {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    }),
  );
  if (!response.ok) throw await problemFrom(response);
  return (response.status === 204 ? undefined : await response.json()) as T;
}
