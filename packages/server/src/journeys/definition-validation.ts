import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { escapePointer } from '../shared/json-pointer.ts';
import { compileValue } from './compiled-journey.ts';
import { JOURNEY_DEFINITION_SCHEMA, type JourneyDefinition, type VariableType } from './definition.ts';
import { ExpressionError } from './expressions.ts';
import { BUILT_IN_STEPS, type StepTypeLookup } from './step-registry.ts';
import type { StepType } from './step-type.ts';

const addFormats = addFormatsModule as unknown as typeof addFormatsModule.default;

export type ProblemCode =
  | 'SCHEMA_VIOLATION'
  | 'DUPLICATE_STEP_ID'
  | 'UNKNOWN_STEP_TYPE'
  | 'MISSING_PARAMETER'
  | 'UNKNOWN_PARAMETER'
  | 'INVALID_PARAMETER'
  | 'EXPRESSION_SYNTAX'
  | 'UNKNOWN_OUTCOME'
  | 'DANGLING_REFERENCE'
  | 'UNREACHABLE_STEP'
  | 'TIMEOUT_NOT_ALLOWED'
  | 'INVALID_VARIABLE'
  | 'UNDECLARED_VARIABLE'
  | 'UNWIRED_OUTCOME'
  | 'SUBJOURNEY_NOT_CONSTANT'
  | 'UNKNOWN_SUBJOURNEY'
  | 'SUBJOURNEY_CYCLE';

/** One finding: errors block publishing, warnings do not. `pointer` is a JSON pointer into the definition. */
export interface DefinitionProblem {
  severity: 'error' | 'warning';
  code: ProblemCode;
  stepId?: string;
  pointer: string;
  message: string;
}

export interface ValidationReport {
  valid: boolean;
  problems: DefinitionProblem[];
}

const ajv = new Ajv({ allErrors: true, strict: false });
addFormats(ajv, { mode: 'full' });
// Compiled on the first validation, not when the server loads this module (start-up time).
let shapeValidator: ValidateFunction | undefined;
const validateShapeOnce = (): ValidateFunction => (shapeValidator ??= ajv.compile(JOURNEY_DEFINITION_SCHEMA));

/** Step parameter schemas, compiled once per step type (a cache keyed by the step type itself). */
const parameterValidators = new WeakMap<StepType, ValidateFunction>();
export function parameterValidator(step: StepType): ValidateFunction {
  let validate = parameterValidators.get(step);
  if (!validate) {
    validate = ajv.compile(step.parameterSchema);
    parameterValidators.set(step, validate);
  }
  return validate;
}

/** Outcomes a step of this definition may wire: its type's, plus `timeout` when it declares a timeout. */
export function allowedOutcomes(type: StepType, timeoutSeconds: number | undefined, parameters: Record<string, unknown> = {}): string[] {
  let dynamic: readonly string[] = [];
  try {
    dynamic = type.outcomesFor?.(parameters) ?? [];
  } catch {
    // Parameters too malformed to name outcomes; the parameter check reports them.
  }
  const outcomes = [...type.outcomes, ...dynamic.filter((o) => typeof o === 'string')];
  if (timeoutSeconds !== undefined && type.clientFacing) outcomes.push('timeout');
  return [...new Set(outcomes)];
}

function ajvPointer(error: ErrorObject): string {
  if (error.keyword === 'required') return `${error.instancePath}/${escapePointer(String((error.params as { missingProperty: string }).missingProperty))}`;
  if (error.keyword === 'additionalProperties')
    return `${error.instancePath}/${escapePointer(String((error.params as { additionalProperty: string }).additionalProperty))}`;
  return error.instancePath;
}

function ajvMessage(error: ErrorObject): string {
  if (error.keyword === 'required') return 'is required';
  if (error.keyword === 'additionalProperties') return 'is not a known property';
  if (error.keyword === 'enum') return `must be one of ${JSON.stringify((error.params as { allowedValues: unknown[] }).allowedValues)}`;
  return error.message ?? 'is not valid';
}

/**
 * Bound on the `${…}` expressions of one definition (the built-in templates have fewer than ten). Each is parsed when
 * the definition is validated and compiled (a dry-run does both per call) and a step's are evaluated together, so the
 * per-expression costs stay bounded however large a body the server accepts. Reported as a SCHEMA_VIOLATION: a size
 * bound the JSON Schema cannot state, checked before any expression is parsed.
 */
export const MAX_EXPRESSIONS = 1000;

const isWithin = (path: string, root: string) => path === root || path.startsWith(`${root}/`);

/** Whether a JSON value matches a declared variable type (a default, a starter's or a calling journey's input). */
export function matchesType(value: unknown, type: VariableType): boolean {
  switch (type) {
    case 'any':
      return true;
    case 'array':
      return Array.isArray(value);
    case 'object':
      return value !== null && typeof value === 'object' && !Array.isArray(value);
    case 'integer':
      return Number.isInteger(value);
    default:
      return typeof value === type;
  }
}

