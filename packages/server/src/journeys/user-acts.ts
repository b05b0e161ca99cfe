import { KeywayError, type FieldProblem } from '../errors/keyway-error.ts';
import type { Permission } from '../tenancy/permission-catalogue.ts';
import { isAllowed, permissionString } from '../tenancy/permissions.ts';
import type { Caller } from '../tenancy/target-rules.ts';
import { escapePointer } from '../shared/json-pointer.ts';
import type { JourneyDefinition } from './definition.ts';
import { hasExpression } from './expressions.ts';
import type { StepTypeLookup } from './step-registry.ts';
import { subJourneyCalls, throughSubJourneys, type SubJourneyCall } from './sub-journey-calls.ts';

/**
 * What a journey does to users other than its own: a user a step's parameters name (rather than the user the run
 * created, authenticated, or was started for by a starter allowed to name them and to act on them, for which see
 * journey-user-acts.ts), and users it creates. Anyone who runs a journey runs these acts, so whoever publishes it
 * answers for them: publishing needs the permissions the same acts need through the API. Otherwise `Journeys:*` alone
 * would be enough to register a passkey onto any user (and sign in as them), which the ceremony API refuses without
 * `IdentityStore:createPasskeyRegistrationForUser`.
 */

/** One act of a step, with the permissions the same act needs through the API. */
export interface UserAct {
  /** The parameter that names the user (or asks for the user to be created): the refusal points at it. */
  parameter: string;
  /** What the step does, for the refusal, e.g. `registers a passkey for the user userKey names`. */
  act: string;
  permissions: readonly Permission[];
}

/**
 * The permissions of the passkey ceremony API (ceremony-routes.ts) for the whole ceremony, start and completion: by
 * external id the ceremony starts by `…/ext` and completes by id, and the API asks for each route's permission. A user
 * key names a user that the step looks up, and the ceremony runs for that user's id.
 */
export const CEREMONY_PERMISSIONS = {
  registration: {
    id: ['IdentityStore:createPasskeyRegistrationForUser'],
    externalId: ['IdentityStore:createPasskeyRegistrationForUserByExtId', 'IdentityStore:createPasskeyRegistrationForUser'],
  },
  authentication: {
    id: ['IdentityStore:createPasskeyAuthenticationForUser'],
    externalId: ['IdentityStore:createPasskeyAuthenticationForUserByExtId', 'IdentityStore:createPasskeyAuthenticationForUser'],
  },
} as const satisfies Record<string, Record<'id' | 'externalId', readonly Permission[]>>;

/** Adding a user, as POST /api/identity-store/stores/{storeName}/users asks. */
export const CREATE_USER_PERMISSION: Permission = 'IdentityStore:createUser';

/**
 * Whether a parameter, as written, is given: an expression always is (its value is unknown until the run, so it may
 * name anyone); a constant is unless empty, blank or false (the steps treat those as not given).
 */
export function isGiven(value: unknown): boolean {
  if (value === undefined || value === null || value === false) return false;
  if (typeof value === 'string') return hasExpression(value) || value.trim() !== '';
  return true;
}

/** A constant string parameter's value, or undefined when absent; `expression` when an expression gives it. */
export function constantOf(value: unknown): string | undefined | 'expression' {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') return String(value);
  return hasExpression(value) ? 'expression' : value.replaceAll('$${', '${');
}

/**
 * A ceremony for a user named by `parameter`: by id (or user key), by external id, or `either` when an expression
 * decides which (then it needs what both need).
 */
export function ceremonyFor(kind: keyof typeof CEREMONY_PERMISSIONS, parameter: string, by: 'id' | 'externalId' | 'either'): UserAct {
  const what = kind === 'registration' ? 'registers a passkey for' : 'starts a passkey sign-in for';
  const needs = CEREMONY_PERMISSIONS[kind];
  const permissions = by === 'either' ? [...new Set<Permission>([...needs.id, ...needs.externalId])] : needs[by];
  return { parameter, act: `${what} the user ${parameter} names`, permissions };
}

