import type { Static, TSchema } from '@sinclair/typebox';
import type { Clock } from '../shared/clock.ts';
import type { StepPort } from './step-port.ts';
import type { JourneyUserAct } from './journey-user-acts.ts';
import type { UserAct } from './user-acts.ts';

/**
 * The contract between the journey engine and every step type. One file per step type
 * under src/journeys/steps/<family>/<name>.ts exports a StepType; step-registry.ts lists them.
 *
 * Expressions are evaluated by the engine before `run`/`submit`: a parameter string that is exactly
 * `${…}` becomes the expression's typed value, a string that contains `${…}` becomes a string
 * template. Steps never evaluate expressions themselves. `parameterSchema` describes the parameters
 * AFTER evaluation; the definition validator accepts an expression string wherever a value is.
 */
export interface StepType<P = Record<string, unknown>> {
  /** Stable id used in definitions, e.g. 'trustx.addUser', 'mosaic.registerPasskeys', 'general.condition'. */
  type: string;
  /** Human name, e.g. 'Add User'. */
  title: string;
  family: StepFamily;
  /** JSON Schema (draft 2020-12 subset understood by Ajv) of the evaluated parameters; compiled once per step type. */
  parameterSchema: TSchema;
  /** Named outcomes a definition may wire to a next step, e.g. ['success', 'Failed to add the user']. */
  outcomes: readonly string[];
  /**
   * Outcomes that depend on the parameters (e.g. Mosaic custom branch ids), added to `outcomes`
   * when a definition is validated. Receives the parameters as written (expressions unevaluated).
   */
  outcomesFor?(parameters: Record<string, unknown>): readonly string[];
  /**
   * What the step does to users other than the journey's own (one the run created or authenticated, or the one its
   * starter named): a user its parameters name, or a user it creates; each act with the permissions the same act
   * needs through the API. Whoever publishes a definition must hold them (user-acts.ts). Receives the parameters as
   * written: a parameter given by an expression may name anyone. Absent: the step acts on no such user.
   */
  actsOnUsers?(parameters: Record<string, unknown>): readonly UserAct[];
  /**
   * What the step may do to the journey's own user (registers a passkey for them, starts a sign-in for them): when an
   * API client names that user at the start, the starter must hold the permissions the same act needs through the API
   * (journey-user-acts.ts), as the publisher does for `actsOnUsers`. Receives the parameters as written: a step whose
   * user parameter is given by an expression may fall back to the journey's user. Absent: the step does no such act.
   */
  actsOnJourneyUser?(parameters: Record<string, unknown>): readonly JourneyUserAct[];
  /**
   * The outcomes the step leaves by only after making the journey's user, whoever it was before, the user it created
   * or the user of the passkey ceremony it completed (whose start, if it was for the named user, is an act above): the
   * steps after them act on that user, not merely on the one the starter named. A step that may leave the named user
   * in place (e.g. an e-mail code to an address no user has) does not list the outcome.
   */
  identifiesUserOn?: readonly string[];
  /**
   * true: the step keeps the journey's user and passkey ceremony records under `_identityStore` (the TrustX steps).
   * No other step writes there: a record there poses as a ceremony the journey started, which the custom page bridge
   * runs (custom-page-v2.ts), so a step writing what a definition or a client chose must not reach it.
   */
  writesIdentityStore?: true;
  /** false: runs server-side and returns an outcome/end at once. true: presents to the client and waits for a submit. */
  clientFacing: boolean;
  /**
   * Optional per-step timeout for client-facing steps, in seconds, read from the evaluated
   * parameters (e.g. a `timeoutSeconds` parameter). A submit after it leads to the `timeout`
   * outcome, which must then be listed in `outcomes` and wired by the definition.
   */
  timeoutSeconds?(params: P): number | undefined;
  /** Server-side steps: do the work. Client-facing steps: called when entered, returns {kind: 'present'}. */
  run(ctx: StepContext, params: P): Promise<StepResult>;
  /** Client-facing steps only: handle the client's response to what `run` presented. */
  submit?(ctx: StepContext, params: P, input: ClientInput): Promise<StepResult>;
}

export type StepFamily = 'trustx' | 'mosaic' | 'general';

/** What the client sends on submit: which option it chose ('client_input' | 'cancel' | 'fail' | a custom branch id) and its data. */
export interface ClientInput {
  clientResponseOptionId: string;
  data: unknown;
}

export type StepResult =
  /** Leave the step by a named outcome (one of `outcomes`). */
  | { kind: 'outcome'; outcome: string; updates?: ContextUpdate[] }
  /** Show `data` to the client and wait for a submit choosing one of `options`. */
  | { kind: 'present'; data: unknown; options: string[]; updates?: ContextUpdate[] }
  /** End the journey. `code` is the problem code of a rejection. */
  | { kind: 'end'; result: 'success' | 'rejection'; code?: string; updates?: ContextUpdate[] }
  /** Run the published journey `journeyId` with these input variables; its end leads back here (see general.subJourney). */
  | { kind: 'subJourney'; journeyId: string; input: Record<string, unknown>; output: Record<string, string>; updates?: ContextUpdate[] };

/**
 * A write into the instance's variables, applied by the engine after the step returns, e.g.
 * path ['_identityStore','passkeys','registrations','passkeyReg1','currentPasskeyRegistrationRecord'].
 * Setting ['user'] to {storeName, userId} identifies the journey's user (used by the end step).
 */
export interface ContextUpdate {
  path: (string | number)[];
  value: unknown;
}

export interface JourneyUser {
  storeName: string;
  userId: string;
}

export interface StepContext {
  tenantId: string;
  journeyId: string;
  instanceId: string;
  stepId: string;
  /** The operations of the application a step may use. */
  port: StepPort;
  clock: Clock;
  /** The evaluation context: declared variables, form outputs by key, _identityStore…, loginData, user. */
  vars: Readonly<Record<string, unknown>>;
  /** The authenticated / identified user, if any (also readable as vars.user). */
  user?: JourneyUser;
  /** The browser origin of the runtime request (for WebAuthn ceremonies); '' when the API client started it without one. */
  origin: string;
  /** From Accept-Language, e.g. 'en'. */
  locale: string;
}

/**
 * Declares a step type: its parameters' JSON Schema is a TypeBox schema, and the parameter type `run` and `submit`
 * receive is derived from it (`Static`), so the two cannot drift apart. The registry holds step types untyped; the
 * engine validates evaluated parameters against `parameterSchema` before calling the step, which makes that sound.
 */
export function defineStepType<S extends TSchema>(step: Omit<StepType<Static<S>>, 'parameterSchema'> & { parameterSchema: S }): StepType {
  return step as unknown as StepType;
}
