import { KeywayError } from '../../errors/keyway-error.ts';
import type { IdentityService } from '../../identity/identity-service.ts';
import type { Clock } from '../../shared/clock.ts';
import { evaluateValue, type CompiledJourney, type CompiledStep } from '../compiled-journey.ts';
import { RESERVED_VARIABLES } from '../definition.ts';
import { matchesType, parameterValidator } from '../definition-validation.ts';
import { ExpressionBudget, ExpressionBudgetError, ExpressionError, ExpressionResultTooLargeError, evaluationContext } from '../expressions.ts';
import { IDENTITY_ROOTS, isIdentityUpdate, type JourneyAuthentication, type JourneyOrganization } from '../journey-identity.ts';
import { exceedsJsonBytes } from '../state-size.ts';
import { readPath } from '../steps/trustx/trustx-support.ts';
import type { StepPort } from '../step-port.ts';
import type { ClientInput, ContextUpdate, JourneyUser, StepContext, StepResult, StepType } from '../step-type.ts';
import type { Presentation } from './instance-store.ts';
import type { JourneyPlans } from './journey-plans.ts';
import { JourneyVariables, userVariable, type JourneyFacts, type JourneyFrame, type UserVariable } from './journey-variables.ts';
import { isClientError, StepFailure } from './step-failure.ts';

/** Default cap on steps run in one request: a definition looping through server-side steps is stopped, not spun forever. */
export const DEFAULT_MAX_STEPS_PER_REQUEST = 100;
/** Bound on the JSON size of an instance's variables. */
export const MAX_VARS_BYTES = 256 * 1024;

const FORBIDDEN_KEYS = new Set(['__proto__', 'prototype', 'constructor']);
const RESERVED_ROOTS: ReadonlySet<string> = new Set(RESERVED_VARIABLES);

/** Where running stopped: a client-facing step waiting for a submit, or the end of the journey. */
export type Stop =
  | { kind: 'waiting'; stepId: string; presentation: Presentation; deadline: number | null }
  | { kind: 'end'; result: 'success' | 'rejection'; code?: string | undefined; stepId?: string | undefined; message?: string | undefined };

/** Where running goes on: a step, a sub-journey to enter, or where it stopped. */
type Call = { kind: 'call'; stepId: string; journeyId: string; input: Record<string, unknown>; output: Record<string, string> };
type Next = Stop | { kind: 'next'; next: string } | Call;

/** How deep sub-journeys may call sub-journeys (cycles are refused when published; this bounds the rest). */
export const MAX_SUB_JOURNEY_DEPTH = 5;

/** One request's work on an instance: its compiled journey (the sub-journey's while one runs), variables, and the budget spent so far. */
export interface Run {
  tenantId: string;
  instanceId: string;
  /** The published version the instance started (the outermost journey). */
  rootVersionId: string;
  plan: CompiledJourney;
  vars: JourneyVariables;
  origin: string;
  locale: string;
  stepsRun: number;
  /** The expression time left to this request (one budget per run, from StepRunner.expressionBudget): every evaluation is charged. */
  expressionTime: ExpressionBudget;
  /** Asked before each step: a reason to end the run there (the dry-run's own bounds); absent for real instances. */
  checkpoint?: ((stepId: string) => { code: string; message: string } | undefined) | undefined;
  /** Told of each step's result once its variable updates are applied (the dry-run's trace); absent for real instances. */
  observe?: StepObserver | undefined;
}

/** What a step did, as seen after its updates: `kind` is the StepResult's kind, `outcome` its outcome or end result. */
export type StepObserver = (event: { stepId: string; type: string; kind: StepResult['kind']; outcome: string; variables: Record<string, unknown> }) => void;

export interface StepRunnerDeps {
  clock: Clock;
  port: StepPort;
  /** Reads the user a step identified (the facts expressions see). */
  identity: Pick<IdentityService, 'getUser'>;
  /** Where sub-journeys are found. */
  plans: Pick<JourneyPlans, 'plan' | 'findPublished'>;
  maxStepsPerRequest?: number | undefined;
  /** A new run's expression budget (default: EXPRESSION_BUDGET_MS of the thread's CPU time; tests pass one with their own clock). */
  expressionBudget?: (() => ExpressionBudget) | undefined;
}

