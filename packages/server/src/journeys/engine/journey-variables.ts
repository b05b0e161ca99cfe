import type { User } from '../../identity/user-schemas.ts';
import type { JourneyAuthentication, JourneyOrganization } from '../journey-identity.ts';

/** `_journey`: which journey, version and instance this is. Owned by the engine; no step or definition writes it. */
export interface JourneyFacts {
  id: string;
  version: number;
  instanceId: string;
  store: string;
  /** Whether a step of the journey identified `user` (a user only named by the API client that started it is not). */
  userIdentified?: boolean;
  /** In a sub-journey: the published version it runs (the instance's own version otherwise). */
  versionId?: string;
  /** In a sub-journey: the journeys it was called from, outermost first, to return to when it ends. */
  frames?: JourneyFrame[];
}

/** A journey waiting for the sub-journey its step `stepId` called: its variables as they were, and where outputs go. */
export interface JourneyFrame {
  versionId: string;
  stepId: string;
  /** Parent variable → the sub-journey's variable (a dotted path) whose value it receives on success. */
  output: Record<string, string>;
  vars: Record<string, unknown>;
}

/** `user`: what expressions and the end of the journey know of its user. */
export interface UserVariable {
  storeName: string;
  userId: string;
  externalId: string;
  email?: string;
  firstName?: string;
  lastName?: string;
  status: User['status'];
}

export function userVariable(storeName: string, user: User): UserVariable {
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

/**
 * An instance's variables: the expression context (the definition's variables, step outputs) plus the roots the
 * engine owns, read and written here with their types: `_journey`, `user` and `_authentication`.
 */
export class JourneyVariables {
  /** The whole context, as expressions and steps read it (plain JSON). */
  readonly values: Record<string, unknown>;

  constructor(values: Record<string, unknown>) {
    this.values = values;
  }

  static parse(json: string): JourneyVariables {
    return new JourneyVariables(JSON.parse(json) as Record<string, unknown>);
  }

  get journey(): JourneyFacts {
    return this.values._journey as JourneyFacts;
  }

  set journey(facts: JourneyFacts) {
    this.values._journey = facts;
  }

  get user(): UserVariable | null {
    return (this.values.user as UserVariable | null | undefined) ?? null;
  }

  /** The user named by the API client at the start: known to the steps, but not identified by the journey. */
  nameUser(user: UserVariable): void {
    this.values.user = user;
  }

  /** A step identified the journey's user (or cleared it). */
  identifyUser(user: UserVariable | null): void {
    this.values.user = user;
    this.journey.userIdentified = user !== null;
  }

  get userIdentified(): boolean {
    return this.journey.userIdentified === true;
  }

  setAuthentication(authentication: JourneyAuthentication): void {
    this.values._authentication = structuredClone(authentication);
  }

  /** The authentication of the journey's current user, if the journey verified one (a stale one of another user does not count). */
  authenticationOf(userId: string): JourneyAuthentication | undefined {
    const authentication = this.values._authentication as JourneyAuthentication | null | undefined;
    return authentication && authentication.userId === userId ? authentication : undefined;
  }

  /** The organization context (start parameter or a step's choice), if any. */
  get organization(): JourneyOrganization | undefined {
    return (this.values.organization as JourneyOrganization | null | undefined) ?? undefined;
  }

  setOrganization(organization: JourneyOrganization): void {
    this.values.organization = structuredClone(organization);
  }

  serialize(): string {
    return JSON.stringify(this.values);
  }
}
