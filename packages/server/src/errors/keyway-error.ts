import { ERROR_CATALOGUE, type ErrorCode } from './catalogue.ts';

/** One field-level problem, for validation errors: `field` is a JSON pointer into the request. */
export interface FieldProblem {
  field: string;
  message: string;
}

/**
 * An error Keyway decided to answer with: a stable code, a status from the catalogue and a detail
 * safe to show the caller. Anything else thrown is an internal error and never leaves the process.
 */
export class KeywayError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly detail: string;
  readonly errors: FieldProblem[] | undefined;
  readonly headers: Record<string, string> | undefined;

  constructor(code: ErrorCode, detail?: string, extra: { errors?: FieldProblem[]; headers?: Record<string, string>; cause?: unknown } = {}) {
    const entry = ERROR_CATALOGUE[code];
    super(detail ?? entry.title, extra.cause === undefined ? undefined : { cause: extra.cause });
    this.name = 'KeywayError';
    this.code = code;
    this.status = entry.status;
    this.detail = detail ?? entry.title;
    this.errors = extra.errors;
    this.headers = extra.headers;
  }
}

export function validationError(field: string, message: string): KeywayError {
  return new KeywayError('VALIDATION_FAILED', `${field}: ${message}`, { errors: [{ field, message }] });
}
