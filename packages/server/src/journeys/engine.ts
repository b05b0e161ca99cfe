import { createHash, randomBytes } from 'node:crypto';
import type { Kysely, Selectable } from 'kysely';
import { appendAuditEvent } from '../audit/audit-log.ts';
import { KeywayError } from '../errors/keyway-error.ts';
import type { User } from '../identity/user-schemas.ts';
import type { Services } from '../services.ts';
import type { Clock } from '../shared/clock.ts';
import { purgeAbandonedAccounts } from '../identity/pending-accounts.ts';
import { RateLimiter } from '../shared/rate-limiter.ts';
import { newTimeOrderedId } from '../shared/time-ordered-id.ts';
import type { JourneyInstancesTable, Schema } from '../storage/schema.ts';
import { assertMayNameUser, type Caller } from '../tenancy/target-rules.ts';
import { CompiledJourneyCache, evaluateValue, type CompiledJourney, type CompiledStep } from './compiled-journey.ts';
import { DEFAULT_EXPIRES_IN_SECONDS, type JourneyDefinition } from './definition.ts';
import { parameterValidator } from './definition-validation.ts';
import { ExpressionBudgetError, ExpressionError, ExpressionResultTooLargeError, evaluationContext } from './expressions.ts';
import { IDENTITY_ROOTS, authenticationOf, isIdentityUpdate } from './journey-identity.ts';
import { exceedsJsonBytes } from './state-size.ts';
import type { ClientInput, ContextUpdate, JourneyUser, StepContext, StepResult } from './step-type.ts';

/** Default cap on steps run in one request: a definition looping through server-side steps is stopped, not spun forever. */
export const DEFAULT_MAX_STEPS_PER_REQUEST = 100;
/** Bound on the JSON size of an instance's variables. */
export const MAX_VARS_BYTES = 256 * 1024;
const PURGE_INTERVAL_MS = 10 * 60 * 1000;
const PURGE_AFTER_MS = 24 * 60 * 60 * 1000;
/** A step claimed longer ago than this without finishing was on a node that died. */
const INTERRUPTED_AFTER_MS = 2 * 60 * 1000;

/**
 * Codes a journey can end with in a `rejection` (answered as data, not as an HTTP error: the
 * protocol request itself succeeded). Steps may end with codes of their own as well.
 */
export const ENGINE_REJECTION_CODES = {
  JOURNEY_REJECTED: 'An end step rejected the journey',
  JOURNEY_STEP_LIMIT_EXCEEDED:
    'More steps ran in one request than allowed (the definition loops without a client-facing step), or one expression took too long',
  JOURNEY_STEP_TIMEOUT: 'The step timed out and its timeout outcome is not wired',
  JOURNEY_OUTCOME_NOT_WIRED: 'A step left by an outcome that leads nowhere',
  JOURNEY_EXPRESSION_FAILED: 'An expression of a step parameter could not be evaluated',
  JOURNEY_PARAMETERS_INVALID: 'A step’s evaluated parameters do not match its parameter schema',
  JOURNEY_STEP_FAILED: 'A step failed',
  JOURNEY_NO_USER: 'The journey reached success without identifying a user',
  JOURNEY_STATE_TOO_LARGE: 'The journey’s variables grew beyond their size limit',
  JOURNEY_INTERRUPTED: 'The server running a step stopped before it finished; the journey must start again',
} as const;

export type JourneyStarter = { kind: 'public'; origin: string; clientIp: string } | { kind: 'api'; caller: Caller; origin?: string | undefined };

export interface StartInput {
  user?: { userId: string } | { externalId: string } | undefined;
  variables?: Record<string, unknown> | undefined;
}

export interface SubmitInput extends ClientInput {
  /** The step the client answers; a mismatch with the current step is a stale submit (409). */
  journeyStepId?: string | undefined;
}

/** One answer of the runtime protocol: `{journeyStepId, data, sessionId}`. */
export interface StepResponse {
  journeyStepId: string;
  data: unknown;
  sessionId: string;
  /** The step type, so a client knows how to render the step (absent at the end). */
  stepType?: string;
  /** The response options the step accepts in `clientResponseOptionId`. */
  clientResponseOptions?: string[];
  /** When this session expires. */
  expiresAt: string;
  /** When the current step times out, if it has a timeout. */
  stepExpiresAt?: string;
}

