import { randomUUID } from 'node:crypto';
import { isSignInBarred } from '../../identity/user-record.ts';
import { KeywayError } from '../../errors/keyway-error.ts';
import type { EmailService } from '../../email/email-service.ts';
import type { User } from '../../identity/user-schemas.ts';
import type { OrganizationService } from '../../organizations/organization-service.ts';
import type { PolicyService } from '../../passkeys/policy-service.ts';
import type { RelyingPartyService } from '../../passkeys/relying-party-service.ts';
import { SoftAuthenticator } from '../../passkeys/soft-authenticator.ts';
import type { Clock } from '../../shared/clock.ts';
import { compileJourney, type CompiledJourney } from '../compiled-journey.ts';
import type { JourneyDefinition } from '../definition.ts';
import type { JourneyPlans } from '../engine/journey-plans.ts';
import { JourneyVariables, userVariable } from '../engine/journey-variables.ts';
import { StepRunner, type Run, type Stop } from '../engine/step-runner.ts';
import type { FormService } from '../forms/form-service.ts';
import type { PageService } from '../pages/page-service.ts';
import type { StepTypeLookup } from '../step-registry.ts';
import { SandboxCeremonies } from './sandbox-ceremonies.ts';
import { behavioursFor, objectAnswerProblem, SandboxClient, type ScriptAnswer } from './sandbox-client.ts';
import { SandboxIdentity, type DryRunReader, type IdentityReads } from './sandbox-identity.ts';
import { SandboxServices } from './sandbox-services.ts';

export type DryRunScript = Record<string, ScriptAnswer | ScriptAnswer[]>;

/** Whom the run is about from its start, as a journey an API client starts for a named user (read only). */
export type StartUserRef = { userKey: string } | { userId: string } | { externalId: string };

export interface DryRunTraceEntry {
  stepId: string;
  type: string;
  outcome: string;
  variables: Record<string, unknown>;
}

export interface DryRunResult {
  /** success / rejection: the journey ended so; stopped: the dry-run's own bounds or script ended it first. */
  status: 'success' | 'rejection' | 'stopped';
  code?: string;
  stepId?: string;
  detail?: string;
}

/**
 * Bounds of one dry-run: steps (all visits, across the whole run) and time (by the injected clock), both checked before
 * every step, server-side ones too. Its expressions share one budget for the whole run (EXPRESSION_BUDGET_MS, as one
 * request of a real instance has), which ends it as a real instance ends: JOURNEY_EXPRESSION_BUDGET_EXCEEDED.
 */
export const DRY_RUN_MAX_STEPS = 50;
export const DRY_RUN_MAX_MS = 10_000;
/** Bound on the trace's JSON (each entry carries all variables). */
export const DRY_RUN_MAX_TRACE_BYTES = 2 * 1024 * 1024;

/** The id the draft runs under: sub-journeys that return to it find it here, never in the database. */
const DRAFT_VERSION_ID = 'dry-run:draft';

export interface JourneyDryRunDeps {
  clock: Clock;
  stepTypes: StepTypeLookup;
  identity: IdentityReads;
  relyingParties: Pick<RelyingPartyService, 'findForStore'>;
  policies: Pick<PolicyService, 'findRegistrationPolicyForStore' | 'findAuthenticationPolicyForStore'>;
  forms: Pick<FormService, 'findPublished'>;
  /** Read only: a Custom Page V2 must name a published page (none is served). */
  pages: Pick<PageService, 'findPublished'>;
  /** Read only: the organizations a (real) user of the store belongs to, for Select Organization. */
  organizations: Pick<OrganizationService, 'membershipsOf' | 'admitPasskey'>;
  plans: Pick<JourneyPlans, 'plan' | 'findPublished'>;
  /** Whether mail can go out: a run's e-mail step fails without SMTP as a real one does. */
  email: Pick<EmailService, 'configured'>;
}