/**
 * Runs steps: evaluates a step's parameters and checks them against its type's schema, calls the step, applies its
 * variable updates, and follows its outcome to the next step, until a step presents to the client or the journey
 * ends. It stores nothing: the engine persists where it stopped.
 */
export class StepRunner {
  readonly #clock: Clock;
  readonly #port: StepPort;
  readonly #identity: StepRunnerDeps['identity'];
  readonly #plans: StepRunnerDeps['plans'];
  readonly maxSteps: number;
  readonly #expressionBudget: () => ExpressionBudget;

  constructor(deps: StepRunnerDeps) {
    this.#clock = deps.clock;
    this.#port = deps.port;
    this.#identity = deps.identity;
    this.#plans = deps.plans;
    this.maxSteps = deps.maxStepsPerRequest ?? DEFAULT_MAX_STEPS_PER_REQUEST;
    this.#expressionBudget = deps.expressionBudget ?? (() => new ExpressionBudget());
  }

  /** The expression budget of a new run (a request, a timer firing, a dry-run): one per Run, never shared. */
  expressionBudget(): ExpressionBudget {
    return this.#expressionBudget();
  }

  /** Runs steps from `firstStepId` until one presents to the client or the journey ends. */
  advance(run: Run, firstStepId: string): Promise<Stop> {
    return this.#from(run, { kind: 'next', next: firstStepId });
  }

  /**
   * The client answered the waiting step `stepId`: the step handles the answer, then running continues. A client
   * error (bad input) is thrown, so the caller can give the step back unchanged.
   */
  async submit(run: Run, stepId: string, input: ClientInput): Promise<Stop> {
    const step = run.plan.steps.get(stepId)!;
    let result: StepResult;
    let params: Record<string, unknown>;
    try {
      run.stepsRun += 1;
      params = this.#parameters(run, step);
      if (!step.type.submit) throw new StepFailure('JOURNEY_STEP_FAILED', `step type ${step.type.type} takes no submit`);
      result = await step.type.submit(this.#context(run, stepId), params, input);
    } catch (error) {
      if (isClientError(error)) throw error;
      return this.#from(run, failure(stepId, error));
    }
    return this.#from(run, await this.#afterResult(run, step, result, params));
  }

  /** The waiting step `stepId` timed out: its `timeout` outcome, or a rejection when the definition does not wire one. */
  timeout(run: Run, stepId: string): Promise<Stop> {
    const next = run.plan.steps.get(stepId)!.definition.outcomes?.timeout;
    if (next === undefined)
      return this.#from(run, { kind: 'end', result: 'rejection', code: 'JOURNEY_STEP_TIMEOUT', stepId, message: `step ${stepId} timed out` });
    return this.#from(run, { kind: 'next', next });
  }

  /** Follows where running is (a next step, a sub-journey to enter, a sub-journey's end to return from) until it stops. */
  async #from(run: Run, first: Next): Promise<Stop> {
    let at = first;
    for (;;) {
      if (at.kind === 'next') at = await this.#step(run, at.next);
      else if (at.kind === 'call') at = await this.#enter(run, at);
      else if (at.kind === 'end' && (run.vars.journey.frames?.length ?? 0) > 0) at = await this.#leave(run, at);
      else return at;
    }
  }

  async #step(run: Run, stepId: string): Promise<Next> {
    if (run.stepsRun >= this.maxSteps) {
      return { kind: 'end', result: 'rejection', code: 'JOURNEY_STEP_LIMIT_EXCEEDED', stepId, message: `more than ${this.maxSteps} steps ran in one request` };
    }
    // Spent in a sub-journey whose caller wires `rejection`: the caller's steps do not run on either.
    if (run.expressionTime.exhausted) return expressionBudgetEnd(run, stepId);
    const stop = run.checkpoint?.(stepId);
    if (stop) return { kind: 'end', result: 'rejection', code: stop.code, stepId, message: stop.message };
    run.stepsRun += 1;
    const step = run.plan.steps.get(stepId)!;
    let result: StepResult;
    let params: Record<string, unknown>;
    try {
      params = this.#parameters(run, step);
      result = await step.type.run(this.#context(run, stepId), params);
    } catch (error) {
      return failure(stepId, error);
    }
    return this.#afterResult(run, step, result, params);
  }

