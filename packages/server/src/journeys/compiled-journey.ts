import { escapePointer } from '../shared/json-pointer.ts';
import { LruCache } from '../shared/lru-cache.ts';
import { compileString, evaluateString, hasExpression, mayTakeLongToEvaluate, type CompiledString, type ExpressionBudget } from './expressions.ts';
import type { JourneyDefinition, StepDefinition } from './definition.ts';
import { journeyUserActsOf, type OwnJourneyUserActs } from './journey-user-acts.ts';
import { BUILT_IN_STEPS, type StepTypeLookup } from './step-registry.ts';
import type { StepType } from './step-type.ts';

/** A parameter value with its `${…}` strings compiled; constant subtrees stay as they are. */
export type CompiledValue =
  | { kind: 'const'; value: unknown }
  | { kind: 'string'; compiled: CompiledString }
  | { kind: 'array'; items: CompiledValue[] }
  | { kind: 'object'; entries: [string, CompiledValue][] };

export interface CompiledStep {
  definition: StepDefinition;
  type: StepType;
  parameters: CompiledValue;
}

export interface CompiledJourney {
  definition: JourneyDefinition;
  steps: Map<string, CompiledStep>;
  /** What the version does to its journey's user, for a start that names the user (journey-user-acts.ts). */
  journeyUserActs: OwnJourneyUserActs;
}

/** Compiles a value, calling `onError` (with the JSON pointer below `pointer`) for each bad expression. */
export function compileValue(value: unknown, pointer = '', onError?: (pointer: string, error: unknown) => void): CompiledValue {
  if (typeof value === 'string') {
    if (!hasExpression(value)) return { kind: 'const', value: value.replaceAll('$${', '${') };
    try {
      return { kind: 'string', compiled: compileString(value) };
    } catch (error) {
      if (!onError) throw error;
      onError(pointer, error);
      return { kind: 'const', value };
    }
  }
  if (Array.isArray(value)) {
    const items = value.map((item, index) => compileValue(item, `${pointer}/${index}`, onError));
    return items.every((item) => item.kind === 'const') ? { kind: 'const', value } : { kind: 'array', items };
  }
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value).map(([key, inner]): [string, CompiledValue] => [
      key,
      compileValue(inner, `${pointer}/${escapePointer(key)}`, onError),
    ]);
    return entries.every(([, inner]) => inner.kind === 'const') ? { kind: 'const', value } : { kind: 'object', entries };
  }
  return { kind: 'const', value };
}

/**
 * Evaluates a compiled value (expressions against `context`), producing plain JSON. All its expressions are charged
 * to `budget` as one batch: one measurement, and one deadline when any of them may take long.
 */
export function evaluateValue(compiled: CompiledValue, context: Record<string, unknown>, budget: ExpressionBudget): unknown {
  if (compiled.kind === 'const') return structuredClone(compiled.value);
  return budget.batch(mayTakeLong(compiled), () => evaluateTree(compiled, context, budget));
}

function evaluateTree(compiled: CompiledValue, context: Record<string, unknown>, budget: ExpressionBudget): unknown {
  switch (compiled.kind) {
    case 'const':
      return structuredClone(compiled.value);
    case 'string':
      return evaluateString(compiled.compiled, context, budget);
    case 'array':
      return compiled.items.map((item) => evaluateTree(item, context, budget));
    case 'object':
      return Object.fromEntries(compiled.entries.map(([key, inner]) => [key, evaluateTree(inner, context, budget)]));
  }
}

function mayTakeLong(compiled: CompiledValue): boolean {
  switch (compiled.kind) {
    case 'const':
      return false;
    case 'string':
      return mayTakeLongToEvaluate(compiled.compiled);
    case 'array':
      return compiled.items.some(mayTakeLong);
    case 'object':
      return compiled.entries.some(([, inner]) => mayTakeLong(inner));
  }
}

/** Compiles a definition that has passed validation (published versions only). */
export function compileJourney(definition: JourneyDefinition, stepTypes: StepTypeLookup): CompiledJourney {
  const steps = new Map<string, CompiledStep>();
  for (const step of definition.steps) {
    const type = stepTypes.find(step.type);
    if (!type) throw new Error(`journey step ${step.id}: unknown step type ${step.type}`);
    steps.set(step.id, { definition: step, type, parameters: compileValue(step.parameters ?? {}) });
  }
  return { definition, steps, journeyUserActs: journeyUserActsOf(definition, stepTypes) };
}

/**
 * Published versions are immutable, so a version id names one compiled journey forever: each
 * node compiles a version's expressions once and keeps it (bounded, least recently used first out).
 */
export class CompiledJourneyCache {
  readonly #entries: LruCache<string, CompiledJourney>;
  readonly #stepTypes: StepTypeLookup;

  constructor(max = 500, stepTypes: StepTypeLookup = BUILT_IN_STEPS) {
    this.#entries = new LruCache(max);
    this.#stepTypes = stepTypes;
  }

  peek(versionId: string): CompiledJourney | undefined {
    return this.#entries.get(versionId);
  }

  get(versionId: string, load: () => JourneyDefinition): CompiledJourney {
    const hit = this.#entries.get(versionId);
    if (hit) return hit;
    const compiled = compileJourney(load(), this.#stepTypes);
    this.#entries.set(versionId, compiled);
    return compiled;
  }

  /** How many versions are compiled (for tests of the once-per-version rule). */
  get size(): number {
    return this.#entries.size;
  }
}