/**
 * "Try it": runs a journey definition through the real step runner and the real step types, with a sandboxed step
 * port. Why nothing leaks: steps reach the application only through the StepPort (step-port.ts), and the port given
 * here holds no handle that writes: users, ceremony sessions and passkeys live in the sandbox objects of this one call,
 * forms and published sub-journeys are only read, custom-page grants are refused. The runner itself stores nothing
 * (the engine does, and it is not used): no instance, no audit event, no session, no token. That holds the same on
 * SQLite and PostgreSQL because no statement but a SELECT is ever issued.
 */
export class JourneyDryRun {
  readonly #deps: JourneyDryRunDeps;

  constructor(deps: JourneyDryRunDeps) {
    this.#deps = deps;
  }

  /** Refuses a script that names a step the definition lacks, or gives a step an answer it cannot take. */
  checkScript(plan: CompiledJourney, script: DryRunScript): void {
    const unknown = Object.keys(script).filter((stepId) => !plan.steps.has(stepId));
    if (unknown.length > 0)
      throw new KeywayError('JOURNEY_DRY_RUN_UNKNOWN_STEP', `script names step(s) the journey lacks: ${unknown.join(', ')}`, {
        errors: unknown.map((stepId) => ({ field: `/script/${stepId}`, message: 'no step with this id' })),
      });
    const errors: { field: string; message: string }[] = [];
    for (const [stepId, given] of Object.entries(script)) {
      const step = plan.steps.get(stepId)!;
      const field = `/script/${stepId}`;
      if (!step.type.clientFacing) {
        errors.push({ field, message: `${step.type.type} runs on the server and takes no answer` });
        continue;
      }
      const fitting = behavioursFor(step.type.type);
      for (const answer of Array.isArray(given) ? given : [given]) {
        const problem =
          typeof answer === 'string'
            ? fitting.includes(answer)
              ? undefined
              : `${answer} does not apply to ${step.type.type} (it takes ${fitting.join(', ')}, or input)`
            : objectAnswerProblem(step.type.type, answer);
        if (problem) errors.push({ field, message: problem });
      }
    }
    if (errors.length > 0) throw new KeywayError('JOURNEY_DRY_RUN_SCRIPT_INVALID', errors[0]!.message, { errors });
  }

