// One base class with a stable `code` per subclass (as jose does), so callers branch on the class or
// the code and never parse messages. The browser's DOMException is kept as `cause`.

export type KeywayWebErrorCode =
  | 'ERR_CANCELLED'
  | 'ERR_NOT_ALLOWED'
  | 'ERR_UNSUPPORTED'
  | 'ERR_CREDENTIAL_EXISTS'
  | 'ERR_NETWORK'
  | 'ERR_SERVER'
  // Journey client (journey.ts)
  | 'ERR_STEP_ANSWERED'
  | 'ERR_FORM_INVALID'
  | 'ERR_PAGE_CEREMONY_REFUSED';

export class KeywayWebError extends Error {
  static readonly code: KeywayWebErrorCode = 'ERR_NOT_ALLOWED';
  readonly code: KeywayWebErrorCode;

  constructor(code: KeywayWebErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** The ceremony was aborted: by the caller's AbortSignal, or because another ceremony replaced it. */
export class KeywayCancelledError extends KeywayWebError {
  static override readonly code = 'ERR_CANCELLED';
  constructor(message = 'The passkey request was cancelled', options?: { cause?: unknown }) {
    super('ERR_CANCELLED', message, options);
  }
}

/**
 * The browser answered NotAllowedError: the user dismissed the dialog, it timed out, or no
 * authenticator could answer. WebAuthn deliberately does not tell these apart (privacy, §13.5.7).
 */
export class KeywayNotAllowedError extends KeywayWebError {
  static override readonly code = 'ERR_NOT_ALLOWED';
  constructor(message = 'The passkey request was dismissed, timed out or was not allowed', options?: { cause?: unknown }) {
    super('ERR_NOT_ALLOWED', message, options);
  }
}

/** This browser (or context: not secure, no authenticator able to meet the options) cannot do what was asked. */
export class KeywayUnsupportedError extends KeywayWebError {
  static override readonly code = 'ERR_UNSUPPORTED';
  constructor(message = 'This browser does not support passkeys here', options?: { cause?: unknown }) {
    super('ERR_UNSUPPORTED', message, options);
  }
}

/** Registration: the authenticator already holds a passkey of this account (WebAuthn §6.3.2 step 3, InvalidStateError). */
export class KeywayCredentialExistsError extends KeywayWebError {
  static override readonly code = 'ERR_CREDENTIAL_EXISTS';
  constructor(message = 'This authenticator already has a passkey for this account', options?: { cause?: unknown }) {
    super('ERR_CREDENTIAL_EXISTS', message, options);
  }
}

/** The server could not be reached (offline, DNS, CORS refusal). */
export class KeywayNetworkError extends KeywayWebError {
  static override readonly code = 'ERR_NETWORK';
  constructor(message = 'The server could not be reached', options?: { cause?: unknown }) {
    super('ERR_NETWORK', message, options);
  }
}

/** An RFC 9457 problem as Keyway answers it. */
export interface Problem {
  type?: string;
  title?: string;
  status: number;
  detail?: string;
  /** Keyway's stable error code, e.g. `CREDENTIAL_NOT_FOUND`. */
  code: string;
  instance?: string;
  errors?: { field: string; message: string }[];
}

/** The server answered with a problem; `problemCode` is its stable Keyway code. */
export class KeywayServerError extends KeywayWebError {
  static override readonly code = 'ERR_SERVER';
  readonly problem: Problem;
  /** Seconds from `Retry-After` (429), when the server sent one. */
  readonly retryAfterSeconds: number | undefined;

  constructor(problem: Problem, retryAfterSeconds?: number) {
    super('ERR_SERVER', problem.detail || problem.title || `HTTP ${problem.status}`);
    this.problem = problem;
    this.retryAfterSeconds = retryAfterSeconds;
  }

  get status(): number {
    return this.problem.status;
  }

  get problemCode(): string {
    return this.problem.code;
  }
}

/** Maps what `navigator.credentials.create/get` threw to a typed error; anything unexpected is rethrown as is. */
export function fromWebAuthnError(error: unknown): unknown {
  if (error instanceof KeywayWebError) return error;
  const name = (error as { name?: unknown } | null)?.name;
  const options = { cause: error };
  switch (name) {
    case 'AbortError':
      return new KeywayCancelledError(undefined, options);
    case 'NotAllowedError':
      return new KeywayNotAllowedError(undefined, options);
    case 'InvalidStateError':
      return new KeywayCredentialExistsError(undefined, options);
    case 'NotSupportedError':
    case 'ConstraintError':
      return new KeywayUnsupportedError('No authenticator here can meet the request', options);
    case 'SecurityError':
      // The page's origin is not valid for the RP ID (WebAuthn §5.1.3 step 7): a configuration problem.
      return new KeywayNotAllowedError('The browser refused passkeys for this site (origin and RP ID do not match)', options);
    default:
      return error;
  }
}