  /**
   * Enters a sub-journey: the latest published version of the journey the step names (of the same store), with its
   * declared defaults and the step's input; the journey's user and how they authenticated go with it. The caller's
   * variables wait in a frame until it ends.
   */
  async #enter(run: Run, call: Call): Promise<Next> {
    const parent = run.vars;
    const frames = parent.journey.frames ?? [];
    const fail = (message: string): Next => ({ kind: 'end', result: 'rejection', code: 'JOURNEY_STEP_FAILED', stepId: call.stepId, message });
    if (frames.length >= MAX_SUB_JOURNEY_DEPTH) return fail(`sub-journeys nest deeper than ${MAX_SUB_JOURNEY_DEPTH}`);
    const published = await this.#plans.findPublished(run.tenantId, call.journeyId);
    if (published === undefined || published === 'unpublished') return fail(`sub-journey ${call.journeyId} has no published version`);
    const plan = await this.#plans.plan(published.versionId);
    const definition = plan.definition;
    if (definition.store !== run.plan.definition.store)
      return fail(`sub-journey ${call.journeyId} runs in store ${definition.store}, not ${run.plan.definition.store}`);
    const values: Record<string, unknown> = {};
    for (const [name, declaration] of Object.entries(definition.variables ?? {})) {
      if (declaration.default !== undefined) values[name] = structuredClone(declaration.default);
    }
    for (const [name, value] of Object.entries(call.input)) {
      const declaration = definition.variables?.[name];
      const problem =
        !declaration?.input || FORBIDDEN_KEYS.has(name)
          ? `not an input variable of ${call.journeyId}`
          : matchesType(value, declaration.type ?? 'any')
            ? undefined
            : `not of type ${declaration.type} (the type ${call.journeyId} declares)`;
      if (problem) return { kind: 'end', result: 'rejection', code: 'JOURNEY_PARAMETERS_INVALID', stepId: call.stepId, message: `input.${name}: ${problem}` };
      values[name] = structuredClone(value);
    }
    for (const root of ['user', '_authentication', 'organization']) if (parent.values[root] !== undefined) values[root] = structuredClone(parent.values[root]);
    const { frames: _ignored, ...parentFacts } = parent.journey;
    const frame: JourneyFrame = {
      versionId: parent.journey.versionId ?? run.rootVersionId,
      stepId: call.stepId,
      output: call.output,
      vars: { ...parent.values, _journey: parentFacts },
    };
    values._journey = {
      id: call.journeyId,
      version: published.version,
      instanceId: run.instanceId,
      store: definition.store,
      ...(parent.journey.userIdentified === undefined ? {} : { userIdentified: parent.journey.userIdentified }),
      versionId: published.versionId,
      frames: [...frames, frame],
    } satisfies JourneyFacts;
    run.vars = new JourneyVariables(values);
    run.plan = plan;
    return { kind: 'next', next: definition.start };
  }

  /** A sub-journey ended: back to the step that called it, with its outputs (success) or by `rejection`. */
  async #leave(run: Run, end: Extract<Stop, { kind: 'end' }>): Promise<Next> {
    const child = run.vars;
    const frames = [...(child.journey.frames ?? [])];
    const frame = frames.pop()!;
    const values = frame.vars;
    const facts = values._journey as JourneyFacts;
    if (frames.length > 0) facts.frames = frames;
    // Who the user is, and how they proved it, is the whole journey's.
    for (const root of ['user', '_authentication', 'organization']) if (child.values[root] !== undefined) values[root] = child.values[root];
    if (child.journey.userIdentified !== undefined) facts.userIdentified = child.journey.userIdentified;
    run.vars = new JourneyVariables(values);
    run.plan = await this.#plans.plan(frame.versionId);
    const outcomes = run.plan.steps.get(frame.stepId)!.definition.outcomes;
    if (end.result === 'rejection') {
      const next = outcomes?.rejection;
      // Not wired: the rejection goes on outwards with the sub-journey's code.
      return next === undefined ? end : { kind: 'next', next };
    }
    for (const [name, path] of Object.entries(frame.output)) {
      // The parameter schema refuses these names already; the engine-owned roots are never written by a mapping.
      if (RESERVED_ROOTS.has(name) || FORBIDDEN_KEYS.has(name)) continue;
      values[name] = structuredClone(readPath(child.values, path.split('.')) ?? null);
    }
    const next = outcomes?.success;
    if (next === undefined)
      return {
        kind: 'end',
        result: 'rejection',
        code: 'JOURNEY_OUTCOME_NOT_WIRED',
        stepId: frame.stepId,
        message: `step ${frame.stepId} left by outcome "success", which leads nowhere`,
      };
    return { kind: 'next', next };
  }

  #context(run: Run, stepId: string): StepContext {
    const user = run.vars.user;
    return {
      tenantId: run.tenantId,
      journeyId: run.vars.journey.id,
      instanceId: run.instanceId,
      stepId,
      port: this.#port,
      clock: this.#clock,
      vars: structuredClone(run.vars.values),
      ...(user?.storeName && user.userId ? { user: { storeName: user.storeName, userId: user.userId } } : {}),
      origin: run.origin,
      locale: run.locale,
    };
  }

  /** Evaluates the step's `${…}` parameters against the variables and checks them against the type's schema. */
  #parameters(run: Run, step: CompiledStep): Record<string, unknown> {
    let params: unknown;
    try {
      // Constant parameters need no context: the variables are not converted for CEL.
      params =
        step.parameters.kind === 'const'
          ? structuredClone(step.parameters.value)
          : evaluateValue(step.parameters, evaluationContext(run.vars.values), run.expressionTime);
    } catch (error) {
      if (error instanceof ExpressionBudgetError) throw new StepFailure('JOURNEY_EXPRESSION_BUDGET_EXCEEDED', `\${${error.expression}}: ${error.message}`);
      if (error instanceof ExpressionResultTooLargeError) throw new StepFailure('JOURNEY_STATE_TOO_LARGE', `\${${error.expression}}: ${error.message}`);
      if (error instanceof ExpressionError) throw new StepFailure('JOURNEY_EXPRESSION_FAILED', `\${${error.expression}}: ${error.message}`);
      throw error;
    }
    const validate = parameterValidator(step.type);
    if (!validate(params)) {
      const first = validate.errors?.[0];
      throw new StepFailure('JOURNEY_PARAMETERS_INVALID', `parameters${first?.instancePath ?? ''} ${first?.message ?? 'are not valid'}`);
    }
    return params as Record<string, unknown>;
  }

  /** Applies a step's result: variables, then the next step (continue), a sub-journey, a presentation or an end. */
  async #afterResult(run: Run, step: CompiledStep, result: StepResult, params: Record<string, unknown>): Promise<Next> {
    const stepId = step.definition.id;
    try {
      await this.#applyUpdates(run, result.updates ?? [], step.type);
    } catch (error) {
      return failure(stepId, error);
    }
    // The variables are bounded as they grow, after every step (not only when stored): with the step budget per
    // request and each expression's own bound, a definition that keeps enlarging them stops within a few steps.
    if (exceedsJsonBytes(run.vars.values, MAX_VARS_BYTES))
      return { kind: 'end', result: 'rejection', code: 'JOURNEY_STATE_TOO_LARGE', stepId, message: `the variables exceed ${MAX_VARS_BYTES} bytes` };
    run.observe?.({
      stepId,
      type: step.type.type,
      kind: result.kind,
      outcome: result.kind === 'outcome' ? result.outcome : result.kind === 'end' ? result.result : result.kind,
      variables: structuredClone(run.vars.values),
    });
    switch (result.kind) {
      case 'outcome': {
        const next = step.definition.outcomes?.[result.outcome];
        if (next === undefined)
          return {
            kind: 'end',
            result: 'rejection',
            code: 'JOURNEY_OUTCOME_NOT_WIRED',
            stepId,
            message: `step ${stepId} left by outcome ${JSON.stringify(result.outcome)}, which leads nowhere`,
          };
        return { kind: 'next', next };
      }
      case 'present': {
        if (!step.type.clientFacing) return failure(stepId, new StepFailure('JOURNEY_STEP_FAILED', `${step.type.type} is not client-facing but presented`));
        // The step's own deadline reads the parameters it ran with.
        const timeout = step.definition.timeoutSeconds ?? step.type.timeoutSeconds?.(params);
        const deadline = timeout === undefined ? null : this.#clock.now().getTime() + timeout * 1000;
        return { kind: 'waiting', stepId, presentation: { data: result.data, options: result.options }, deadline };
      }
      case 'subJourney':
        return { kind: 'call', stepId, journeyId: result.journeyId, input: result.input, output: result.output };
      case 'end':
        return result.result === 'success'
          ? { kind: 'end', result: 'success', stepId }
          : { kind: 'end', result: 'rejection', code: result.code ?? 'JOURNEY_REJECTED', stepId };
    }
  }

  async #applyUpdates(run: Run, updates: ContextUpdate[], by: Pick<StepType, 'type' | 'writesIdentityStore'>): Promise<void> {
    const values = run.vars.values;
    for (const update of updates) {
      if (update.path.length === 0 || update.path.some((key) => FORBIDDEN_KEYS.has(String(key))))
        throw new StepFailure('JOURNEY_STEP_FAILED', `a step wrote to the invalid path ${JSON.stringify(update.path)}`);
      if (update.path[0] === '_journey') throw new StepFailure('JOURNEY_STEP_FAILED', '_journey is owned by the engine');
      if (update.path[0] === '_identityStore' && by.writesIdentityStore !== true)
        throw new StepFailure('JOURNEY_STEP_FAILED', `_identityStore is written only by the identity store's steps, not by ${by.type}`);
      if (IDENTITY_ROOTS.has(String(update.path[0]))) {
        // Who the journey is about and how they proved it come only from identifying steps, never
        // from a definition's or a client's choice of variable name.
        if (!isIdentityUpdate(update))
          throw new StepFailure('JOURNEY_STEP_FAILED', `${String(update.path[0])} is set only by steps that identify or authenticate the user`);
        if (update.path[0] === 'user') run.vars.identifyUser(await this.#identify(run, update.value));
        else if (update.path[0] === 'organization') run.vars.setOrganization(update.value as JourneyOrganization);
        else run.vars.setAuthentication(update.value as JourneyAuthentication);
        continue;
      }
      let target: Record<string | number, unknown> = values;
      for (const key of update.path.slice(0, -1)) {
        const next = target[key];
        if (next === null || typeof next !== 'object') target[key] = {};
        target = target[key] as Record<string | number, unknown>;
      }
      target[update.path.at(-1)!] = update.value === undefined ? null : structuredClone(update.value);
    }
  }

  /** A step identified the journey's user: keep the facts expressions and the end step need. */
  async #identify(run: Run, value: unknown): Promise<UserVariable | null> {
    if (value === null) return null;
    const user = value as Partial<JourneyUser>;
    if (typeof user.userId !== 'string') throw new StepFailure('JOURNEY_STEP_FAILED', 'a step set user without a userId');
    const storeName = user.storeName ?? run.plan.definition.store;
    return userVariable(storeName, await this.#identity.getUser(run.tenantId, storeName, { id: user.userId }));
  }
}

function expressionBudgetEnd(run: Run, stepId: string): Stop {
  return {
    kind: 'end',
    result: 'rejection',
    code: 'JOURNEY_EXPRESSION_BUDGET_EXCEEDED',
    stepId,
    message: `the expressions of this request took longer than ${run.expressionTime.budgetMs} ms in total (too much work)`,
  };
}

/** A step's error as the end of the journey: its code for a known failure, a bare JOURNEY_STEP_FAILED otherwise. */
export function failure(stepId: string, error: unknown): Stop {
  if (error instanceof StepFailure) return { kind: 'end', result: 'rejection', code: error.code, stepId, message: error.message };
  if (error instanceof KeywayError) return { kind: 'end', result: 'rejection', code: error.code, stepId, message: error.detail };
  // Unexpected errors are not described to the client; the stack goes to the log.
  process.emitWarning(`journey step ${stepId} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`, {
    code: 'KEYWAY_JOURNEY_STEP',
  });
  return { kind: 'end', result: 'rejection', code: 'JOURNEY_STEP_FAILED', stepId };
}
