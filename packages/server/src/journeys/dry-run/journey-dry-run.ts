import { randomUUID } from 'node:crypto';
import type { OrganizationService } from '../../organizations/organization-service.ts';
import type {
  AuthenticationResponseJSON,
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON,
  RegistrationResponseJSON,
} from '@simplewebauthn/server';
import { KeywayError } from '../../errors/keyway-error.ts';
import type { PolicyService } from '../../passkeys/policy-service.ts';
import type { RelyingPartyService } from '../../passkeys/relying-party-service.ts';
import { SoftAuthenticator } from '../../passkeys/soft-authenticator.ts';
import type { Clock } from '../../shared/clock.ts';
import { compileJourney, type CompiledJourney } from '../compiled-journey.ts';
import type { JourneyDefinition } from '../definition.ts';
import type { JourneyPlans } from '../engine/journey-plans.ts';
import { JourneyVariables } from '../engine/journey-variables.ts';
import { StepFailure } from '../engine/step-failure.ts';
import { StepRunner, type Run, type Stop } from '../engine/step-runner.ts';
import type { FormService } from '../forms/form-service.ts';
import type { StepTypeLookup } from '../step-registry.ts';
import type { ClientInput } from '../step-type.ts';
import { SandboxCeremonies } from './sandbox-ceremonies.ts';
import { SandboxIdentity, type IdentityReads } from './sandbox-identity.ts';

/** How the software authenticator behaves at a passkey step. */
export const PASSKEY_BEHAVIOURS = ['succeeds', 'userCancels', 'timesOut', 'failsUserVerification', 'unknownCredential'] as const;
export type PasskeyBehaviour = (typeof PASSKEY_BEHAVIOURS)[number];

/** A step's answer: a behaviour, or the form data to submit; a list answers the step's visits in turn (the last repeats). */
export type ScriptAnswer = PasskeyBehaviour | Record<string, unknown>;
export type DryRunScript = Record<string, ScriptAnswer | ScriptAnswer[]>;

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

/** Bounds of one dry-run: steps (all visits, across the whole run) and wall-clock time. */
export const DRY_RUN_MAX_STEPS = 50;
export const DRY_RUN_MAX_MS = 10_000;
/** Bound on the trace's JSON (each entry carries all variables). */
export const DRY_RUN_MAX_TRACE_BYTES = 2 * 1024 * 1024;

/** Passkey steps the software authenticator answers, and which ceremony each runs. */
const PASSKEY_STEPS: Record<string, { ceremony: 'registration' | 'authentication'; answer: (formData: unknown, credential: unknown) => unknown }> = {
  'trustx.passkeyRegistrationForm': { ceremony: 'registration', answer: (formData, credential) => ({ formData, browserResponse: credential }) },
  'trustx.passkeyAuthenticationForm': { ceremony: 'authentication', answer: (formData, credential) => ({ formData, browserResponse: credential }) },
  'mosaic.registerPasskeys': { ceremony: 'registration', answer: (_formData, credential) => ({ webauthn_encoded_result: credential }) },
};

/** The id the draft runs under: sub-journeys that return to it find it here, never in the database. */
const DRAFT_VERSION_ID = 'dry-run:draft';

