// RFC 9457 problem details as Keyway answers them: a stable `code`, and for VALIDATION_FAILED the
// fields that failed (`errors[].field` is the JSON path, dots between segments).
export interface FieldProblem {
  field: string;
  message: string;
}

export interface Problem {
  type?: string;
  title?: string;
  status: number;
  detail?: string;
  code: string;
  errors?: FieldProblem[];
}

export class ApiError extends Error {
  readonly problem: Problem;
  constructor(problem: Problem) {
    super(problem.detail ?? problem.title ?? problem.code);
    this.name = 'ApiError';
    this.problem = problem;
  }
  get code(): string {
    return this.problem.code;
  }
  get status(): number {
    return this.problem.status;
  }
  /** The message for one form field (`userKey`, `locale.language`), when the API named it. */
  fieldMessage(field: string): string | undefined {
    return this.problem.errors?.find((e) => e.field === field || e.field === `body.${field}`)?.message;
  }
}

/** Whatever a failed call answered, as an ApiError (a non-JSON answer keeps its status). */
export async function problemFrom(response: Response): Promise<ApiError> {
  let body: Partial<Problem> = {};
  try {
    body = (await response.clone().json()) as Partial<Problem>;
  } catch {
    // Not JSON (a proxy's error page): the status is all there is.
  }
  return new ApiError({ ...body, status: body.status ?? response.status, code: body.code ?? `HTTP_${response.status}` });
}
