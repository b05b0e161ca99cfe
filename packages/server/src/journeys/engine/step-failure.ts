import { KeywayError } from '../../errors/keyway-error.ts';
import type { JourneyRejectionCode } from './rejection-codes.ts';

/** A step could not run as defined: the journey ends in a rejection with this code (never an HTTP error). */
export class StepFailure extends Error {
  readonly code: JourneyRejectionCode;
  constructor(code: JourneyRejectionCode, message: string) {
    super(message);
    this.code = code;
  }
}

/** Steps signal "bad input, show the step again" with a 4xx KeywayError from submit. */
export function isClientError(error: unknown): error is KeywayError {
  return error instanceof KeywayError && error.status < 500;
}
