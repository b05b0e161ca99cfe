import vm from 'node:vm';
import { Environment } from '@marcbachmann/cel-js';
import { exceedsJsonBytes } from './state-size.ts';

/**
 * `${…}` expressions in journey parameters, in CEL (Common Expression Language, cel-spec): a
 * non-Turing-complete language made for evaluating untrusted policy expressions, so there is no
 * `eval`, no function construction, no loops and no access outside the context given. Chosen over
 * jexl (unreleased since 2020), expr-eval (unpatched prototype-pollution/code-injection reports),
 * jsonata (`a["k"]` is a filter there, not a key lookup) and filtrex (no index access): CEL reads
 * the TrustX paths as written, e.g. `_identityStore.passkeys.registrations["passkeyReg1"].…`.
 *
 * Forms: a string that is exactly `${expr}` becomes the expression's typed value; a string that
 * contains `${expr}` parts becomes a string template; `$${` writes a literal `${`.
 */

const env = new Environment({
  // The context is journey data (form outputs, step results) whose shape a definition cannot declare up front.
  unlistedVariablesAreDyn: true,
  homogeneousAggregateLiterals: false,
  enableOptionalTypes: true,
  // Bounds so one admin-written expression cannot make parsing or evaluation expensive.
  limits: { maxAstNodes: 500, maxDepth: 32, maxListElements: 100, maxMapEntries: 100, maxCallArguments: 8 },
});

export const MAX_EXPRESSION_LENGTH = 2000;
/**
 * Bound on the JSON size of one evaluated `${…}` (and of a whole template string): the journey's variables are bounded
 * by the same number (engine MAX_VARS_BYTES), so a larger value could never be kept. Checked on every evaluation, so
 * a definition that doubles a value in a loop is stopped as the value grows, not after it has filled the memory.
 */
export const MAX_EXPRESSION_RESULT_BYTES = 256 * 1024;

/** One parsed expression; `costly` ones may do much work and run under a deadline (see ExpressionBudget). */
interface Evaluate {
  (context: Record<string, unknown>): unknown;
  costly: boolean;
}

export class ExpressionError extends Error {
  readonly expression: string;
  constructor(expression: string, message: string) {
    super(message);
    this.name = 'ExpressionError';
    this.expression = expression;
  }
}

/** An expression's value is larger than MAX_EXPRESSION_RESULT_BYTES (the engine ends the journey JOURNEY_STATE_TOO_LARGE). */
export class ExpressionResultTooLargeError extends ExpressionError {
  constructor(expression: string) {
    super(expression, `the value is larger than ${MAX_EXPRESSION_RESULT_BYTES} bytes`);
    this.name = 'ExpressionResultTooLargeError';
  }
}

/** One compiled `${…}` occurrence or literal text inside a parameter string. */
type Part = { literal: string } | { expression: string; evaluate: Evaluate };

/** A compiled parameter string: either a whole expression (typed value) or a template (string). */
export interface CompiledString {
  whole: boolean;
  parts: Part[];
}