/**
 * Checks a definition and reports every problem found, each with the step id and the JSON
 * pointer of the offending value: the document's shape, unknown step types, parameters against
 * each type's schema (a `${…}` expression is accepted wherever a value is, and must parse),
 * outcomes the type does not have, references to steps that do not exist, and unreachable steps.
 */
export function validateDefinition(document: unknown, stepTypes: StepTypeLookup = BUILT_IN_STEPS): ValidationReport {
  const problems: DefinitionProblem[] = [];
  const report = (): ValidationReport => ({ valid: !problems.some((p) => p.severity === 'error'), problems });

  const validateShape = validateShapeOnce();
  if (!validateShape(document)) {
    for (const error of validateShape.errors ?? []) {
      const pointer = ajvPointer(error);
      const stepIndex = /^\/steps\/(\d+)/.exec(pointer)?.[1];
      const stepId = stepIndex === undefined ? undefined : (document as { steps?: { id?: unknown }[] }).steps?.[Number(stepIndex)]?.id;
      problems.push({
        severity: 'error',
        code: 'SCHEMA_VIOLATION',
        ...(typeof stepId === 'string' ? { stepId } : {}),
        pointer,
        message: `${pointer || '(document)'} ${ajvMessage(error)}`,
      });
    }
    // The graph checks below need the shape; report shape problems first, alone.
    return report();
  }
  const definition = document as JourneyDefinition;
  const expressionCount = definition.steps.reduce((sum, step) => sum + countExpressions(step.parameters), 0);
  if (expressionCount > MAX_EXPRESSIONS) {
    problems.push({
      severity: 'error',
      code: 'SCHEMA_VIOLATION',
      pointer: '/steps',
      message: `/steps hold ${expressionCount} \${…} expressions, more than ${MAX_EXPRESSIONS}`,
    });
    return report();
  }

  // Variables: defaults must match their declared type.
  const declared = new Set(Object.keys(definition.variables ?? {}));
  for (const [name, declaration] of Object.entries(definition.variables ?? {})) {
    if (declaration.default !== undefined && !matchesType(declaration.default, declaration.type ?? 'any')) {
      problems.push({
        severity: 'error',
        code: 'INVALID_VARIABLE',
        pointer: `/variables/${escapePointer(name)}/default`,
        message: `the default of ${name} is not of type ${declaration.type}`,
      });
    }
  }

  const ids = new Map<string, number>();
  definition.steps.forEach((step, index) => {
    if (ids.has(step.id))
      problems.push({
        severity: 'error',
        code: 'DUPLICATE_STEP_ID',
        stepId: step.id,
        pointer: `/steps/${index}/id`,
        message: `step id ${step.id} is also used by /steps/${ids.get(step.id)}`,
      });
    else ids.set(step.id, index);
  });
  if (!ids.has(definition.start))
    problems.push({ severity: 'error', code: 'DANGLING_REFERENCE', pointer: '/start', message: `start names ${definition.start}, which is not a step` });
  // A position left behind by a removed step changes nothing the engine does: a warning, for the next save to drop.
  for (const id of Object.keys(definition.ui?.positions ?? {}))
    if (!ids.has(id))
      problems.push({
        severity: 'warning',
        code: 'DANGLING_REFERENCE',
        pointer: `/ui/positions/${escapePointer(id)}`,
        message: `a node position for ${id}, which is not a step`,
      });

  definition.steps.forEach((step, index) => {
    const at = `/steps/${index}`;
    const type = stepTypes.find(step.type);
    if (!type) {
      problems.push({
        severity: 'error',
        code: 'UNKNOWN_STEP_TYPE',
        stepId: step.id,
        pointer: `${at}/type`,
        message: `${step.type} is not a step type (see GET /api/journeys/step-types)`,
      });
    }
    // Expressions: each must parse; their values are unknown until run time, so the schema check skips them.
    const parameters = step.parameters ?? {};
    const expressionPaths: string[] = [];
    compileValue(parameters, `${at}/parameters`, (pointer, error) => {
      expressionPaths.push(pointer);
      problems.push({
        severity: 'error',
        code: 'EXPRESSION_SYNTAX',
        stepId: step.id,
        pointer,
        message: `expression does not parse: ${error instanceof ExpressionError ? error.message : String(error)}`,
      });
    });
    collectExpressionPaths(parameters, `${at}/parameters`, expressionPaths);

    if (type) {
      const validate = parameterValidator(type);
      if (!validate(parameters)) {
        for (const error of validate.errors ?? []) {
          const pointer = `${at}/parameters${ajvPointer(error)}`;
          const instance = `${at}/parameters${error.instancePath}`;
          // An expression stands for a value of the right type; composite keywords at its ancestors
          // (anyOf/oneOf/if) fail because of it too, so they are not reported either.
          if (expressionPaths.some((path) => isWithin(instance, path))) continue;
          if (['anyOf', 'oneOf', 'if', 'not'].includes(error.keyword) && expressionPaths.some((path) => isWithin(path, instance))) continue;
          const code =
            error.keyword === 'required' ? 'MISSING_PARAMETER' : error.keyword === 'additionalProperties' ? 'UNKNOWN_PARAMETER' : 'INVALID_PARAMETER';
          problems.push({
            severity: 'error',
            code,
            stepId: step.id,
            pointer,
            message: `${type.title}: ${pointer.slice(`${at}/parameters`.length) || 'parameters'} ${ajvMessage(error)}`,
          });
        }
      }
      if (step.timeoutSeconds !== undefined && !type.clientFacing) {
        problems.push({
          severity: 'error',
          code: 'TIMEOUT_NOT_ALLOWED',
          stepId: step.id,
          pointer: `${at}/timeoutSeconds`,
          message: `${type.title} runs on the server at once; only client-facing steps can time out`,
        });
      }
      const allowed = allowedOutcomes(type, step.timeoutSeconds, parameters);
      for (const outcome of Object.keys(step.outcomes ?? {})) {
        if (!allowed.includes(outcome)) {
          const hint = outcome === 'timeout' ? '; set timeoutSeconds on a client-facing step to use it' : '';
          problems.push({
            severity: 'error',
            code: 'UNKNOWN_OUTCOME',
            stepId: step.id,
            pointer: `${at}/outcomes/${escapePointer(outcome)}`,
            message: `${type.title} has no outcome ${JSON.stringify(outcome)}; it has ${JSON.stringify(allowed)}${hint}`,
          });
        }
      }
      for (const outcome of allowed) {
        if (step.outcomes?.[outcome] === undefined) {
          problems.push({
            severity: 'warning',
            code: 'UNWIRED_OUTCOME',
            stepId: step.id,
            pointer: `${at}/outcomes`,
            message: `outcome ${JSON.stringify(outcome)} leads nowhere: reaching it rejects the journey (JOURNEY_OUTCOME_NOT_WIRED)`,
          });
        }
      }
      if (type.type === 'general.setVariables') {
        const variables = (parameters as { variables?: unknown }).variables;
        if (variables !== null && typeof variables === 'object') {
          for (const name of Object.keys(variables)) {
            if (!declared.has(name))
              problems.push({
                severity: 'error',
                code: 'UNDECLARED_VARIABLE',
                stepId: step.id,
                pointer: `${at}/parameters/variables/${escapePointer(name)}`,
                message: `${name} is not declared in /variables`,
              });
          }
        }
      }
    }
    for (const [outcome, target] of Object.entries(step.outcomes ?? {})) {
      if (!ids.has(target))
        problems.push({
          severity: 'error',
          code: 'DANGLING_REFERENCE',
          stepId: step.id,
          pointer: `${at}/outcomes/${escapePointer(outcome)}`,
          message: `outcome ${JSON.stringify(outcome)} leads to ${target}, which is not a step`,
        });
    }
  });

  // Reachability from the start step, following wired outcomes.
  if (ids.has(definition.start)) {
    const byId = new Map(definition.steps.map((step) => [step.id, step]));
    const seen = new Set<string>([definition.start]);
    const queue = [definition.start];
    while (queue.length > 0) {
      const step = byId.get(queue.shift()!);
      for (const target of Object.values(step?.outcomes ?? {})) {
        if (byId.has(target) && !seen.has(target)) {
          seen.add(target);
          queue.push(target);
        }
      }
    }
    definition.steps.forEach((step, index) => {
      if (!seen.has(step.id) && ids.get(step.id) === index)
        problems.push({
          severity: 'error',
          code: 'UNREACHABLE_STEP',
          stepId: step.id,
          pointer: `/steps/${index}`,
          message: `step ${step.id} cannot be reached from the start step ${definition.start}`,
        });
    });
  }
  return report();
}

/** How many `${…}` a value holds (each unescaped `${` counts; found without parsing them). */
function countExpressions(value: unknown): number {
  if (typeof value === 'string') return value.match(/(^|[^$])\$\{/g)?.length ?? 0;
  if (Array.isArray(value)) return value.reduce((sum: number, item) => sum + countExpressions(item), 0);
  if (value !== null && typeof value === 'object') return Object.values(value).reduce((sum: number, inner) => sum + countExpressions(inner), 0);
  return 0;
}

/** JSON pointers of every string holding a `${…}` (their values are only known at run time). */
function collectExpressionPaths(value: unknown, pointer: string, out: string[]): void {
  if (typeof value === 'string') {
    if (/(^|[^$])\$\{/.test(value)) out.push(pointer);
  } else if (Array.isArray(value)) {
    value.forEach((item, index) => collectExpressionPaths(item, `${pointer}/${index}`, out));
  } else if (value !== null && typeof value === 'object') {
    for (const [key, inner] of Object.entries(value)) collectExpressionPaths(inner, `${pointer}/${escapePointer(key)}`, out);
  }
}
