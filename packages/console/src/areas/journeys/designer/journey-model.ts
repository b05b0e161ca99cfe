// The journey definition as the designer edits it: pure functions from one definition to the next, so every edit
// is one step of the undo history and the graph, the side panel and the JSON view all read the same document.

export interface StepDefinition {
  id: string;
  type: string;
  title?: string;
  parameters?: Record<string, unknown>;
  outcomes?: Record<string, string>;
  timeoutSeconds?: number;
}

export interface VariableDeclaration {
  type?: string;
  default?: unknown;
  input?: boolean;
  description?: string;
}

export interface JourneyDefinition {
  schemaVersion: 1;
  name?: string;
  description?: string;
  store: string;
  access?: { public?: boolean; apiClients?: boolean };
  expiresInSeconds?: number;
  start: string;
  variables?: Record<string, VariableDeclaration>;
  steps: StepDefinition[];
  /** The designer's metadata, which the engine ignores: where the operator placed each node (none: automatic layout). */
  ui?: { positions?: Record<string, NodePosition> };
  [key: string]: unknown;
}

export interface NodePosition {
  x: number;
  y: number;
}

/** What the designer needs of a step type from GET /api/journeys/step-types. */
export interface StepTypeInfo {
  type: string;
  title: string;
  family: string;
  clientFacing: boolean;
  outcomes: string[];
  parameterSchema: unknown;
}

/** The server's rule for step ids (definition.ts STEP_ID_PATTERN) and the ids it reserves for the end. */
export const STEP_ID_PATTERN = /^[A-Za-z][A-Za-z0-9_.-]{0,63}$/;
const END_STEP_IDS = new Set(['success', 'rejection']);
/** Names the engine puts into every expression context. */
export const ENGINE_VARIABLES = ['user', '_journey', '_identityStore', '_authentication'];

export function emptyDefinition(store: string, name?: string): JourneyDefinition {
  return { schemaVersion: 1, ...(name ? { name } : {}), store, start: '', steps: [] };
}

/** A draft as stored (possibly null or half-written) made into a document the designer can draw. */
export function asDefinition(value: unknown, store: string): JourneyDefinition {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return emptyDefinition(store);
  const raw = value as Partial<JourneyDefinition>;
  return {
    ...raw,
    schemaVersion: 1,
    store: typeof raw.store === 'string' ? raw.store : store,
    start: typeof raw.start === 'string' ? raw.start : '',
    steps: Array.isArray(raw.steps) ? raw.steps.filter((s): s is StepDefinition => !!s && typeof s === 'object' && typeof s.id === 'string') : [],
  };
}

export function isValidStepId(definition: JourneyDefinition, id: string, except?: string): boolean {
  return STEP_ID_PATTERN.test(id) && !END_STEP_IDS.has(id) && !definition.steps.some((s) => s.id === id && s.id !== except);
}

/** `base`, or `base2`, `base3`… : the first id no step has. */
export function uniqueStepId(definition: JourneyDefinition, base: string): string {
  const clean = base.replace(/[^A-Za-z0-9_.-]/g, '').replace(/^[^A-Za-z]+/, '') || 'step';
  const taken = new Set(definition.steps.map((s) => s.id));
  if (!taken.has(clean) && !END_STEP_IDS.has(clean)) return clean;
  for (let n = 2; ; n++) if (!taken.has(`${clean}${n}`)) return `${clean}${n}`;
}

/** The outcomes a step can leave by: its type's, plus any the definition wires that the type adds from its parameters. */
export function outcomesOf(step: StepDefinition, type: StepTypeInfo | undefined): string[] {
  const declared = type?.outcomes ?? [];
  return [...declared, ...Object.keys(step.outcomes ?? {}).filter((o) => !declared.includes(o))];
}

function mapSteps(definition: JourneyDefinition, id: string, change: (step: StepDefinition) => StepDefinition): JourneyDefinition {
  return { ...definition, steps: definition.steps.map((s) => (s.id === id ? change(s) : s)) };
}

export function addStep(definition: JourneyDefinition, type: StepTypeInfo): { definition: JourneyDefinition; id: string } {
  const id = uniqueStepId(definition, type.type.split('.').pop() ?? 'step');
  const step: StepDefinition = { id, type: type.type, title: type.title };
  return { id, definition: { ...definition, start: definition.start || id, steps: [...definition.steps, step] } };
}

/** A copy of a step under a new id, keeping its parameters and where its outcomes lead. */
export function pasteStep(definition: JourneyDefinition, step: StepDefinition): { definition: JourneyDefinition; id: string } {
  const id = uniqueStepId(definition, `${step.id}Copy`);
  const copy: StepDefinition = structuredClone({ ...step, id });
  return { id, definition: { ...definition, start: definition.start || id, steps: [...definition.steps, copy] } };
}

