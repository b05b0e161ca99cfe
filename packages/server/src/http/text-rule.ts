import type { FastifyInstance, FastifyRequest } from 'fastify';
import { KeywayError, type FieldProblem } from '../errors/keyway-error.ts';

/**
 * The one rule for every string the API reads, whatever the route, its schema or its authentication:
 * path parameters, query strings, headers and JSON/form bodies, values and object keys at any depth.
 *
 * - Refused everywhere: U+0000, the other C0 controls (U+0001–U+001F) except TAB, LF and CR, DEL (U+007F),
 *   the C1 controls (U+0080–U+009F), and lone UTF-16 surrogates (not Unicode scalar values, RFC 8259 §8.2;
 *   the databases cannot store them faithfully: PostgreSQL refuses NUL in text and SQLite drivers cut at it).
 * - TAB, LF and CR are allowed only in string values of a request body (free text such as PEM certificates, page
 *   and form content or descriptions may span lines), and TAB in header values. Object keys, path parameters and
 *   query strings are single-line. Identifiers (user keys, sign-in identifiers) refuse every control by their own
 *   rule (shared/identifier.ts).
 *
 * The rule runs before any route hook, authentication or schema validation, so nothing reaches a database first.
 */
// eslint-disable-next-line no-control-regex -- the point of this pattern is to match control characters
const CONTROLS_SINGLE_LINE = /[\u0000-\u001F\u007F-\u009F]|\p{Surrogate}/u;
// eslint-disable-next-line no-control-regex -- the point of this pattern is to match control characters
const CONTROLS_MULTI_LINE = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]|\p{Surrogate}/u;

/** The same characters, every occurrence (to escape them when a field name is echoed). */
const CONTROLS_SINGLE_LINE_ALL = new RegExp(CONTROLS_SINGLE_LINE.source, 'gu');

const MESSAGE_SINGLE_LINE = 'must not contain control characters (U+0000-U+001F, U+007F-U+009F) or unpaired surrogates';
const MESSAGE_MULTI_LINE = 'must not contain NUL, control characters other than tab and line breaks, or unpaired surrogates';
const MESSAGE_KEY = 'has a field name with control characters or unpaired surrogates';

/** Beyond this depth a body is not walked further; bodies that deep are refused by their schemas. */
const MAX_DEPTH = 64;

type Part = 'body' | 'params' | 'query' | 'headers';

/**
 * The first string or key of `value` that breaks the rule, as a field problem naming where it is. One walk, linear in
 * the size of the value: the path to the current node is one stack (array indexes pushed as numbers), and a field name
 * is built only for the problem found.
 */
export function unsafeTextProblem(value: unknown, part: Part): FieldProblem | undefined {
  // Header values may hold TAB (RFC 9110 §5.5); the HTTP parser has already refused LF and CR in them.
  const multiLine = part === 'body' || part === 'headers';
  const valuePattern = multiLine ? CONTROLS_MULTI_LINE : CONTROLS_SINGLE_LINE;
  const valueMessage = multiLine ? MESSAGE_MULTI_LINE : MESSAGE_SINGLE_LINE;
  const path: (string | number)[] = [];
  const field = () => {
    const inPart = path.map((p) => (typeof p === 'number' ? String(p) : printable(p))).join('.');
    if (part === 'body') return inPart || 'body';
    return inPart ? `${part}.${inPart}` : part;
  };
  const visit = (node: unknown, depth: number): FieldProblem | undefined => {
    if (typeof node === 'string') return valuePattern.test(node) ? { field: field(), message: valueMessage } : undefined;
    if (typeof node !== 'object' || node === null || depth > MAX_DEPTH) return undefined;
    if (Array.isArray(node)) {
      for (let i = 0; i < node.length; i++) {
        path.push(i);
        const found = visit(node[i], depth + 1);
        if (found) return found;
        path.pop();
      }
      return undefined;
    }
    for (const key of Object.keys(node)) {
      if (CONTROLS_SINGLE_LINE.test(key)) return { field: field(), message: MESSAGE_KEY };
      path.push(key);
      const found = visit((node as Record<string, unknown>)[key], depth + 1);
      if (found) return found;
      path.pop();
    }
    return undefined;
  };
  return visit(value, 0);
}

/** A field name safe to echo in a problem: the offending characters shown as \uXXXX escapes. */
function printable(name: string): string {
  return name.replace(CONTROLS_SINGLE_LINE_ALL, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function refusal(problem: FieldProblem | undefined): KeywayError | undefined {
  return problem && new KeywayError('VALIDATION_FAILED', `${problem.field}: ${problem.message}`, { errors: [problem] });
}

/**
 * Installs the rule as the first hooks of the application: path, query and headers as soon as the request is
 * routed (before authentication and route hooks that read them), the body once it is parsed.
 */
export function installTextRule(app: FastifyInstance): void {
  // Synchronous hooks take a callback: no promise per request (see app.ts).
  app.addHook('onRequest', (request: FastifyRequest, _reply, done) => {
    done(refusal(unsafeTextProblem(request.params, 'params') ?? unsafeTextProblem(request.query, 'query') ?? unsafeTextProblem(request.headers, 'headers')));
  });
  app.addHook('preValidation', (request: FastifyRequest, _reply, done) => {
    done(refusal(unsafeTextProblem(request.body, 'body')));
  });
}
