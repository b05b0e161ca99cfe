import { createHash } from 'node:crypto';
import { KeywayError } from '../../errors/keyway-error.ts';
import type { IdentityService } from '../../identity/identity-service.ts';
import type { OrganizationService } from '../../organizations/organization-service.ts';
import type { Clock } from '../../shared/clock.ts';
import { newTimeOrderedId } from '../../shared/time-ordered-id.ts';
import type { CompiledJourney, CompiledJourneyCache } from '../compiled-journey.ts';
import type { JourneyPlans } from './journey-plans.ts';
import { DEFAULT_EXPIRES_IN_SECONDS } from '../definition.ts';
import { matchesType } from '../definition-validation.ts';
import { escapePointer } from '../../shared/json-pointer.ts';
import type { ClientInput } from '../step-type.ts';
import type { InstanceChanges, JourneyInstance, JourneyInstanceStore } from './instance-store.ts';
import type { JourneyAccess, JourneyStarter } from './journey-access.ts';
import type { JourneyCompletion } from './journey-completion.ts';
import { JourneyVariables, userVariable } from './journey-variables.ts';
import { admitsBrowser } from './browser-binding.ts';
import { failure, MAX_VARS_BYTES, type Run, type Stop, type StepRunner } from './step-runner.ts';
import { randomBytes } from '../../shared/random-bytes.ts';

/** A step claimed longer ago than this without finishing was on a node that died. */
const INTERRUPTED_AFTER_MS = 2 * 60 * 1000;

export interface StartInput {
  user?: { userId: string } | { externalId: string } | undefined;
  variables?: Record<string, unknown> | undefined;
  /** The organization the journey signs in to (an id in the journey's store). */
  organization?: string | undefined;
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
  clock: Clock;
  store: JourneyInstanceStore;
  access: JourneyAccess;
  runner: StepRunner;
  completion: JourneyCompletion;
  identity: Pick<IdentityService, 'getUser'>;
  organizations: Pick<OrganizationService, 'get'>;
  plans: JourneyPlans;
}

const sha256 = (token: string) => createHash('sha256').update(token).digest('base64url');

/**
 * The journey engine: the runtime protocol (start, submit, current) over its parts — access decides who may run a
 * journey, the step runner runs steps, the store keeps each instance, completion ends it — so any node continues
 * an instance another began.
 *
 * Concurrency: every change to an instance is a compare-and-set on its `revision`. A submit first claims the waiting
 * step (waiting → running, revision + 1); of two parallel submits exactly one claim succeeds, the other is answered
 * 409 JOURNEY_STEP_ALREADY_SUBMITTED without running anything. Each answer carries a new session token, so a
 * repeated (stale) submit is refused too.
 */
export class JourneyEngine {
  readonly #clock: Clock;
  readonly #store: JourneyInstanceStore;
  readonly #access: JourneyAccess;
  readonly #runner: StepRunner;
  readonly #completion: JourneyCompletion;
  readonly #identity: JourneyEngineDeps['identity'];
  readonly #organizations: JourneyEngineDeps['organizations'];
  readonly #plans: JourneyPlans;
  readonly cache: CompiledJourneyCache;

  constructor(deps: JourneyEngineDeps) {
    this.#clock = deps.clock;
    this.#store = deps.store;
    this.#access = deps.access;
    this.#runner = deps.runner;
    this.#completion = deps.completion;
    this.#identity = deps.identity;
    this.#organizations = deps.organizations;
    this.#plans = deps.plans;
    this.cache = deps.plans.cache;
  }