/** Renames a step and every reference to it (outcomes and the start). */
export function renameStep(definition: JourneyDefinition, from: string, to: string): JourneyDefinition {
  const retarget = (outcomes: Record<string, string> | undefined) =>
    outcomes && Object.fromEntries(Object.entries(outcomes).map(([outcome, target]) => [outcome, target === from ? to : target]));
  const positions = definition.ui?.positions;
  return withPositions(
    {
      ...definition,
      start: definition.start === from ? to : definition.start,
      steps: definition.steps.map((s) => ({ ...s, ...(s.id === from ? { id: to } : {}), ...(s.outcomes ? { outcomes: retarget(s.outcomes) } : {}) })),
    },
    positions && Object.fromEntries(Object.entries(positions).map(([id, at]) => [id === from ? to : id, at])),
  );
}

/** Removes a step; outcomes that led to it become unwired. */
export function removeStep(definition: JourneyDefinition, id: string): JourneyDefinition {
  const steps = definition.steps
    .filter((s) => s.id !== id)
    .map((s) => (s.outcomes ? { ...s, outcomes: Object.fromEntries(Object.entries(s.outcomes).filter(([, target]) => target !== id)) } : s))
    .map(({ outcomes, ...rest }) => (outcomes && Object.keys(outcomes).length > 0 ? { ...rest, outcomes } : rest));
  const positions = definition.ui?.positions;
  return withPositions(
    { ...definition, start: definition.start === id ? (steps[0]?.id ?? '') : definition.start, steps },
    positions && Object.fromEntries(Object.entries(positions).filter(([stepId]) => stepId !== id)),
  );
}

/** The definition with these node positions (none: the `ui` member goes, and the graph is laid out automatically). */
function withPositions(definition: JourneyDefinition, positions: Record<string, NodePosition> | undefined): JourneyDefinition {
  const { ui, ...rest } = definition;
  const { positions: _old, ...otherUi } = ui ?? {};
  const nextUi = positions && Object.keys(positions).length > 0 ? { ...otherUi, positions } : otherUi;
  return Object.keys(nextUi).length > 0 ? { ...rest, ui: nextUi } : rest;
}

/**
 * Keeps where the operator placed the nodes: every node's position as shown (the moved ones where they were dropped),
 * so the saved draft opens exactly as it was left. Whole pixels: the JSON stays readable.
 */
export function placeNodes(definition: JourneyDefinition, shown: ReadonlyMap<string, NodePosition>): JourneyDefinition {
  const ids = new Set(definition.steps.map((s) => s.id));
  const positions = Object.fromEntries([...shown].filter(([id]) => ids.has(id)).map(([id, at]) => [id, { x: Math.round(at.x), y: Math.round(at.y) }]));
  return withPositions(definition, positions);
}

/** Back to the automatic layout: the stored positions go. */
export function autoLayout(definition: JourneyDefinition): JourneyDefinition {
  return withPositions(definition, undefined);
}

/** Wires an outcome to a step, or unwires it (target ''). */
export function setOutcome(definition: JourneyDefinition, id: string, outcome: string, target: string): JourneyDefinition {
  return mapSteps(definition, id, ({ outcomes, ...step }) => {
    const next = { ...outcomes };
    if (target) next[outcome] = target;
    else delete next[outcome];
    return Object.keys(next).length > 0 ? { ...step, outcomes: next } : step;
  });
}

/** Sets a parameter, or removes it (value undefined). */
export function setParameter(definition: JourneyDefinition, id: string, name: string, value: unknown): JourneyDefinition {
  return mapSteps(definition, id, ({ parameters, ...step }) => {
    const next = { ...parameters };
    if (value === undefined) delete next[name];
    else next[name] = value;
    return Object.keys(next).length > 0 ? { ...step, parameters: next } : step;
  });
}

export function setTitle(definition: JourneyDefinition, id: string, title: string): JourneyDefinition {
  return mapSteps(definition, id, ({ title: _old, ...step }) => (title ? { ...step, title } : step));
}

/**
 * The names an expression in `stepId` can read: the engine's, the declared variables, and what earlier steps store
 * (a client-facing step's answer under its formDataKey or id, e.g. a form's fields as `${details.userName}`).
 */
export function variablesInScope(definition: JourneyDefinition, types: ReadonlyMap<string, StepTypeInfo>, stepId?: string): string[] {
  const names = new Set<string>([...ENGINE_VARIABLES, ...Object.keys(definition.variables ?? {})]);
  for (const step of definition.steps) {
    if (step.id === stepId || !types.get(step.type)?.clientFacing) continue;
    const key = step.parameters?.formDataKey;
    names.add(typeof key === 'string' && key ? key : step.id);
  }
  return [...names];
}
