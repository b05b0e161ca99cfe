import type { ContextUpdate, JourneyUser } from './step-type.ts';

/**
 * Who a journey is about, and whether it proved it. Only the engine and the updates made here may
 * write `user` and `_authentication`: a definition (Set Variables, a step's output variable) or a
 * client's form data can name any path, so a plain update to these roots is refused by the engine.
 * The success answer reads them: an ID token only for a user the journey authenticated, a user
 * record only for a user the journey itself identified.
 */
export const IDENTITY_ROOTS: ReadonlySet<string> = new Set(['user', '_authentication', 'organization']);

/**
 * How the journey's user proved themselves, bound to that user: RFC 8176 `amr` and, for a passkey ceremony, the
 * passkey's facts (absent for an authentication without one, e.g. an e-mail one-time code, amr `otp`).
 */
export interface JourneyAuthentication {
  userId: string;
  amr: string[];
  credentialId?: string;
  attested?: boolean;
  deviceBound?: boolean;
  authTime: string;
}

/**
 * `organization`: the organization the journey signs in to (organizations/), given at the start or chosen by a step;
 * `roles` once the journey's user is known to be a member. The end of the journey checks membership and policy again.
 */
export interface JourneyOrganization {
  id: string;
  name: string;
  roles?: string[];
}

// Updates made by the functions below; the objects are not serialisable, so no input can forge one.
const trusted = new WeakSet<ContextUpdate>();

/** A step identified the journey's user (created them, or verified one of their passkeys). */
export function identifiedUser(user: JourneyUser): ContextUpdate {
  const update: ContextUpdate = { path: ['user'], value: { storeName: user.storeName, userId: user.userId } };
  trusted.add(update);
  return update;
}

/** A step verified a passkey ceremony of the journey's user. */
export function authenticatedUser(authentication: JourneyAuthentication): ContextUpdate {
  const update: ContextUpdate = { path: ['_authentication'], value: authentication };
  trusted.add(update);
  return update;
}

/** A step chose the organization the journey signs in to (among the user's memberships). */
export function chosenOrganization(organization: JourneyOrganization): ContextUpdate {
  const update: ContextUpdate = { path: ['organization'], value: organization };
  trusted.add(update);
  return update;
}

export function isIdentityUpdate(update: ContextUpdate): boolean {
  return trusted.has(update);
}