  #plan(versionId: string): Promise<CompiledJourney> {
    return this.#plans.plan(versionId);
  }

  /** The journey the instance is at: its own, or the sub-journey it is running (the innermost). */
  #activeVersion(instance: JourneyInstance): string {
    return JourneyVariables.parse(instance.varsJson).journey?.versionId ?? instance.versionId;
  }

  /**
   * The id of the instance a session token currently reaches (undefined for an unknown or spent one): for a server
   * that starts a journey on a browser's behalf and must later recognise that very instance, whatever tokens follow.
   */
  async instanceIdOf(tenantId: string, sessionId: string): Promise<string | undefined> {
    return (await this.#store.findBySession(tenantId, sha256(sessionId)))?.id;
  }

  async start(tenantId: string, journeyId: string, starter: JourneyStarter, input: StartInput, locale: string): Promise<StepResponse> {
    this.#access.checkNamedUser(starter, input.user);
    const journey = await this.#plans.findPublished(tenantId, journeyId);
    if (journey === undefined || journey === 'unpublished') {
      // A browser is not told whether an unpublished journey exists.
      if (journey === 'unpublished' && starter.kind === 'api') throw new KeywayError('JOURNEY_NOT_PUBLISHED', `Journey ${journeyId} has no published version`);
      throw new KeywayError('JOURNEY_NOT_FOUND', `No journey ${journeyId}`);
    }
    const plan = await this.#plan(journey.versionId);
    const definition = plan.definition;
    const origin = await this.#access.admitStart(tenantId, journeyId, definition, starter, input.user !== undefined);
    // Only a named start asks (a public start cannot name the user: admitStart refused it).
    if (input.user !== undefined) this.#access.checkActsOnNamedUser(starter, journeyId, input.user, await this.#plans.actsOnJourneyUser(tenantId, plan));

    // Variables: declared defaults, then the starter's values for `input` variables only, each of its declared type
    // (as a default must be): expressions and steps may rely on the declaration.
    const vars = new JourneyVariables({});
    for (const [name, declaration] of Object.entries(definition.variables ?? {})) {
      if (declaration.default !== undefined) vars.values[name] = structuredClone(declaration.default);
    }
    const refused: { name: string; message: string }[] = [];
    for (const [name, value] of Object.entries(input.variables ?? {})) {
      const declaration = definition.variables?.[name];
      if (!declaration?.input) refused.push({ name, message: 'not an input variable of this journey' });
      else if (!matchesType(value, declaration.type ?? 'any')) refused.push({ name, message: `must be of type ${declaration.type}` });
      else vars.values[name] = value;
    }
    if (refused.length > 0)
      throw new KeywayError('VALIDATION_FAILED', `variables.${refused[0]!.name}: ${refused[0]!.message}`, {
        errors: refused.map(({ name, message }) => ({ field: `/variables/${escapePointer(name)}`, message })),
      });
    if (input.user !== undefined) {
      const ref = 'userId' in input.user ? { id: input.user.userId } : { externalId: input.user.externalId };
      vars.nameUser(userVariable(definition.store, await this.#identity.getUser(tenantId, definition.store, ref)));
    }
    if (input.organization !== undefined) {
      // Only an organization of the journey's own store; membership and policy are checked when the journey ends.
      const organization = await this.#organizations.get(tenantId, definition.store, input.organization);
      vars.setOrganization({ id: organization.id, name: organization.name });
    }

    const now = this.#clock.now();
    const expiresInSeconds = definition.expiresInSeconds ?? DEFAULT_EXPIRES_IN_SECONDS;
    const instance: JourneyInstance = {
      id: newTimeOrderedId(now),
      tenantId,
      journeyRowId: journey.journeyRowId,
      versionId: journey.versionId,
      status: 'running',
      currentStep: definition.start,
      presentation: null,
      sessionHash: null,
      previousSessionHash: null,
      resultCode: null,
      varsJson: '{}',
      startedBy: starter.kind === 'public' ? 'public' : starter.caller.clientId,
      origin: origin === '' ? null : origin,
      browserBinding: (starter.kind === 'public' && starter.browserBinding) || null,
      stepDeadline: null,
      revision: 0,
      expiresAt: now.getTime() + expiresInSeconds * 1000,
      updatedAt: now.getTime(),
    };
    vars.journey = { id: journeyId, version: journey.version, instanceId: instance.id, store: definition.store };

    // The instance is stored by #persist, in the one commit that ends this request: until the answer carries a
    // session token no other request can reach it, so nothing is lost by not inserting it first (and a start that
    // dies mid-step leaves no orphan row).
    const run: Run = {
      tenantId,
      instanceId: instance.id,
      rootVersionId: instance.versionId,
      plan,
      vars,
      origin,
      locale,
      stepsRun: 0,
      expressionTime: this.#runner.expressionBudget(),
    };
    const stop = await this.#runner.advance(run, definition.start);
    return this.#persist(run, instance, stop, { kind: 'start', createdAt: now.getTime() });
  }

  /** `browserSecret`: the request's journey browser cookie (browser-binding.ts), for an instance bound to one browser. */
  async submit(
    tenantId: string,
    sessionId: string,
    origin: string | undefined,
    input: SubmitInput,
    locale: string,
    browserSecret?: string,
  ): Promise<StepResponse> {
    const { instance, plan } = await this.#findBySession(tenantId, sessionId, browserSecret);
    const requestOrigin = await this.#access.checkOrigin(tenantId, plan.definition.store, origin, instance.startedBy === 'public');
    const interrupted = await this.#interrupted(instance, plan, sessionId, locale);
    if (interrupted) return interrupted;
    // A timer ended the journey while the client was on the step: its answer is the end.
    if (instance.status === 'succeeded' || instance.status === 'rejected') return this.#deliverEnd(instance, sessionId);
    if (instance.status !== 'waiting' || instance.currentStep === null)
      throw new KeywayError('JOURNEY_STEP_ALREADY_SUBMITTED', 'This step is being submitted by another request');
    if (input.journeyStepId !== undefined && input.journeyStepId !== instance.currentStep) {
      throw new KeywayError('JOURNEY_STEP_ALREADY_SUBMITTED', `The journey is at step ${instance.currentStep}, not ${input.journeyStepId}`);
    }
    // A timer moved the journey on without the client: an answer that does not name its step may be meant for the old one.
    if (input.journeyStepId === undefined && instance.presentation?.afterTimeout === true) {
      throw new KeywayError(
        'JOURNEY_STEP_ALREADY_SUBMITTED',
        `The step timed out and the journey moved on to step ${instance.currentStep}: read it, then answer naming it`,
      );
    }
    const options = instance.presentation?.options ?? [];
    const now = this.#clock.now().getTime();
    const timedOut = instance.stepDeadline !== null && now > instance.stepDeadline;
    if (!timedOut && !options.includes(input.clientResponseOptionId)) {
      throw new KeywayError('JOURNEY_OPTION_NOT_OFFERED', `clientResponseOptionId: step ${instance.currentStep} accepts ${JSON.stringify(options)}`, {
        errors: [{ field: '/clientResponseOptionId', message: `one of ${options.join(', ')}` }],
      });
    }

    // Claim the step: of two parallel submits, exactly one moves waiting → running.
    if (!(await this.#store.claim(instance, now))) throw new KeywayError('JOURNEY_STEP_ALREADY_SUBMITTED', 'This step was already submitted');
    const claimedRevision = instance.revision + 1;

    const run: Run = {
      tenantId,
      instanceId: instance.id,
      rootVersionId: instance.versionId,
      plan,
      vars: JourneyVariables.parse(instance.varsJson),
      origin: requestOrigin || (instance.origin ?? ''),
      locale,
      stepsRun: 0,
      expressionTime: this.#runner.expressionBudget(),
    };
    const stepId = instance.currentStep;
    let stop: Stop;
    if (timedOut) {
      stop = await this.#runner.timeout(run, stepId);
    } else {
      try {
        stop = await this.#runner.submit(run, stepId, { clientResponseOptionId: input.clientResponseOptionId, data: input.data });
      } catch (error) {
        // Bad input: nothing advanced; the step waits for a corrected submit under the same session.
        await this.#store.release(instance.id, claimedRevision, this.#clock.now().getTime());
        throw error;
      }
    }
    return this.#persist(run, instance, stop, { kind: 'continue', expectedRevision: claimedRevision, usedSession: sessionId });
  }

  /** The current step again (e.g. after a page reload), without changing anything. */
  async current(tenantId: string, sessionId: string, origin: string | undefined, locale: string, browserSecret?: string): Promise<StepResponse> {
    const { instance, plan } = await this.#findBySession(tenantId, sessionId, browserSecret);
    // A read changes nothing (no CSRF risk) and browsers send no Origin on same-origin GETs: checked only when sent.
    await this.#access.checkOrigin(tenantId, plan.definition.store, origin, false);
    const interrupted = await this.#interrupted(instance, plan, sessionId, locale);
    if (interrupted) return interrupted;
    if (instance.status === 'succeeded' || instance.status === 'rejected') return this.#deliverEnd(instance, sessionId);
    if (instance.status !== 'waiting' || instance.currentStep === null)
      throw new KeywayError('JOURNEY_STEP_ALREADY_SUBMITTED', 'This step is being submitted by another request');
    const step = plan.steps.get(instance.currentStep)!;
    return {
      journeyStepId: instance.currentStep,
      stepType: step.type.type,
      data: instance.presentation?.data,
      clientResponseOptions: instance.presentation?.options ?? [],
      sessionId,
      expiresAt: new Date(instance.expiresAt).toISOString(),
      ...(instance.stepDeadline === null ? {} : { stepExpiresAt: new Date(instance.stepDeadline).toISOString() }),
    };
  }

  async #findBySession(tenantId: string, sessionId: string, browserSecret: string | undefined): Promise<{ instance: JourneyInstance; plan: CompiledJourney }> {
    const hash = sha256(sessionId);
    const instance = await this.#store.findBySession(tenantId, hash);
    // An instance bound to another browser is, for this request, a session that does not exist (browser-binding.ts).
    if (instance && !admitsBrowser(instance.browserBinding, browserSecret)) throw new KeywayError('JOURNEY_SESSION_NOT_FOUND', 'No such journey session');
    if (!instance) {
      if (await this.#store.isSpentSession(tenantId, hash))
        throw new KeywayError('JOURNEY_STEP_ALREADY_SUBMITTED', 'This session token was already used: continue with the sessionId of the latest answer');
      throw new KeywayError('JOURNEY_SESSION_NOT_FOUND', 'No such journey session');
    }
    if (this.#clock.now().getTime() >= instance.expiresAt)
      throw new KeywayError('JOURNEY_SESSION_EXPIRED', 'The journey session has expired; start the journey again');
    return { instance, plan: await this.#plan(this.#activeVersion(instance)) };
  }

  /**
   * A step claimed long ago and never finished means the node running it died mid-step. What the step had already
   * done is unknown, so it is not run again (fail closed): the journey ends as a rejection the client can see, and
   * it starts over.
   */
  async #interrupted(instance: JourneyInstance, plan: CompiledJourney, sessionId: string, locale: string): Promise<StepResponse | undefined> {
    if (instance.status !== 'running' || this.#clock.now().getTime() - instance.updatedAt < INTERRUPTED_AFTER_MS) return undefined;
    const run: Run = {
      tenantId: instance.tenantId,
      instanceId: instance.id,
      rootVersionId: instance.versionId,
      plan,
      vars: JourneyVariables.parse(instance.varsJson),
      origin: instance.origin ?? '',
      locale,
      stepsRun: 0,
      expressionTime: this.#runner.expressionBudget(),
    };
    const stop: Stop = {
      kind: 'end',
      result: 'rejection',
      code: 'JOURNEY_INTERRUPTED',
      stepId: instance.currentStep ?? undefined,
      message: 'the server running this step stopped; start again',
    };
    return this.#persist(run, instance, stop, { kind: 'continue', expectedRevision: instance.revision, usedSession: sessionId });
  }

  /** Stores the outcome of this request (a start inserts the instance; later requests compare-and-set on the revision), and answers it. */
  async #persist(
    run: Run,
    instance: JourneyInstance,
    stop: Stop,
    how:
      { kind: 'start'; createdAt: number } | { kind: 'continue'; expectedRevision: number; usedSession: string } | { kind: 'timer'; expectedRevision: number },
  ): Promise<StepResponse> {
    const now = this.#clock.now();
    const token = randomBytes(32).toString('base64url');
    const usedSession = how.kind === 'continue' ? how.usedSession : null;
    // A timer has no client to hand a new session token to: the client's token stays, and its next read shows where the journey went.
    const timer = how.kind === 'timer';
    const expectedRevision = how.kind === 'start' ? instance.revision : how.expectedRevision;
    const expiresAt = new Date(instance.expiresAt).toISOString();
    let end = stop;
    let successData: unknown;
    if (end.kind === 'end' && end.result === 'success') {
      try {
        successData = await this.#completion.successData(run.tenantId, instance, run.vars);
      } catch (error) {
        end = failure(end.stepId ?? '', error);
      }
    }
    let varsJson = run.vars.serialize();
    let userId = run.vars.user?.userId ?? null;
    if (Buffer.byteLength(varsJson) > MAX_VARS_BYTES) {
      // The exact check on the stored text (the running check stopped the steps already if it saw the growth).
      if (!(end.kind === 'end' && end.code === 'JOURNEY_STATE_TOO_LARGE'))
        end = { kind: 'end', result: 'rejection', code: 'JOURNEY_STATE_TOO_LARGE', message: `the variables exceed ${MAX_VARS_BYTES} bytes` };
      varsJson = '{}';
      userId = null;
    }
    // At the end the session is spent: the answer names the one just used (or a fresh one after a start), and any
    // further submit with it is told "already submitted".
    const endSession = usedSession ?? token;
    const common = {
      varsJson,
      userId,
      revision: expectedRevision + 1,
      updatedAt: now.getTime(),
      previousSessionHash: timer ? instance.previousSessionHash : usedSession === null ? null : sha256(usedSession),
    };
    let changes: InstanceChanges;
    let response: StepResponse;
    if (end.kind === 'waiting') {
      const step = run.plan.steps.get(end.stepId)!;
      changes = {
        ...common,
        status: 'waiting',
        currentStep: end.stepId,
        presentation: { ...end.presentation, locale: run.locale, ...(timer ? { afterTimeout: true } : {}) },
        stepDeadline: end.deadline,
        resultCode: null,
        sessionHash: timer ? instance.sessionHash : sha256(token),
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
    } else {
      const code = end.result === 'success' ? null : (end.code ?? 'JOURNEY_REJECTED');
      const rejection = { code, ...(end.stepId ? { stepId: end.stepId } : {}), ...(end.message ? { detail: end.message } : {}) };
      changes = {
        ...common,
        status: code === null ? 'succeeded' : 'rejected',
        currentStep: null,
        // An end a timer reached waits for the client under its session: a rejection's data is kept to show it (a
        // success's token is issued only when delivered).
        presentation: timer && code !== null ? { data: rejection, options: [] } : null,
        stepDeadline: null,
        sessionHash: timer ? instance.sessionHash : null,
        previousSessionHash: timer ? instance.previousSessionHash : sha256(endSession),
        resultCode: code,
      };
      response =
        code === null
          ? { journeyStepId: 'success', data: successData, sessionId: endSession, expiresAt }
          : { journeyStepId: 'rejection', data: rejection, sessionId: endSession, expiresAt };
    }
    const audit =
      end.kind === 'end'
        ? this.#completion.audit(
            run.tenantId,
            instance,
            run.vars,
            end.result === 'success' ? { result: 'success' } : { result: 'rejection', code: end.code ?? 'JOURNEY_REJECTED', stepId: end.stepId },
            now,
          )
        : undefined;
    if (how.kind === 'start') {
      // A start: the instance is stored now (see start); no other request can know it yet.
      await this.#store.insert(instance, how.createdAt, changes, audit);
    } else if (!(await this.#store.update(instance.id, expectedRevision, changes, audit))) {
      throw new KeywayError('JOURNEY_STEP_ALREADY_SUBMITTED', 'The journey was changed by another request');
    }
    return response;
  }

  /**
   * Fires the timeout of a waiting step whose deadline passed, without a client request: claims the step (of several
   * nodes, exactly one claim succeeds), runs its `timeout` branch and stores where it stopped under the client's
   * unchanged session. Answers whether this call fired it.
   */
  async fireTimeout(due: JourneyInstance): Promise<boolean> {
    const now = this.#clock.now().getTime();
    if (due.status !== 'waiting' || due.currentStep === null || due.stepDeadline === null || now <= due.stepDeadline || now >= due.expiresAt) return false;
    const plan = await this.#plan(this.#activeVersion(due));
    if (!(await this.#store.claim(due, now))) return false;
    const run: Run = {
      tenantId: due.tenantId,
      instanceId: due.id,
      rootVersionId: due.versionId,
      plan,
      vars: JourneyVariables.parse(due.varsJson),
      origin: due.origin ?? '',
      locale: due.presentation?.locale ?? 'en',
      stepsRun: 0,
      expressionTime: this.#runner.expressionBudget(),
    };
    const stop = await this.#runner.timeout(run, due.currentStep);
    await this.#persist(run, due, stop, { kind: 'timer', expectedRevision: due.revision + 1 });
    return true;
  }

  /** The end a timer reached, delivered to the client that still holds the session (which it spends). */
  async #deliverEnd(instance: JourneyInstance, sessionId: string): Promise<StepResponse> {
    if (!(await this.#store.spendSession(instance.id, instance.revision, this.#clock.now().getTime())))
      throw new KeywayError('JOURNEY_STEP_ALREADY_SUBMITTED', 'The end of this journey was already delivered');
    const expiresAt = new Date(instance.expiresAt).toISOString();
    if (instance.status === 'rejected') {
      const data = instance.presentation?.data ?? { code: instance.resultCode ?? 'JOURNEY_REJECTED' };
      return { journeyStepId: 'rejection', data, sessionId, expiresAt };
    }
    const data = await this.#completion.successData(instance.tenantId, instance, JourneyVariables.parse(instance.varsJson));
    return { journeyStepId: 'success', data, sessionId, expiresAt };
  }
}