export interface JourneyEngineDeps {
  db: Kysely<Schema>;
  clock: Clock;
  /** The domain services steps use (a getter: the engine is itself one of them). */
  services: () => Services;
  maxStepsPerRequest?: number;
  cache?: CompiledJourneyCache;
  /** Public (tokenless) starts allowed per client IP, tenant and minute; each creates an instance row. */
  publicStartsPerMinute?: number;
}

type InstanceRow = Selectable<JourneyInstancesTable>;

interface Presentation {
  data: unknown;
  options: string[];
}

type Stop =
  | { kind: 'waiting'; stepId: string; presentation: Presentation; deadline: number | null }
  | { kind: 'end'; result: 'success' | 'rejection'; code?: string | undefined; stepId?: string | undefined; message?: string | undefined };

interface Run {
  tenantId: string;
  row: InstanceRow;
  plan: CompiledJourney;
  vars: Record<string, unknown>;
  origin: string;
  locale: string;
  stepsRun: number;
}

const sha256 = (token: string) => createHash('sha256').update(token).digest('base64url');
const FORBIDDEN_KEYS = new Set(['__proto__', 'prototype', 'constructor']);

/** Steps signal "bad input, show the step again" with a 4xx KeywayError from submit. */
function isClientError(error: unknown): error is KeywayError {
  return error instanceof KeywayError && error.status < 500;
}

class StepFailure extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.code = code;
  }
}

/**
 * The journey engine: runs server-side steps until a client-facing step or an end,
 * and keeps everything an instance needs in its database row, so any node continues it.
 *
 * Concurrency: every change to an instance is a compare-and-set on its `revision`. A submit first
 * claims the waiting step (waiting → running, revision + 1); of two parallel submits exactly one
 * claim succeeds, the other is answered 409 JOURNEY_STEP_ALREADY_SUBMITTED without running
 * anything. Each answer carries a new session token, so a repeated (stale) submit is refused too.
 */
export class JourneyEngine {
  readonly #db: Kysely<Schema>;
  readonly #clock: Clock;
  readonly #services: () => Services;
  readonly #maxSteps: number;
  readonly cache: CompiledJourneyCache;
  readonly #limiter: RateLimiter;
  readonly #publicStartsPerMinute: number;
  #lastPurgeMs = Number.NEGATIVE_INFINITY;

  constructor(deps: JourneyEngineDeps) {
    this.#db = deps.db;
    this.#clock = deps.clock;
    this.#services = deps.services;
    this.#maxSteps = deps.maxStepsPerRequest ?? DEFAULT_MAX_STEPS_PER_REQUEST;
    this.cache = deps.cache ?? new CompiledJourneyCache();
    this.#limiter = new RateLimiter({ db: deps.db, clock: deps.clock });
    this.#publicStartsPerMinute = deps.publicStartsPerMinute ?? 30;
  }

  // ── loading ──

