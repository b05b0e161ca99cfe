// JSON over fetch to Keyway's self-service API; problem+json answers become KeywayServerError.
import { KeywayCancelledError, KeywayNetworkError, KeywayServerError, type Problem } from './errors.ts';

export async function requestJSON<T>(method: string, url: string, body?: unknown, signal?: AbortSignal): Promise<T> {
  let response: Response;
  try {
    response = await fetch(url, {
      method,
      // The session cookie is HttpOnly; `include` also covers an RP page on another allowed origin (CORS with credentials).
      credentials: 'include',
      headers: body === undefined ? { accept: 'application/json' } : { accept: 'application/json', 'content-type': 'application/json' },
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
