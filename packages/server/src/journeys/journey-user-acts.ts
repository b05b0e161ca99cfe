import { KeywayError, type FieldProblem } from '../errors/keyway-error.ts';
import { isAllowed, permissionString } from '../tenancy/permissions.ts';
import type { Caller } from '../tenancy/target-rules.ts';
import type { JourneyDefinition } from './definition.ts';
import { hasExpression } from './expressions.ts';
import type { StepTypeLookup } from './step-registry.ts';
import { subJourneyCalls, throughSubJourneys } from './sub-journey-calls.ts';
import { CEREMONY_PERMISSIONS } from './user-acts.ts';

/**
 * What a journey does to its own user, for an API client that names that user at the start. The publisher answers for
 * users a definition names (user-acts.ts), but not for the journey's own user, since who that is depends on the run:
 * naming them at the start only needs the permission to read them. Yet a step that registers a passkey for the
 * journey's user then registers it onto the named user, for whoever holds the session: an account takeover from a read
 * permission. So the starter who names the user must hold what the same act needs through the passkey ceremony API
 * (CEREMONY_PERMISSIONS): by external id both the `…/ext` start's and the by-id completion's, as the API asks for each.
 *
 * Only steps the run may reach while the journey's user is still the named one count: a step that created a user or
 * completed a passkey ceremony (`identifiesUserOn`) makes the user after it one the run created or proved, so a journey
 * that authenticates its user before registering needs, for the registration, nothing more (the authentication, if
 * for the named user, counts itself). Sub-journeys run with the caller's user, so their acts count as the caller's.
 */

/** One act of a step on the journey's user: which passkey ceremony it starts for them. */
export interface JourneyUserAct {
  ceremony: keyof typeof CEREMONY_PERMISSIONS;
}

/** A version's own acts on its user, and the sub-journeys it calls, in the steps reached before anyone is identified. */
export interface OwnJourneyUserActs {
  acts: { stepId: string; act: JourneyUserAct }[];
  subJourneys: { stepId: string; journeyId: string }[];
}

/** One act found, with the step of the started journey it belongs to (for a sub-journey's act, the calling step). */
export interface FoundJourneyUserAct {
  stepId: string;
  act: JourneyUserAct;
  /** Set when the act is a sub-journey's: `journeyId/stepId` of the step that does it. */
  via?: string;
}

/**
 * Whether a step whose parameters name its user, or else use the journey's, may use the journey's: unless one of them
 * is a constant that is not blank, each may be empty in the run (an expression may evaluate to '') and the step then
 * falls back to the journey's user.
 */
export function mayUseJourneyUser(...named: unknown[]): boolean {
  return !named.some((value) => typeof value === 'string' && !hasExpression(value) && value.trim() !== '');
}

/**
 * The acts of the steps reachable from the start without leaving a step by an outcome that identifies the user, and
 * the sub-journeys called there. Computed once per published version (versions are immutable: compiled-journey.ts).
 */
export function journeyUserActsOf(definition: JourneyDefinition, stepTypes: StepTypeLookup): OwnJourneyUserActs {
  const byId = new Map(definition.steps.map((step) => [step.id, step]));
  const reached = new Set<string>();
  const pending = [definition.start];
  while (pending.length > 0) {
    const step = byId.get(pending.pop()!);
    if (step === undefined || reached.has(step.id)) continue;
    reached.add(step.id);
    const identifying = stepTypes.find(step.type)?.identifiesUserOn ?? [];
    for (const [outcome, next] of Object.entries(step.outcomes ?? {})) if (!identifying.includes(outcome)) pending.push(next);
  }
  const own: OwnJourneyUserActs = { acts: [], subJourneys: [] };
  // In definition order, so a refusal lists the acts as the definition does.
  for (const step of definition.steps) {
    if (!reached.has(step.id)) continue;
    for (const act of stepTypes.find(step.type)?.actsOnJourneyUser?.(step.parameters ?? {}) ?? []) own.acts.push({ stepId: step.id, act });
  }
  for (const { stepId, journeyId } of subJourneyCalls(definition)) {
    if (reached.has(stepId) && typeof journeyId === 'string') own.subJourneys.push({ stepId, journeyId });
  }
  return own;
}

/**
 * The acts of a started version, and of the sub-journeys it calls before identifying anyone (their latest published
 * versions, as the runner enters them, followed through their own sub-journeys). `latest` answers a journey's latest
 * published version's own acts, undefined when it has none (the run would fail there).
 */
export async function journeyUserActsThrough(
  own: OwnJourneyUserActs,
  latest: (journeyId: string) => Promise<OwnJourneyUserActs | undefined>,
): Promise<FoundJourneyUserAct[]> {
  const inherited = await throughSubJourneys(own.subJourneys, async (journeyId) => {
    const called = await latest(journeyId);
    return called && { own: called.acts.map(({ stepId, act }) => ({ stepId, item: act })), calls: called.subJourneys.map((call) => call.journeyId) };
  });
  return [...own.acts.map(({ stepId, act }) => ({ stepId, act })), ...inherited.map(({ call, via, item }) => ({ stepId: call.stepId, act: item, via }))];
}

const VERBS: Record<JourneyUserAct['ceremony'], string> = {
  registration: 'registers a passkey for',
  authentication: 'starts a passkey sign-in for',
};

/**
 * Refuses (403 JOURNEY_STARTER_NOT_PERMITTED) an API client that names the user at the start of a journey acting on
 * that user without the permissions the same acts need through the ceremony API; one entry of `errors` per missing
 * permission of each act. Checked before the user is read and before anything is written.
 */
export function assertMayStartFor(
  caller: Pick<Caller, 'tenantId' | 'permissions'>,
  journeyId: string,
  user: { userId: string } | { externalId: string },
  acts: readonly FoundJourneyUserAct[],
): void {
  const { tenantId, permissions } = caller;
  const by = 'userId' in user ? 'id' : 'externalId';
  const errors: FieldProblem[] = [];
  for (const { stepId, act, via } of acts) {
    for (const permission of CEREMONY_PERMISSIONS[act.ceremony][by]) {
      if (isAllowed(permissions, tenantId, permission)) continue;
      const where = via === undefined ? `step ${stepId}` : `step ${stepId} (sub-journey step ${via})`;
      const message = `${where} ${VERBS[act.ceremony]} the journey’s user, named by ${by === 'id' ? 'userId' : 'externalId'}, which needs ${permissionString(tenantId, permission)}`;
      errors.push({ field: '/user', message });
    }
  }
  if (errors.length === 0) return;
  throw new KeywayError(
    'JOURNEY_STARTER_NOT_PERMITTED',
    `Starting journey ${journeyId} for a named user needs ${errors.length} permission(s) the starter does not hold; the first: ${errors[0]!.message}`,
    { errors },
  );
}