  compile(definition: JourneyDefinition): CompiledJourney {
    return compileJourney(definition, this.#deps.stepTypes);
  }

  async run(
    tenantId: string,
    journeyId: string,
    plan: CompiledJourney,
    script: DryRunScript,
    locale: string,
    reader: DryRunReader,
    startUser?: StartUserRef,
  ): Promise<{ result: DryRunResult; trace: DryRunTraceEntry[] }> {
    const { clock } = this.#deps;
    const startedMs = clock.now().getTime();
    const authenticator = new SoftAuthenticator({ backupEligible: true, backupState: true });
    // Real users are seen only as far as the caller may read them (sandbox-identity.ts): the trace shows them whole.
    const identity = new SandboxIdentity(this.#deps.identity, clock, reader);
    const ceremonies = new SandboxCeremonies({
      clock,
      identity,
      stores: this.#deps.identity,
      relyingParties: this.#deps.relyingParties,
      policies: this.#deps.policies,
      authenticator,
    });
    const plans: JourneyDryRunDeps['plans'] = {
      plan: (versionId) => (versionId === DRAFT_VERSION_ID ? Promise.resolve(plan) : this.#deps.plans.plan(versionId)),
      findPublished: (t, id) => this.#deps.plans.findPublished(t, id),
    };
    const services = new SandboxServices({ clock, pages: this.#deps.pages, emailConfigured: this.#deps.email.configured });
    const definition = plan.definition;
    // The start user is read, never changed; the run's own copy of it is what steps see.
    const user = startUser === undefined ? undefined : await this.#startUser(tenantId, definition.store, startUser);
    // The caller may read the user it runs as (the route checked it), however it named them.
    if (user) identity.reveal(user.id);
    const client = new SandboxClient({
      ceremonies,
      services,
      authenticator,
      startUser: user && { tenantId, storeName: definition.store, userId: user.id },
    });
    const runner = new StepRunner({
      clock,
      port: {
        ceremonies,
        identity,
        forms: this.#deps.forms,
        // Pages, mail and devices: kept in the run (sandbox-services.ts); no grant, no outbox row, no device key is written.
        pages: services.pages(),
        email: services.email(),
        organizations: this.#deps.organizations,
        devices: services.devices(),
      },
      identity,
      plans,
      maxStepsPerRequest: DRY_RUN_MAX_STEPS,
    });

    const values: Record<string, unknown> = {};
    for (const [name, declaration] of Object.entries(definition.variables ?? {})) {
      if (declaration.default !== undefined) values[name] = structuredClone(declaration.default);
    }
    const instanceId = `dry-run-${randomUUID()}`;
    const vars = new JourneyVariables(values);
    vars.journey = { id: journeyId, version: 0, instanceId, store: definition.store };
    if (user) vars.nameUser(userVariable(definition.store, user));

    const trace: DryRunTraceEntry[] = [];
    let traceBytes = 0;
    let presentedBySubmit: string | undefined;
    /** Why the run's own bounds stopped it (checked before every step, inside the runner and between answers). */
    let stoppedBy: { code: string; message: string } | undefined;
    const bounds = (): { code: string; message: string } | undefined => {
      if (clock.now().getTime() - startedMs > DRY_RUN_MAX_MS)
        return { code: 'DRY_RUN_TIME_LIMIT', message: `the dry-run ran longer than ${DRY_RUN_MAX_MS} ms` };
      if (traceBytes > DRY_RUN_MAX_TRACE_BYTES) return { code: 'DRY_RUN_TRACE_TOO_LARGE', message: `the trace grew beyond ${DRY_RUN_MAX_TRACE_BYTES} bytes` };
      return undefined;
    };
    const run: Run = {
      tenantId,
      instanceId,
      rootVersionId: DRAFT_VERSION_ID,
      plan,
      vars,
      origin: '',
      locale,
      stepsRun: 0,
      expressionTime: runner.expressionBudget(),
      checkpoint: () => (stoppedBy ??= bounds()),
      observe: (event) => {
        if (event.kind === 'present') {
          presentedBySubmit ??= event.stepId;
          return;
        }
        const entry = { stepId: event.stepId, type: event.type, outcome: event.outcome, variables: event.variables };
        traceBytes += Buffer.byteLength(JSON.stringify(entry));
        trace.push(entry);
      },
    };
    const visits = new Map<string, number>();
    const answerFor = (stepId: string): ScriptAnswer | undefined => {
      const given = script[stepId];
      const visit = visits.get(stepId) ?? 0;
      visits.set(stepId, visit + 1);
      if (!Array.isArray(given)) return given;
      return given[Math.min(visit, given.length - 1)];
    };

    let stop: Stop = await runner.advance(run, definition.start);
    for (;;) {
      if (stop.kind === 'end' && stoppedBy !== undefined) {
        // Stopped by its own bounds inside the runner (a chain of server-side steps), not ended by the journey.
        return { result: { status: 'stopped', code: stoppedBy.code, ...(stop.stepId ? { stepId: stop.stepId } : {}), detail: stoppedBy.message }, trace };
      }
      if (stop.kind === 'end') {
        const last = trace.at(-1);
        // A step that failed (threw) left no event of its own: its end is its entry.
        if (stop.stepId !== undefined && last?.stepId !== stop.stepId) {
          const type = run.plan.steps.get(stop.stepId)?.type.type ?? '';
          trace.push({ stepId: stop.stepId, type, outcome: 'failed', variables: structuredClone(run.vars.values) });
        }
        if (stop.result === 'success') stop = await completion(identity, tenantId, run, stop);
        const result: DryRunResult =
          stop.result === 'success'
            ? { status: 'success', ...(stop.stepId ? { stepId: stop.stepId } : {}) }
            : {
                status: 'rejection',
                code: stop.code ?? 'JOURNEY_REJECTED',
                ...(stop.stepId ? { stepId: stop.stepId } : {}),
                ...(stop.message ? { detail: stop.message } : {}),
              };
        return { result, trace };
      }
      const stepId = stop.stepId;
      const stopped = (code: string, detail: string) => ({ result: { status: 'stopped' as const, code, stepId, detail }, trace });
      stoppedBy ??= bounds();
      if (stoppedBy) return stopped(stoppedBy.code, stoppedBy.message);
      if (run.stepsRun >= DRY_RUN_MAX_STEPS) return stopped('JOURNEY_STEP_LIMIT_EXCEEDED', `more than ${DRY_RUN_MAX_STEPS} steps ran`);
      const step = run.plan.steps.get(stepId)!;
      const answer = await client.answer(step.type.type, stop.presentation.data, answerFor(stepId) ?? 'succeeds');
      if (answer.kind === 'stop') return stopped(answer.code, answer.detail);
      if (answer.kind === 'timeout') {
        trace.push({ stepId, type: step.type.type, outcome: 'timeout', variables: structuredClone(run.vars.values) });
        stop = await runner.timeout(run, stepId);
        continue;
      }
      presentedBySubmit = undefined;
      const traced = trace.length;
      try {
        stop = await runner.submit(run, stepId, answer.input);
      } catch (error) {
        // Input the step refuses (a real client would be told and could correct it): the script's input is wrong.
        if (error instanceof KeywayError) return stopped('DRY_RUN_INPUT_REFUSED', error.detail);
        throw error;
      }
      // Asked again with no step left (a wrong e-mail code, a refused choice): a list goes on to its next answer; one
      // answer would only repeat. (Back at the step by way of other steps, e.g. a retry branch, is a new visit.)
      const given = script[stepId];
      const answersLeft = Array.isArray(given) && (visits.get(stepId) ?? 0) < given.length;
      if (presentedBySubmit === stepId && trace.length === traced && !answersLeft)
        return stopped('DRY_RUN_INPUT_REFUSED', `step ${stepId} refused the script's input and asks again`);
    }
  }

  /** The user named to start the run as: a real user of the journey's store, read only (USER_NOT_FOUND otherwise). */
  async #startUser(tenantId: string, storeName: string, ref: StartUserRef): Promise<User> {
    if ('userId' in ref) return this.#deps.identity.getUser(tenantId, storeName, { id: ref.userId });
    if ('externalId' in ref) return this.#deps.identity.getUser(tenantId, storeName, { externalId: ref.externalId });
    const found = (await this.#deps.identity.listUsers(tenantId, storeName, { userKey: ref.userKey, limit: 1 })).items[0];
    if (!found) throw new KeywayError('USER_NOT_FOUND', `No user ${ref.userKey} in store ${storeName}`);
    return found;
  }
}

/** The checks of JourneyCompletion.successData (a success needs a user who may sign in), without issuing a token. */
async function completion(identity: SandboxIdentity, tenantId: string, run: Run, end: Extract<Stop, { kind: 'end' }>): Promise<Extract<Stop, { kind: 'end' }>> {
  const user = run.vars.user;
  if (!user)
    return {
      kind: 'end',
      result: 'rejection',
      code: 'JOURNEY_NO_USER',
      stepId: end.stepId,
      message: 'the journey ended in success without identifying a user',
    };
  const record = await identity.getUser(tenantId, user.storeName, { id: user.userId });
  if (isSignInBarred(record.status))
    return { kind: 'end', result: 'rejection', code: 'USER_DISABLED', stepId: end.stepId, message: `the user is ${record.status}` };
  return end;
}
