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

type Evaluate = (context: Record<string, unknown>) => unknown;

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
    return mayTakeLong(parsed.ast) ? (context) => withDeadline(source, () => parsed(context)) : (context) => parsed(context);
  } catch (error) {
    throw new ExpressionError(source, firstLine(error));
  }
}

/**
 * CEL has no loops, but one expression can still do a lot of work: a comprehension over a long list whose body does
 * more (`l.map(x, l + l)`), or a chain of concatenations (`l + l + … + l` copies the growing list at every `+`), can
 * run for minutes and allocate gigabytes before its (bounded) value is checked. Such expressions run under a
 * deadline (V8 terminates the evaluation: vm `timeout`), which stops them whatever they do. Expressions without
 * calls, comprehensions or arithmetic (paths, comparisons, conditions: nearly all of them) cannot take long and run
 * without the deadline's cost (a watchdog per run). The deadline is a guard against runaway work, not a performance
 * budget: it must never fire for a legitimate expression on a busy node (a process can be descheduled for far more
 * than 100 ms under load), so it is a full second.
 */
export const EXPRESSION_DEADLINE_MS = 1000;
const COSTLY_OPERATORS = new Set(['+', '*', 'call', 'rcall']);
const deadlineSandbox = vm.createContext({ job: undefined as (() => unknown) | undefined });
const runJob = new vm.Script('job()');

/** An expression's evaluation ran out of its time (EXPRESSION_DEADLINE_MS). */
export class ExpressionBudgetError extends ExpressionError {
  constructor(expression: string) {
    super(expression, `the evaluation took longer than ${EXPRESSION_DEADLINE_MS} ms (too much work for one expression)`);
    this.name = 'ExpressionBudgetError';
  }
}

function mayTakeLong(ast: unknown): boolean {
  if (Array.isArray(ast)) return ast.some(mayTakeLong);
  if (ast === null || typeof ast !== 'object') return false;
  const node = ast as { op?: unknown; args?: unknown };
  return (typeof node.op === 'string' && COSTLY_OPERATORS.has(node.op)) || mayTakeLong(node.args);
}

function withDeadline(source: string, job: () => unknown): unknown {
  deadlineSandbox.job = job;
  try {
    return runJob.runInContext(deadlineSandbox, { timeout: EXPRESSION_DEADLINE_MS });
  } catch (error) {
    if ((error as { code?: unknown } | null)?.code === 'ERR_SCRIPT_EXECUTION_TIMEOUT') throw new ExpressionBudgetError(source);
    throw error;
  } finally {
    deadlineSandbox.job = undefined;
  }
}

/** Compiles a parameter string that contains `${…}`. */
export function compileString(value: string): CompiledString {
  const split = splitTemplate(value);
  const parts: Part[] = split.map((part) => ('literal' in part ? part : { expression: part.source, evaluate: compileExpression(part.source) }));
  return { whole: parts.length === 1 && 'expression' in parts[0]!, parts };
}

/** Evaluates a compiled string against a context made by `evaluationContext`. */
export function evaluateString(compiled: CompiledString, context: Record<string, unknown>): unknown {
  if (compiled.whole) {
    const part = compiled.parts[0] as { expression: string; evaluate: Evaluate };
    return fromCel(run(part, context));
  }
  let out = '';
  for (const part of compiled.parts) {
    if ('literal' in part) out += part.literal;
    else out += stringify(fromCel(run(part, context)));
    if (out.length > MAX_EXPRESSION_RESULT_BYTES)
      throw new ExpressionResultTooLargeError(compiled.parts.map((p) => ('literal' in p ? p.literal : `\${${p.expression}}`)).join(''));
  }
  return out;
}

/** Evaluates one expression; its value is refused when larger than MAX_EXPRESSION_RESULT_BYTES, before it is copied. */
function run(part: { expression: string; evaluate: Evaluate }, context: Record<string, unknown>): unknown {
  let value: unknown;
  try {
    value = part.evaluate(context);
  } catch (error) {
    if (error instanceof ExpressionError) throw error;
    throw new ExpressionError(part.expression, firstLine(error));
  }
  if (exceedsJsonBytes(value, MAX_EXPRESSION_RESULT_BYTES)) throw new ExpressionResultTooLargeError(part.expression);
  return value;
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