/** One act found in a definition: the step it belongs to (for a sub-journey, the calling step) and where. */
export interface FoundUserAct extends UserAct {
  stepId: string;
  /** JSON pointer of the parameter in the definition that was published. */
  pointer: string;
  /** Set when the act is a sub-journey's: `journeyId/stepId` of the step that does it. */
  via?: string;
}

/**
 * Every act of the definition's steps, and of the sub-journeys it calls (their latest published versions, followed
 * through): a sub-journey runs with the inputs the caller gives it, so a caller that picks the user a sub-journey's step
 * names does that step's act itself. `latest` reads a journey's latest published definition.
 */
export async function userActsOf(
  definition: JourneyDefinition,
  stepTypes: StepTypeLookup,
  latest: (journeyId: string) => Promise<JourneyDefinition | undefined>,
): Promise<FoundUserAct[]> {
  // The acts of one definition's own steps.
  const own = (of: JourneyDefinition) =>
    of.steps.flatMap((step, index) => (stepTypes.find(step.type)?.actsOnUsers?.(step.parameters ?? {}) ?? []).map((act) => ({ step, index, act })));
  const found: FoundUserAct[] = own(definition).map(({ step, index, act }) => ({
    ...act,
    stepId: step.id,
    pointer: `/steps/${index}/parameters/${escapePointer(act.parameter)}`,
  }));
  const calls = subJourneyCalls(definition).filter((call): call is SubJourneyCall & { journeyId: string } => typeof call.journeyId === 'string');
  const inherited = await throughSubJourneys(calls, async (journeyId) => {
    const called = await latest(journeyId);
    if (!called) return undefined;
    const ids = subJourneyCalls(called).flatMap((call) => (typeof call.journeyId === 'string' ? [call.journeyId] : []));
    return { own: own(called).map(({ step, act }) => ({ stepId: step.id, item: act })), calls: ids };
  });
  for (const { call, via, item } of inherited) found.push({ ...item, stepId: call.stepId, pointer: `/steps/${call.index}/parameters/journeyId`, via });
  return found;
}

/**
 * Who answers for a published definition: the principal publishing it (an API client, or a console operator with
 * their role's permissions), or the server's own command line (`keyway journeys install-templates`, the quickstart),
 * which whoever runs the server operates, and which answers for everything.
 */
export type Publisher = { kind: 'principal'; caller: Pick<Caller, 'tenantId' | 'permissions'> } | { kind: 'command-line' };

export const COMMAND_LINE: Publisher = { kind: 'command-line' };

export function publisherOf(caller: Pick<Caller, 'tenantId' | 'permissions'>): Publisher {
  return { kind: 'principal', caller };
}

/**
 * Refuses (403 JOURNEY_PUBLISHER_NOT_PERMITTED) when the publisher lacks a permission one of the acts needs; each
 * missing permission of each act is one entry of `errors`, pointing at the parameter. `what` names the definition in
 * the detail (e.g. a template). Checked before anything is written.
 */
export function assertMayPublishActs(publisher: Publisher, acts: readonly FoundUserAct[], what = 'the journey'): void {
  if (publisher.kind === 'command-line') return;
  const { tenantId, permissions } = publisher.caller;
  const errors: FieldProblem[] = [];
  for (const act of acts) {
    for (const permission of act.permissions) {
      if (isAllowed(permissions, tenantId, permission)) continue;
      const where = act.via === undefined ? `step ${act.stepId}` : `step ${act.stepId} (sub-journey step ${act.via})`;
      errors.push({ field: act.pointer, message: `${where} ${act.act}, which needs ${permissionString(tenantId, permission)}` });
    }
  }
  if (errors.length === 0) return;
  throw new KeywayError(
    'JOURNEY_PUBLISHER_NOT_PERMITTED',
    `Publishing ${what} needs ${errors.length} permission(s) the publisher does not hold; the first: ${errors[0]!.message}`,
    { errors },
  );
}