/** Whether a string holds any `${…}` (an escaped `$${` does not count). */
export function hasExpression(value: string): boolean {
  return /(^|[^$])\$\{/.test(value);
}

/**
 * Splits a string into literal text and `${…}` expression sources. The closing brace is found
 * by scanning CEL tokens: braces inside string literals and map literals do not end it.
 */
export function splitTemplate(value: string): ({ literal: string } | { source: string })[] {
  const parts: ({ literal: string } | { source: string })[] = [];
  let literal = '';
  let i = 0;
  while (i < value.length) {
    if (value.startsWith('$${', i)) {
      literal += '${';
      i += 3;
      continue;
    }
    if (!value.startsWith('${', i)) {
      literal += value[i];
      i += 1;
      continue;
    }
    const start = i + 2;
    let depth = 0;
    let quote: string | undefined;
    let j = start;
    for (; j < value.length; j++) {
      const ch = value[j]!;
      if (quote) {
        if (ch === '\\') j += 1;
        else if (ch === quote) quote = undefined;
        continue;
      }
      if (ch === '"' || ch === "'") quote = ch;
      else if (ch === '{') depth += 1;
      else if (ch === '}') {
        if (depth === 0) break;
        depth -= 1;
      }
    }
    if (j >= value.length) throw new ExpressionError(value.slice(i), 'unterminated ${…}: no closing }');
    if (literal !== '') parts.push({ literal });
    literal = '';
    parts.push({ source: value.slice(start, j) });
    i = j + 1;
  }
  if (literal !== '') parts.push({ literal });
  return parts;
}

/** Parses one CEL expression (throws ExpressionError with the parser's message on a syntax error). */
export function compileExpression(source: string): Evaluate {
  const trimmed = source.trim();
  if (trimmed === '') throw new ExpressionError(source, 'empty expression');
  if (source.length > MAX_EXPRESSION_LENGTH) throw new ExpressionError(source, `longer than ${MAX_EXPRESSION_LENGTH} characters`);
  try {
    const parsed = env.parse(trimmed);
    return Object.assign((context: Record<string, unknown>) => parsed(context), { costly: mayTakeLong(parsed.ast) });
  } catch (error) {
    throw new ExpressionError(source, firstLine(error));
  }
}

/**
 * The expression time one run may spend, in total: a runtime request (start, submit), a timer firing, or a dry-run.
 * CEL has no loops, but one expression can still do a lot of work: a comprehension over a long list whose body does
 * more (`l.map(x, l + l)`), a chain of concatenations (`l + l + … + l` copies the growing list at every `+`), or an
 * equality of large nested values. Evaluation is synchronous on the one thread that serves every tenant, so a bound
 * per expression is not enough: a definition looping through server-side steps evaluates hundreds of expressions in
 * one request, each under any per-expression bound. So every evaluation of the run is charged to one budget, and the
 * run ends (JOURNEY_EXPRESSION_BUDGET_EXCEEDED) when it is spent.
 *
 * The size: measured over the journey tests, the built-in templates spend at most about 2 ms a request (the first
 * request of a process included), the other test journeys at most a few ms, and the loops that double a value until
 * the state limit stops them under 20 ms: over ten times less. At 250 ms, the most a request can hold the thread
 * with expressions stays a quarter of a second.
 */
export const EXPRESSION_BUDGET_MS = 250;
/** Operators that may do work proportional to their operands' size: calls and comprehensions, `+`/`*`, and deep equality. */
const COSTLY_OPERATORS = new Set(['+', '*', '==', '!=', 'in', 'call', 'rcall']);
const deadlineSandbox = vm.createContext({ job: undefined as (() => unknown) | undefined });
const runJob = new vm.Script('job()');

/** The run's expression time is spent (EXPRESSION_BUDGET_MS): the engine ends the journey JOURNEY_EXPRESSION_BUDGET_EXCEEDED. */
export class ExpressionBudgetError extends ExpressionError {
  constructor(expression: string, budgetMs: number) {
    super(expression, `the expressions of this request took longer than ${budgetMs} ms in total (too much work)`);
    this.name = 'ExpressionBudgetError';
  }
}

/**
 * One run's expression time: evaluations are measured and charged, and those that may take long (calls,
 * comprehensions, `+`, `*`, `==`, `!=`, `in`) run under a deadline of the time left (V8 terminates them: vm `timeout`),
 * which stops them whatever they do. Expressions without such operators (paths, ordering comparisons, conditions)
 * cannot take long and run without the deadline's cost, but are charged too. The deadline's cost is a watchdog thread
 * per vm call (a few hundred microseconds on a busy node, far more than a typical evaluation), so a step's parameters
 * are evaluated as one batch: one measurement and at most one deadline for all their expressions.
 * What is charged is the thread's CPU time (`clockMs`; tests pass their own clock): the work done, which a node under
 * load does not inflate by descheduling the thread. Some kernels account it in ticks of a few milliseconds, so one
 * short evaluation may be charged a tick or nothing; summed over a run that is the time spent, give or take a tick.
 * The deadline itself is wall-clock time: on a loaded node it can stop a batch early, but only one that needs a good
 * part of the budget in any case.
 */
export class ExpressionBudget {
  readonly budgetMs: number;
  readonly #clockMs: () => number;
  #spentMs = 0;
  #inBatch = false;
  /** The expression being evaluated: named in the error when a batch's deadline stops it. */
  #current = '';

  constructor(budgetMs: number = EXPRESSION_BUDGET_MS, clockMs: () => number = threadCpuMs) {
    this.budgetMs = budgetMs;
    this.#clockMs = clockMs;
  }

  get spentMs(): number {
    return this.#spentMs;
  }

  get exhausted(): boolean {
    return this.#spentMs >= this.budgetMs;
  }

  /** Runs one evaluation of `expression`, charged to the budget; throws ExpressionBudgetError once the budget is spent. */
  charge<T>(expression: string, costly: boolean, job: () => T): T {
    if (this.exhausted) throw new ExpressionBudgetError(expression, this.budgetMs);
    this.#current = expression;
    // Within a batch, the batch measures it (and its deadline, if any of its expressions may take long, bounds it).
    if (this.#inBatch) return job();
    return this.#measured(costly, job);
  }

  /** Runs several evaluations (a step's parameters) as one charge, under one deadline when `costly` (any may take long). */
  batch<T>(costly: boolean, job: () => T): T {
    if (this.#inBatch) return job();
    this.#inBatch = true;
    try {
      return this.#measured(costly, job);
    } finally {
      this.#inBatch = false;
    }
  }

  #measured<T>(costly: boolean, job: () => T): T {
    const started = this.#clockMs();
    let stopped = false;
    let value: T;
    try {
      value = costly ? withDeadline(job, Math.max(1, Math.ceil(this.budgetMs - this.#spentMs))) : job();
    } catch (error) {
      if ((error as { code?: unknown } | null)?.code !== 'ERR_SCRIPT_EXECUTION_TIMEOUT') throw error;
      stopped = true;
      throw new ExpressionBudgetError(this.#current, this.budgetMs);
    } finally {
      this.#spentMs += Math.max(0, this.#clockMs() - started);
      // Stopped at the deadline: the budget is spent, whatever the clock read.
      if (stopped) this.#spentMs = Math.max(this.#spentMs, this.budgetMs);
    }
    // The evaluation that spends the rest fails too: the run ends at it, not one evaluation later.
    if (this.exhausted) throw new ExpressionBudgetError(this.#current, this.budgetMs);
    return value;
  }
}

/** The CPU time this thread has used, in milliseconds (user and system). */
function threadCpuMs(): number {
  const { user, system } = process.threadCpuUsage();
  return (user + system) / 1000;
}

function withDeadline<T>(job: () => T, timeoutMs: number): T {
  deadlineSandbox.job = job;
  try {
    return runJob.runInContext(deadlineSandbox, { timeout: timeoutMs }) as T;
  } finally {
    deadlineSandbox.job = undefined;
  }
}

/** Whether a compiled string has an expression that may take long (and so needs the deadline). */
export function mayTakeLongToEvaluate(compiled: CompiledString): boolean {
  return compiled.parts.some((part) => 'expression' in part && part.evaluate.costly);
}

function mayTakeLong(ast: unknown): boolean {
  if (Array.isArray(ast)) return ast.some(mayTakeLong);
  if (ast === null || typeof ast !== 'object') return false;
  const node = ast as { op?: unknown; args?: unknown };
  return (typeof node.op === 'string' && COSTLY_OPERATORS.has(node.op)) || mayTakeLong(node.args);
}

/** Compiles a parameter string that contains `${…}`. */
export function compileString(value: string): CompiledString {
  const split = splitTemplate(value);
  const parts: Part[] = split.map((part) => ('literal' in part ? part : { expression: part.source, evaluate: compileExpression(part.source) }));
  return { whole: parts.length === 1 && 'expression' in parts[0]!, parts };
}

/** Evaluates a compiled string against a context made by `evaluationContext`, charging each expression to `budget`. */
export function evaluateString(compiled: CompiledString, context: Record<string, unknown>, budget: ExpressionBudget): unknown {
  if (compiled.whole) {
    const part = compiled.parts[0] as { expression: string; evaluate: Evaluate };
    return fromCel(run(part, context, budget));
  }
  let out = '';
  for (const part of compiled.parts) {
    if ('literal' in part) out += part.literal;
    else out += stringify(fromCel(run(part, context, budget)));
    if (out.length > MAX_EXPRESSION_RESULT_BYTES)
      throw new ExpressionResultTooLargeError(compiled.parts.map((p) => ('literal' in p ? p.literal : `\${${p.expression}}`)).join(''));
  }
  return out;
}

/**
 * Evaluates one expression, charged to the budget; its value is refused when larger than MAX_EXPRESSION_RESULT_BYTES,
 * before it is copied.
 */
function run(part: { expression: string; evaluate: Evaluate }, context: Record<string, unknown>, budget: ExpressionBudget): unknown {
  return budget.charge(part.expression, part.evaluate.costly, () => {
    let value: unknown;
    try {
      value = part.evaluate(context);
    } catch (error) {
      // (A deadline's termination cannot be caught here: it unwinds to the budget's vm call.)
      if (error instanceof ExpressionError) throw error;
      throw new ExpressionError(part.expression, firstLine(error));
    }
    if (exceedsJsonBytes(value, MAX_EXPRESSION_RESULT_BYTES)) throw new ExpressionResultTooLargeError(part.expression);
    return value;
  });
}

function stringify(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}

function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n')[0] ?? message;
}

/**
 * The journey variables as CEL sees them. JSON numbers that are whole become CEL ints (so
 * `retries + 1` works as written); the top level has no prototype, so names such as
 * `constructor` are unknown variables rather than inherited functions.
 */
export function evaluationContext(vars: Record<string, unknown>): Record<string, unknown> {
  const context = Object.create(null) as Record<string, unknown>;
  for (const [key, value] of Object.entries(vars)) context[key] = toCel(value);
  return context;
}

function toCel(value: unknown): unknown {
  if (typeof value === 'number') return Number.isSafeInteger(value) ? BigInt(value) : value;
  if (Array.isArray(value)) return value.map(toCel);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, inner] of Object.entries(value)) out[key] = toCel(inner);
    return out;
  }
  return value;
}

/** CEL values back to JSON: ints to numbers, bytes to base64url, timestamps to ISO strings. */
export function fromCel(value: unknown): unknown {
  if (typeof value === 'bigint') {
    const asNumber = Number(value);
    if (!Number.isSafeInteger(asNumber)) throw new ExpressionError('', `the integer ${value} is too large for JSON`);
    return asNumber;
  }
  if (value instanceof Uint8Array) return Buffer.from(value).toString('base64url');
  if (value instanceof Date) return value.toISOString();
  if (value instanceof Map) return Object.fromEntries([...value].map(([k, v]) => [String(k), fromCel(v)]));
  if (Array.isArray(value)) return value.map(fromCel);
  if (value !== null && typeof value === 'object') {
    if (Object.getPrototypeOf(value) !== Object.prototype && Object.getPrototypeOf(value) !== null) return String(value);
    const out: Record<string, unknown> = {};
    for (const [key, inner] of Object.entries(value)) out[key] = fromCel(inner);
    return out;
  }
  if (typeof value === 'number' && !Number.isFinite(value)) throw new ExpressionError('', 'the result is not a finite number');
  return value;
}