  async #plan(versionId: string): Promise<CompiledJourney> {
    const cached = this.cache.peek(versionId);
    if (cached) return cached;
    const row = await this.#db.selectFrom('journey_versions').select('definition').where('id', '=', versionId).executeTakeFirstOrThrow();
    return this.cache.get(versionId, () => JSON.parse(row.definition) as JourneyDefinition);
  }

  /** The web origins of the store's relying parties: where a browser may run the journey from. */
  async #allowedOrigins(tenantId: string, storeName: string): Promise<Set<string>> {
    const rows = await this.#db
      .selectFrom('relying_parties')
      .innerJoin('stores', 'stores.id', 'relying_parties.store_id')
      .select('relying_parties.origins')
      .where('stores.tenant_id', '=', tenantId)
      .where('stores.name', '=', storeName)
      .execute();
    return new Set(rows.flatMap((row) => JSON.parse(row.origins) as string[]).filter((origin) => /^https?:\/\//.test(origin)));
  }

  /**
   * CSRF defence for browser requests (as the self-service API does): the Origin header must be an
   * origin of one of the store's relying parties. Public journeys need it; API-started journeys
   * may be continued server to server without one.
   */
  async #checkOrigin(tenantId: string, storeName: string, origin: string | undefined, required: boolean): Promise<string> {
    if (origin === undefined || origin === '' || origin === 'null') {
      if (required)
        throw new KeywayError('JOURNEY_ORIGIN_NOT_ALLOWED', 'A browser request needs an Origin header from an origin of the store’s relying parties');
      return '';
    }
    if (!(await this.#allowedOrigins(tenantId, storeName)).has(origin)) {
      throw new KeywayError('JOURNEY_ORIGIN_NOT_ALLOWED', `${origin} is not an origin of a relying party of store ${storeName}`);
    }
    return origin;
  }

  async #loadUser(tenantId: string, storeName: string, ref: { id: string } | { externalId: string }): Promise<User> {
    return this.#services().identity.getUser(tenantId, storeName, ref);
  }

  // ── the protocol ──

  async start(tenantId: string, journeyId: string, starter: JourneyStarter, input: StartInput, locale: string): Promise<StepResponse> {
    // Before anything is read: a caller that may not read the user learns nothing about them.
    if (starter.kind === 'api' && input.user !== undefined) assertMayNameUser(starter.caller, input.user);
    await this.#purgeNowAndThen();
    const journey = await this.#db
      .selectFrom('journeys')
      .innerJoin('journey_versions', (join) =>
        join.onRef('journey_versions.journey_row_id', '=', 'journeys.id').onRef('journey_versions.version', '=', 'journeys.latest_version'),
      )
      .select(['journeys.id as journeyRowId', 'journey_versions.id as versionId', 'journey_versions.version as version'])
      .where('journeys.tenant_id', '=', tenantId)
      .where('journeys.journey_id', '=', journeyId)
      .executeTakeFirst();
    if (!journey) {
      const exists = await this.#db
        .selectFrom('journeys')
        .select('id')
        .where('tenant_id', '=', tenantId)
        .where('journey_id', '=', journeyId)
        .executeTakeFirst();
      // A browser is not told whether an unpublished journey exists.
      if (exists && starter.kind === 'api') throw new KeywayError('JOURNEY_NOT_PUBLISHED', `Journey ${journeyId} has no published version`);
      throw new KeywayError('JOURNEY_NOT_FOUND', `No journey ${journeyId}`);
    }
    const plan = await this.#plan(journey.versionId);
    const definition = plan.definition;

    let origin: string;
    if (starter.kind === 'public') {
      if (definition.access?.public !== true)
        throw new KeywayError('UNAUTHENTICATED', `Journey ${journeyId} is not public: an API client starts it with a bearer token`, {
          headers: { 'www-authenticate': 'Bearer realm="keyway"' },
        });
      if (input.user !== undefined)
        throw new KeywayError('VALIDATION_FAILED', 'user: only an API client may start a journey for a named user', {
          errors: [{ field: '/user', message: 'only an API client may name the user' }],
        });
      origin = await this.#checkOrigin(tenantId, definition.store, starter.origin, true);
      // Anyone may call this, and each call stores an instance: bounded per address (counted in the database, so across nodes).
      await this.#limiter.hit(`journey-start|${tenantId}|${starter.clientIp}`, this.#publicStartsPerMinute, 'from this address');
    } else {
      if (definition.access?.apiClients === false) throw new KeywayError('JOURNEY_NOT_STARTABLE', `Journey ${journeyId} does not accept starts by API clients`);
      origin = await this.#checkOrigin(tenantId, definition.store, starter.origin, false);
    }

    // Variables: declared defaults, then the starter's values for `input` variables only.
    const vars: Record<string, unknown> = {};
    for (const [name, declaration] of Object.entries(definition.variables ?? {})) {
      if (declaration.default !== undefined) vars[name] = structuredClone(declaration.default);
    }
    for (const [name, value] of Object.entries(input.variables ?? {})) {
      const declaration = definition.variables?.[name];
      if (!declaration?.input)
        throw new KeywayError('VALIDATION_FAILED', `variables.${name}: not an input variable of this journey`, {
          errors: [{ field: `/variables/${name}`, message: 'not an input variable of this journey' }],
        });
      vars[name] = value;
    }
    if (input.user !== undefined) {
      const user = await this.#loadUser(tenantId, definition.store, 'userId' in input.user ? { id: input.user.userId } : { externalId: input.user.externalId });
      vars.user = userVariable(definition.store, user);
    }

    const now = this.#clock.now();
    const expiresInSeconds = definition.expiresInSeconds ?? DEFAULT_EXPIRES_IN_SECONDS;
    const row: InstanceRow = {
      id: newTimeOrderedId(now),
      tenant_id: tenantId,
      journey_row_id: journey.journeyRowId,
      version_id: journey.versionId,
      session_hash: null,
      previous_session_hash: null,
      status: 'running',
      current_step: definition.start,
      presentation: null,
      vars: '{}',
      user_id: null,
      started_by: starter.kind === 'public' ? 'public' : starter.caller.clientId,
      origin: origin === '' ? null : origin,
      step_deadline: null,
      result_code: null,
      revision: 0,
      expires_at: now.getTime() + expiresInSeconds * 1000,
      created_at: now.getTime(),
      updated_at: now.getTime(),
    };
    vars._journey = { id: journeyId, version: Number(journey.version), instanceId: row.id, store: definition.store };
    row.vars = JSON.stringify(vars);

    // The row is stored by #persist, in the one commit that ends this request: until the answer
    // carries a session token no other request can reach the instance, so nothing is lost by not
    // inserting it first (and a start that dies mid-step leaves no orphan row).
    const run: Run = { tenantId, row, plan, vars, origin, locale, stepsRun: 0 };
    const stop = await this.#advance(run, definition.start);
    return this.#persist(run, stop, row.revision, null);
  }

  async submit(tenantId: string, sessionId: string, origin: string | undefined, input: SubmitInput, locale: string): Promise<StepResponse> {
    const { row, plan } = await this.#findBySession(tenantId, sessionId);
    const requestOrigin = await this.#checkOrigin(tenantId, plan.definition.store, origin, row.started_by === 'public');
    const interrupted = await this.#interrupted(tenantId, row, plan, sessionId, locale);
    if (interrupted) return interrupted;
    if (row.status !== 'waiting' || row.current_step === null)
      throw new KeywayError('JOURNEY_STEP_ALREADY_SUBMITTED', 'This step is being submitted by another request');
    if (input.journeyStepId !== undefined && input.journeyStepId !== row.current_step) {
      throw new KeywayError('JOURNEY_STEP_ALREADY_SUBMITTED', `The journey is at step ${row.current_step}, not ${input.journeyStepId}`);
    }
    const presentation = JSON.parse(row.presentation ?? '{"options":[]}') as Presentation;
    const now = this.#clock.now().getTime();
    const timedOut = row.step_deadline !== null && now > Number(row.step_deadline);
    if (!timedOut && !presentation.options.includes(input.clientResponseOptionId)) {
      throw new KeywayError('JOURNEY_OPTION_NOT_OFFERED', `clientResponseOptionId: step ${row.current_step} accepts ${JSON.stringify(presentation.options)}`, {
        errors: [{ field: '/clientResponseOptionId', message: `one of ${presentation.options.join(', ')}` }],
      });
    }

    // Claim the step: of two parallel submits, exactly one moves waiting → running.
    const claimed = await this.#db
      .updateTable('journey_instances')
      .set({ status: 'running', revision: Number(row.revision) + 1, updated_at: now })
      .where('id', '=', row.id)
      .where('revision', '=', row.revision)
      .where('status', '=', 'waiting')
      .executeTakeFirst();
    if (Number(claimed.numUpdatedRows) !== 1) throw new KeywayError('JOURNEY_STEP_ALREADY_SUBMITTED', 'This step was already submitted');
    const claimedRevision = Number(row.revision) + 1;

    const run: Run = {
      tenantId,
      row,
      plan,
      vars: JSON.parse(row.vars) as Record<string, unknown>,
      origin: requestOrigin || (row.origin ?? ''),
      locale,
      stepsRun: 0,
    };
    const stepId = row.current_step;
    const step = plan.steps.get(stepId)!;
    let stop: Stop;
    if (timedOut) {
      const next = step.definition.outcomes?.timeout;
      stop =
        next === undefined
          ? { kind: 'end', result: 'rejection', code: 'JOURNEY_STEP_TIMEOUT', stepId, message: `step ${stepId} timed out` }
          : await this.#advance(run, next);
    } else {
      let result: StepResult;
      let params: Record<string, unknown>;
      try {
        run.stepsRun += 1;
        params = this.#parameters(run, step);
        if (!step.type.submit) throw new StepFailure('JOURNEY_STEP_FAILED', `step type ${step.type.type} takes no submit`);
        result = await step.type.submit(this.#context(run, stepId), params, { clientResponseOptionId: input.clientResponseOptionId, data: input.data });
      } catch (error) {
        if (isClientError(error)) {
          // Bad input: nothing advanced; the step waits for a corrected submit under the same session.
          await this.#release(row, claimedRevision);
          throw error;
        }
        stop = this.#failure(stepId, error);
        return this.#persist(run, stop, claimedRevision, sessionId);
      }
      const after = await this.#afterResult(run, step, result, params);
      stop = after.kind === 'next' ? await this.#advance(run, after.next) : after;
    }
    return this.#persist(run, stop, claimedRevision, sessionId);
  }

  /** The current step again (e.g. after a page reload), without changing anything. */
  async current(tenantId: string, sessionId: string, origin: string | undefined, locale: string): Promise<StepResponse> {
    const { row, plan } = await this.#findBySession(tenantId, sessionId);
    // A read changes nothing (no CSRF risk) and browsers send no Origin on same-origin GETs: checked only when sent.
    await this.#checkOrigin(tenantId, plan.definition.store, origin, false);
    const interrupted = await this.#interrupted(tenantId, row, plan, sessionId, locale);
    if (interrupted) return interrupted;
    if (row.status !== 'waiting' || row.current_step === null)
      throw new KeywayError('JOURNEY_STEP_ALREADY_SUBMITTED', 'This step is being submitted by another request');
    const presentation = JSON.parse(row.presentation ?? '{}') as Presentation;
    const step = plan.steps.get(row.current_step)!;
    return {
      journeyStepId: row.current_step,
      stepType: step.type.type,
      data: presentation.data,
      clientResponseOptions: presentation.options,
      sessionId,
      expiresAt: new Date(Number(row.expires_at)).toISOString(),
      ...(row.step_deadline === null ? {} : { stepExpiresAt: new Date(Number(row.step_deadline)).toISOString() }),
    };
  }

  async #findBySession(tenantId: string, sessionId: string): Promise<{ row: InstanceRow; plan: CompiledJourney }> {
    const hash = sha256(sessionId);
    const row = await this.#db
      .selectFrom('journey_instances')
      .selectAll()
      .where('session_hash', '=', hash)
      .where('tenant_id', '=', tenantId)
      .executeTakeFirst();
    if (!row) {
      const stale = await this.#db
        .selectFrom('journey_instances')
        .select('id')
        .where('previous_session_hash', '=', hash)
        .where('tenant_id', '=', tenantId)
        .executeTakeFirst();
      if (stale)
        throw new KeywayError('JOURNEY_STEP_ALREADY_SUBMITTED', 'This session token was already used: continue with the sessionId of the latest answer');
      throw new KeywayError('JOURNEY_SESSION_NOT_FOUND', 'No such journey session');
    }
    if (this.#clock.now().getTime() >= Number(row.expires_at))
      throw new KeywayError('JOURNEY_SESSION_EXPIRED', 'The journey session has expired; start the journey again');
    return { row, plan: await this.#plan(row.version_id) };
  }

  /**
   * A step claimed long ago and never finished means the node running it died mid-step. What the
   * step had already done is unknown, so it is not run again (fail closed): the journey ends as
   * a rejection the client can see, and it starts over.
   */
  async #interrupted(tenantId: string, row: InstanceRow, plan: CompiledJourney, sessionId: string, locale: string): Promise<StepResponse | undefined> {
    if (row.status !== 'running' || this.#clock.now().getTime() - Number(row.updated_at) < INTERRUPTED_AFTER_MS) return undefined;
    const run: Run = { tenantId, row, plan, vars: JSON.parse(row.vars) as Record<string, unknown>, origin: row.origin ?? '', locale, stepsRun: 0 };
    return this.#persist(
      run,
      {
        kind: 'end',
        result: 'rejection',
        code: 'JOURNEY_INTERRUPTED',
        stepId: row.current_step ?? undefined,
        message: 'the server running this step stopped; start again',
      },
      Number(row.revision),
      sessionId,
    );
  }

  /** Gives a claimed step back (the submit was refused as bad input). */
  async #release(row: InstanceRow, claimedRevision: number): Promise<void> {
    await this.#db
      .updateTable('journey_instances')
      .set({ status: 'waiting', revision: claimedRevision + 1, updated_at: this.#clock.now().getTime() })
      .where('id', '=', row.id)
      .where('revision', '=', claimedRevision)
      .execute();
  }

  // ── running steps ──

  #context(run: Run, stepId: string): StepContext {
    const user = run.vars.user as { storeName?: string; userId?: string } | undefined;
    return {
      tenantId: run.tenantId,
      journeyId: (run.vars._journey as { id: string }).id,
      instanceId: run.row.id,
      stepId,
      services: this.#services(),
      clock: this.#clock,
      vars: structuredClone(run.vars),
      ...(user?.storeName && user.userId ? { user: { storeName: user.storeName, userId: user.userId } } : {}),
      origin: run.origin,
      locale: run.locale,
    };
  }

  /** Evaluates the step's `${…}` parameters against the variables and checks them against the type's schema. */
  #parameters(run: Run, step: CompiledStep): Record<string, unknown> {
    let params: unknown;
    try {
      params = evaluateValue(step.parameters, evaluationContext(run.vars));
    } catch (error) {
      if (error instanceof ExpressionBudgetError) throw new StepFailure('JOURNEY_STEP_LIMIT_EXCEEDED', `\${${error.expression}}: ${error.message}`);
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

  #failure(stepId: string, error: unknown): Stop {
    if (error instanceof StepFailure) return { kind: 'end', result: 'rejection', code: error.code, stepId, message: error.message };
    if (error instanceof KeywayError) return { kind: 'end', result: 'rejection', code: error.code, stepId, message: error.detail };
    // Unexpected errors are not described to the client; the stack goes to the log via the caller.
    process.emitWarning(`journey step ${stepId} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`, {
      code: 'KEYWAY_JOURNEY_STEP',
    });
    return { kind: 'end', result: 'rejection', code: 'JOURNEY_STEP_FAILED', stepId };
  }

  /** Runs steps from `stepId` until one presents to the client or the journey ends. */
  async #advance(run: Run, firstStepId: string): Promise<Stop> {
    let stepId = firstStepId;
    for (;;) {
      if (run.stepsRun >= this.#maxSteps) {
        return {
          kind: 'end',
          result: 'rejection',
          code: 'JOURNEY_STEP_LIMIT_EXCEEDED',
          stepId,
          message: `more than ${this.#maxSteps} steps ran in one request`,
        };
      }
      run.stepsRun += 1;
      const step = run.plan.steps.get(stepId)!;
      let result: StepResult;
      let params: Record<string, unknown>;
      try {
        params = this.#parameters(run, step);
        result = await step.type.run(this.#context(run, stepId), params);
      } catch (error) {
        return this.#failure(stepId, error);
      }
      const after = await this.#afterResult(run, step, result, params);
      if (after.kind !== 'next') return after;
      stepId = after.next;
    }
  }

  /** Applies a step's result: variables, then the next step (continue), a presentation or an end. */
  async #afterResult(run: Run, step: CompiledStep, result: StepResult, params: Record<string, unknown>): Promise<Stop | { kind: 'next'; next: string }> {
    const stepId = step.definition.id;
    try {
      await this.#applyUpdates(run, result.updates ?? []);
    } catch (error) {
      return this.#failure(stepId, error);
    }
    // The variables are bounded as they grow, after every step (not only when stored): with the step budget per
    // request and each expression's own bound, a definition that keeps enlarging them stops within a few steps.
    if (exceedsJsonBytes(run.vars, MAX_VARS_BYTES))
      return { kind: 'end', result: 'rejection', code: 'JOURNEY_STATE_TOO_LARGE', stepId, message: `the variables exceed ${MAX_VARS_BYTES} bytes` };
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
        if (!step.type.clientFacing)
          return this.#failure(stepId, new StepFailure('JOURNEY_STEP_FAILED', `${step.type.type} is not client-facing but presented`));
        // The step's own deadline reads the parameters it ran with.
        const timeout = step.definition.timeoutSeconds ?? step.type.timeoutSeconds?.(params);
        const deadline = timeout === undefined ? null : this.#clock.now().getTime() + timeout * 1000;
        return { kind: 'waiting', stepId, presentation: { data: result.data, options: result.options }, deadline };
      }
      case 'end':
        return result.result === 'success'
          ? { kind: 'end', result: 'success', stepId }
          : { kind: 'end', result: 'rejection', code: result.code ?? 'JOURNEY_REJECTED', stepId };
    }
  }

  async #applyUpdates(run: Run, updates: ContextUpdate[]): Promise<void> {
    for (const update of updates) {
      if (update.path.length === 0 || update.path.some((key) => FORBIDDEN_KEYS.has(String(key))))
        throw new StepFailure('JOURNEY_STEP_FAILED', `a step wrote to the invalid path ${JSON.stringify(update.path)}`);
      if (update.path[0] === '_journey') throw new StepFailure('JOURNEY_STEP_FAILED', '_journey is owned by the engine');
      if (IDENTITY_ROOTS.has(String(update.path[0]))) {
        // Who the journey is about and how they proved it come only from identifying steps, never
        // from a definition's or a client's choice of variable name.
        if (!isIdentityUpdate(update))
          throw new StepFailure('JOURNEY_STEP_FAILED', `${String(update.path[0])} is set only by steps that identify or authenticate the user`);
        if (update.path[0] === 'user') {
          run.vars.user = await this.#identify(run, update.value);
          (run.vars._journey as { userIdentified?: boolean }).userIdentified = run.vars.user !== null;
        } else {
          run.vars._authentication = structuredClone(update.value);
        }
        continue;
      }
      let target: Record<string | number, unknown> = run.vars;
      for (const key of update.path.slice(0, -1)) {
        const next = target[key];
        if (next === null || typeof next !== 'object') target[key] = {};
        target = target[key] as Record<string | number, unknown>;
      }
      target[update.path.at(-1)!] = update.value === undefined ? null : structuredClone(update.value);
    }
  }

  /** A step identified the journey's user: keep the facts expressions and the end step need. */
  async #identify(run: Run, value: unknown): Promise<unknown> {
    if (value === null) return null;
    const user = value as Partial<JourneyUser>;
    if (typeof user.userId !== 'string') throw new StepFailure('JOURNEY_STEP_FAILED', 'a step set user without a userId');
    const storeName = user.storeName ?? run.plan.definition.store;
    return userVariable(storeName, await this.#loadUser(run.tenantId, storeName, { id: user.userId }));
  }

  // ── answering ──

  /** Stores the outcome of this request (a start inserts the instance; later requests compare-and-set on the revision), and answers it. */
  async #persist(run: Run, stop: Stop, expectedRevision: number, usedSession: string | null): Promise<StepResponse> {
    const now = this.#clock.now();
    const token = randomBytes(32).toString('base64url');
    let response: StepResponse;
    const expiresAt = new Date(Number(run.row.expires_at)).toISOString();
    let end = stop;
    let successData: unknown;
    if (end.kind === 'end' && end.result === 'success') {
      try {
        successData = await this.#successData(run);
      } catch (error) {
        end = this.#failure(end.stepId ?? '', error);
      }
    }
    let varsJson = JSON.stringify(run.vars);
    let userId = (run.vars.user as { userId?: string } | null | undefined)?.userId ?? null;
    if (Buffer.byteLength(varsJson) > MAX_VARS_BYTES) {
      // The exact check on the stored text (the running check stopped the steps already if it saw the growth).
      if (!(end.kind === 'end' && end.code === 'JOURNEY_STATE_TOO_LARGE'))
        end = { kind: 'end', result: 'rejection', code: 'JOURNEY_STATE_TOO_LARGE', message: `the variables exceed ${MAX_VARS_BYTES} bytes` };
      varsJson = '{}';
      userId = null;
    }
    // At the end the session is spent: the answer names the one just used (or a fresh one after a
    // start), and any further submit with it is told "already submitted".
    const endSession = usedSession ?? token;
    const common = {
      vars: varsJson,
      user_id: userId,
      revision: expectedRevision + 1,
      updated_at: now.getTime(),
      previous_session_hash: usedSession === null ? null : sha256(usedSession),
    };
    let changes: Partial<InstanceRow>;
    if (end.kind === 'waiting') {
      const step = run.plan.steps.get(end.stepId)!;
      changes = {
        ...common,
        status: 'waiting',
        current_step: end.stepId,
        presentation: JSON.stringify(end.presentation),
        step_deadline: end.deadline,
        session_hash: sha256(token),
      };
      response = {
        journeyStepId: end.stepId,
        stepType: step.type.type,
        data: end.presentation.data ?? null,
        clientResponseOptions: end.presentation.options,
        sessionId: token,
        expiresAt,
        ...(end.deadline === null ? {} : { stepExpiresAt: new Date(end.deadline).toISOString() }),
      };
    } else if (end.result === 'success') {
      changes = {
        ...common,
        status: 'succeeded',
        current_step: null,
        presentation: null,
        step_deadline: null,
        session_hash: null,
        previous_session_hash: sha256(endSession),
        result_code: null,
      };
      response = { journeyStepId: 'success', data: successData, sessionId: endSession, expiresAt };
    } else {
      const code = end.code ?? 'JOURNEY_REJECTED';
      changes = {
        ...common,
        status: 'rejected',
        current_step: null,
        presentation: null,
        step_deadline: null,
        session_hash: null,
        previous_session_hash: sha256(endSession),
        result_code: code,
      };
      response = {
        journeyStepId: 'rejection',
        data: { code, ...(end.stepId ? { stepId: end.stepId } : {}), ...(end.message ? { detail: end.message } : {}) },
        sessionId: endSession,
        expiresAt,
      };
    }
    await this.#db.transaction().execute(async (trx) => {
      if (usedSession === null) {
        // A start: the instance is stored now (see start); no other request can know it yet.
        await trx
          .insertInto('journey_instances')
          .values({ ...run.row, ...changes })
          .execute();
      } else {
        const updated = await trx
          .updateTable('journey_instances')
          .set(changes)
          .where('id', '=', run.row.id)
          .where('revision', '=', expectedRevision)
          .executeTakeFirst();
        if (Number(updated.numUpdatedRows) !== 1) throw new KeywayError('JOURNEY_STEP_ALREADY_SUBMITTED', 'The journey was changed by another request');
      }
      // The end of a journey is a security event (a sign-in, a registration, or a refusal): it is audited with it.
      if (end.kind === 'end') {
        const journey = run.vars._journey as { id: string; version: number };
        const user = run.vars.user as { userId?: string } | null | undefined;
        await appendAuditEvent(
          trx,
          { tenantId: run.tenantId, actor: run.row.started_by === 'public' ? 'journey:public' : run.row.started_by },
          {
            action: end.result === 'success' ? 'journey.success' : 'journey.rejection',
            targetType: 'journey',
            targetId: journey.id,
            outcome: end.result === 'success' ? 'success' : 'failure',
            details: {
              instanceId: run.row.id,
              version: journey.version,
              ...(user?.userId ? { userId: user.userId } : {}),
              ...(end.result === 'rejection' ? { code: end.code ?? 'JOURNEY_REJECTED', stepId: end.stepId ?? null } : {}),
            },
          },
          now,
        );
      }
    });
    return response;
  }

  /**
   * The end of a successful journey. An ID token only for a user the journey authenticated (a
   * passkey ceremony of that very user), and the user record only for a user the journey itself
   * identified: a user merely named by the API client that started it is neither.
   */
  async #successData(run: Run): Promise<unknown> {
    const user = run.vars.user as { storeName: string; userId: string } | undefined | null;
    if (!user) throw new StepFailure('JOURNEY_NO_USER', 'the journey ended in success without identifying a user');
    const record = await this.#loadUser(run.tenantId, user.storeName, { id: user.userId });
    if (record.status === 'locked' || record.status === 'disabled') throw new KeywayError('USER_DISABLED', `the user is ${record.status}`);
    const auth = authenticationOf(run.vars, user.userId);
    const identified = (run.vars._journey as { userIdentified?: boolean }).userIdentified === true;
    if (!auth) return identified ? { user: { ...record, storeName: user.storeName } } : {};
    const services = this.#services();
    const audience = run.row.started_by === 'public' ? (run.row.origin ?? run.tenantId) : run.row.started_by;
    const idToken = await services.signingKeys.issueIdToken(run.tenantId, {
      sub: record.id,
      aud: audience,
      authTime: new Date(auth.authTime),
      amr: auth.amr,
      store: user.storeName,
      externalId: record.externalId,
      credentialId: auth.credentialId,
      attested: auth.attested,
      deviceBound: auth.deviceBound,
    });
    return { user: { ...record, storeName: user.storeName }, idToken, tokenType: 'id_token', issuer: services.signingKeys.issuer(run.tenantId) };
  }

  async #purgeNowAndThen(): Promise<void> {
    const nowMs = this.#clock.now().getTime();
    if (nowMs - this.#lastPurgeMs < PURGE_INTERVAL_MS) return;
    this.#lastPurgeMs = nowMs;
    await this.#db
      .deleteFrom('journey_instances')
      .where('expires_at', '<', nowMs - PURGE_AFTER_MS)
      .execute();
    // Add User's accounts whose journey never registered a passkey (the same purge as self-service's sign-ups).
    await purgeAbandonedAccounts(this.#db, new Date(nowMs));
  }
}

/** What `user` holds in the expression context. */
function userVariable(storeName: string, user: User): Record<string, unknown> {
  return {
    storeName,
    userId: user.id,
    externalId: user.externalId,
    ...(user.email === undefined ? {} : { email: user.email }),
    ...(user.firstName === undefined ? {} : { firstName: user.firstName }),
    ...(user.lastName === undefined ? {} : { lastName: user.lastName }),
    status: user.status,
  };
}
