// JSON over fetch to Keyway's self-service API and journey runtime; problem+json answers become KeywayServerError.
import { KeywayCancelledError, KeywayNetworkError, KeywayServerError, type Problem } from './errors.ts';

export interface RequestOptions {
  /**
   * Self-service: `include` (the default): the session cookie is HttpOnly, and `include` also covers an
   * RP page on another allowed origin (CORS with credentials). The journey runtime has no cookies (its
   * session id is in the path): fetch's own default, `same-origin`.
   */
  credentials?: RequestCredentials;
  /** Sent besides `accept` and `content-type`, e.g. `accept-language`. */
  headers?: Record<string, string>;
}

export async function requestJSON<T>(method: string, url: string, body?: unknown, signal?: AbortSignal, init: RequestOptions = {}): Promise<T> {
  let response: Response;
  try {
    response = await fetch(url, {
      method,
      credentials: init.credentials ?? 'include',
      headers: { ...init.headers, accept: 'application/json', ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      ...(signal ? { signal } : {}),
    });
  } catch (error) {
    // Aborted by the caller's signal (fetch rejects with its reason, whatever it is).
    if (signal?.aborted || (error as { name?: string } | null)?.name === 'AbortError') throw new KeywayCancelledError(undefined, { cause: error });
    throw new KeywayNetworkError(undefined, { cause: error });
  }
  const text = await response.text();
  let parsed: unknown;
  try {
    parsed = text === '' ? undefined : JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  if (!response.ok) {
    const candidate = parsed as Partial<Problem> | undefined;
    const problem: Problem =
      candidate && typeof candidate.code === 'string'
        ? { ...candidate, status: response.status, code: candidate.code }
        : { status: response.status, code: `HTTP_${response.status}`, title: response.statusText };
    const retryAfter = response.headers.get('retry-after');
    throw new KeywayServerError(problem, retryAfter !== null && /^\d+$/.test(retryAfter) ? Number(retryAfter) : undefined);
  }
  return parsed as T;
}