export interface JourneyDryRunDeps {
  clock: Clock;
  stepTypes: StepTypeLookup;
  identity: IdentityReads;
  relyingParties: Pick<RelyingPartyService, 'findForStore'>;
  policies: Pick<PolicyService, 'findRegistrationPolicyForStore' | 'findAuthenticationPolicyForStore'>;
  forms: Pick<FormService, 'findPublished'>;
  /** Read only: the organizations a (real) user of the store belongs to, for Select Organization. */
  organizations: Pick<OrganizationService, 'membershipsOf' | 'admitPasskey'>;
  plans: Pick<JourneyPlans, 'plan' | 'findPublished'>;
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
      const passkey = PASSKEY_STEPS[step.type.type];
      for (const answer of Array.isArray(given) ? given : [given]) {
        const field = `/script/${stepId}`;
        if (!step.type.clientFacing) errors.push({ field, message: `${step.type.type} runs on the server and takes no answer` });
        else if (typeof answer !== 'string') continue;
        else if (!passkey && (answer === 'failsUserVerification' || answer === 'unknownCredential'))
          errors.push({ field, message: `${answer} applies to passkey steps only` });
        else if (passkey?.ceremony === 'registration' && answer === 'unknownCredential')
          errors.push({ field, message: 'unknownCredential applies to passkey sign-in steps only' });
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
  ): Promise<{ result: DryRunResult; trace: DryRunTraceEntry[] }> {
    const { clock } = this.#deps;
    const startedMs = performance.now();
    const authenticator = new SoftAuthenticator({ backupEligible: true, backupState: true });
    const identity = new SandboxIdentity(this.#deps.identity, clock);
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
    const runner = new StepRunner({
      clock,
      port: {
        ceremonies,
        identity,
        forms: this.#deps.forms,
        pages: {
          // A grant is a database row the hosted page is served by: a dry-run serves no page.
          grant: () => Promise.reject(new StepFailure('JOURNEY_STEP_FAILED', 'custom pages are not served in a dry-run')),
          revoke: () => Promise.resolve(),
        },
        // A dry-run sends no mail: a code would reach a real inbox.
        email: { sendOneTimeCode: () => Promise.reject(new StepFailure('JOURNEY_STEP_FAILED', 'e-mail codes are not sent in a dry-run')) },
        organizations: this.#deps.organizations,
        // Device keys live in the operator's browser, not the run's: binding and proving are refused in a dry-run.
        devices: {
          verifyBindingProof: () => Promise.reject(new StepFailure('JOURNEY_STEP_FAILED', 'devices are not bound in a dry-run')),
          bindIn: () => Promise.reject(new StepFailure('JOURNEY_STEP_FAILED', 'devices are not bound in a dry-run')),
          status: () => Promise.reject(new StepFailure('JOURNEY_STEP_FAILED', 'devices are not recognised in a dry-run')),
        },
      },
      identity,
      plans,
      maxStepsPerRequest: DRY_RUN_MAX_STEPS,
    });

    const definition = plan.definition;
    const values: Record<string, unknown> = {};
    for (const [name, declaration] of Object.entries(definition.variables ?? {})) {
      if (declaration.default !== undefined) values[name] = structuredClone(declaration.default);
    }
    const instanceId = `dry-run-${randomUUID()}`;
    const vars = new JourneyVariables(values);
    vars.journey = { id: journeyId, version: 0, instanceId, store: definition.store };

    const trace: DryRunTraceEntry[] = [];
    let traceBytes = 0;
    let presentedBySubmit: string | undefined;
    const run: Run = {
      tenantId,
      instanceId,
      rootVersionId: DRAFT_VERSION_ID,
      plan,
      vars,
      origin: '',
      locale,
      stepsRun: 0,
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
      if (performance.now() - startedMs > DRY_RUN_MAX_MS) return stopped('DRY_RUN_TIME_LIMIT', `the dry-run ran longer than ${DRY_RUN_MAX_MS} ms`);
      if (traceBytes > DRY_RUN_MAX_TRACE_BYTES) return stopped('DRY_RUN_TRACE_TOO_LARGE', `the trace grew beyond ${DRY_RUN_MAX_TRACE_BYTES} bytes`);
      if (run.stepsRun >= DRY_RUN_MAX_STEPS) return stopped('JOURNEY_STEP_LIMIT_EXCEEDED', `more than ${DRY_RUN_MAX_STEPS} steps ran`);
      const step = run.plan.steps.get(stepId)!;
      const answer = await this.#answer(ceremonies, authenticator, step.type.type, stop.presentation.data, answerFor(stepId) ?? defaultAnswer(step.type.type));
      if (answer.kind === 'timeout') {
        trace.push({ stepId, type: step.type.type, outcome: 'timeout', variables: structuredClone(run.vars.values) });
        stop = await runner.timeout(run, stepId);
        continue;
      }
      presentedBySubmit = undefined;
      try {
        stop = await runner.submit(run, stepId, answer.input);
      } catch (error) {
        // Input the step refuses (a real client would be told and could correct it): the script's input is wrong.
        if (error instanceof KeywayError) return stopped('DRY_RUN_INPUT_REFUSED', error.detail);
        throw error;
      }
      if (presentedBySubmit === stepId) return stopped('DRY_RUN_INPUT_REFUSED', `step ${stepId} refused the script's input and asks again`);
    }
  }

  /** What the client would send at a waiting step: the software authenticator's answer at a passkey step, form data elsewhere. */
  async #answer(
    ceremonies: SandboxCeremonies,
    authenticator: SoftAuthenticator,
    type: string,
    data: unknown,
    answer: ScriptAnswer,
  ): Promise<{ kind: 'timeout' } | { kind: 'submit'; input: ClientInput }> {
    if (answer === 'timesOut') return { kind: 'timeout' };
    if (answer === 'userCancels') return { kind: 'submit', input: { clientResponseOptionId: 'cancel', data: null } };
    const passkey = PASSKEY_STEPS[type];
    if (!passkey) return { kind: 'submit', input: { clientResponseOptionId: 'client_input', data: typeof answer === 'string' ? {} : answer } };
    const clientRequest = (data as { clientRequest?: unknown } | null)?.clientRequest as PublicKeyCredentialCreationOptionsJSON &
      PublicKeyCredentialRequestOptionsJSON;
    const origin = ceremonies.originOf(clientRequest.challenge) ?? '';
    const behaviour: PasskeyBehaviour = typeof answer === 'string' ? answer : 'succeeds';
    let credential: RegistrationResponseJSON | AuthenticationResponseJSON;
    try {
      credential =
        passkey.ceremony === 'registration'
          ? register(authenticator, clientRequest, origin, behaviour)
          : authenticate(authenticator, clientRequest, origin, behaviour);
    } catch {
      // The authenticator refused (no passkey to offer, one already registered): a browser reports NotAllowedError, which clients send as cancel.
      return { kind: 'submit', input: { clientResponseOptionId: 'cancel', data: null } };
    }
    return { kind: 'submit', input: { clientResponseOptionId: 'client_input', data: passkey.answer(typeof answer === 'string' ? {} : answer, credential) } };
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
  if (record.status === 'locked' || record.status === 'disabled')
    return { kind: 'end', result: 'rejection', code: 'USER_DISABLED', stepId: end.stepId, message: `the user is ${record.status}` };
  return end;
}

function defaultAnswer(type: string): ScriptAnswer {
  return PASSKEY_STEPS[type] ? 'succeeds' : {};
}

function register(
  authenticator: SoftAuthenticator,
  options: PublicKeyCredentialCreationOptionsJSON,
  origin: string,
  behaviour: PasskeyBehaviour,
): RegistrationResponseJSON {
  return authenticator.register(options, { origin }, behaviour === 'failsUserVerification' ? { userVerified: false } : {});
}

function authenticate(
  authenticator: SoftAuthenticator,
  options: PublicKeyCredentialRequestOptionsJSON,
  origin: string,
  behaviour: PasskeyBehaviour,
): AuthenticationResponseJSON {
  if (behaviour === 'unknownCredential') {
    // A passkey the server never registered: another authenticator's, for the same relying party.
    const stranger = new SoftAuthenticator();
    const rpId = options.rpId ?? new URL(origin).hostname;
    stranger.register(
      {
        rp: { id: rpId, name: rpId },
        user: { id: 'c3RyYW5nZXI', name: 'stranger', displayName: 'stranger' },
        challenge: options.challenge,
        pubKeyCredParams: [{ type: 'public-key', alg: -7 }],
      },
      { origin },
    );
    return stranger.authenticate({ ...options, allowCredentials: [] }, { origin });
  }
  return authenticator.authenticate(options, { origin }, behaviour === 'failsUserVerification' ? { userVerified: false } : {});
}
