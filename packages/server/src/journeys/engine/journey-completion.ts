import { appendAuditEvent } from '../../audit/audit-log.ts';
import { isSignInBarred } from '../../identity/user-record.ts';
import { KeywayError } from '../../errors/keyway-error.ts';
import type { IdentityService } from '../../identity/identity-service.ts';
import type { DeviceKeyService } from '../../passkeys/device-key-service.ts';
import type { OrganizationService } from '../../organizations/organization-service.ts';
import type { SigningKeyService } from '../../tokens/signing-key-service.ts';
import type { InTransaction, JourneyInstance } from './instance-store.ts';
import type { JourneyVariables } from './journey-variables.ts';
import { StepFailure } from './step-failure.ts';

export interface JourneyCompletionDeps {
  identity: Pick<IdentityService, 'getUser'>;
  signingKeys: Pick<SigningKeyService, 'issueIdToken' | 'issuer'>;
  /** The user's bound devices for the `device_keys` claim (absent: no claim). */
  devices?: Pick<DeviceKeyService, 'activeKeyIds'>;
  organizations: Pick<OrganizationService, 'admitSignIn'>;
}

/** How a journey ended, as recorded in its audit event. */
export type JourneyEnd = { result: 'success' } | { result: 'rejection'; code: string; stepId?: string | undefined };

/** The end of a journey: what a success answers (the user, an ID token) and the audit event of every end. */
export class JourneyCompletion {
  readonly #identity: JourneyCompletionDeps['identity'];
  readonly #signingKeys: JourneyCompletionDeps['signingKeys'];
  readonly #devices: JourneyCompletionDeps['devices'];
  readonly #organizations: JourneyCompletionDeps['organizations'];

  constructor(deps: JourneyCompletionDeps) {
    this.#identity = deps.identity;
    this.#signingKeys = deps.signingKeys;
    this.#devices = deps.devices;
    this.#organizations = deps.organizations;
  }

  /**
   * The data of a success. An ID token only for a user the journey authenticated (a passkey ceremony of that very
   * user), and the user record only for a user the journey itself identified: a user merely named by the API client
   * that started it is neither. A success without a user, or with one since locked or disabled, fails.
   */
  async successData(tenantId: string, instance: Pick<JourneyInstance, 'startedBy' | 'origin'>, vars: JourneyVariables): Promise<unknown> {
    const user = vars.user;
    if (!user) throw new StepFailure('JOURNEY_NO_USER', 'the journey ended in success without identifying a user');
    const record = await this.#identity.getUser(tenantId, user.storeName, { id: user.userId });
    if (isSignInBarred(record.status)) throw new KeywayError('USER_DISABLED', `the user is ${record.status}`);
    const auth = vars.authenticationOf(user.userId);
    if (!auth && !vars.userIdentified) return {};
    // With an organization context the user must be its member and the passkey must satisfy its policy, whatever
    // the steps did: a refusal here ends the journey as a rejection with the organization's code.
    const context = vars.organization;
    const membership = context ? await this.#organizations.admitSignIn(tenantId, user.storeName, context.id, user.userId, auth?.credentialId) : undefined;
    const organization = membership ? { organization: { id: membership.organizationId, name: membership.name, roles: membership.roles } } : {};
    if (!auth) return { user: { ...record, storeName: user.storeName }, ...organization };
    const deviceKeys = (await this.#devices?.activeKeyIds(tenantId, record.id)) ?? [];
    const audience = instance.startedBy === 'public' ? (instance.origin ?? tenantId) : instance.startedBy;
    const idToken = await this.#signingKeys.issueIdToken(tenantId, {
      sub: record.id,
      aud: audience,
      authTime: new Date(auth.authTime),
      amr: auth.amr,
      store: user.storeName,
      externalId: record.externalId,
      credentialId: auth.credentialId,
      attested: auth.attested,
      deviceBound: auth.deviceBound,
      ...(deviceKeys.length > 0 ? { deviceKeys } : {}),
      ...(membership ? { orgId: membership.organizationId, orgRoles: membership.roles } : {}),
    });
    return { user: { ...record, storeName: user.storeName }, ...organization, idToken, tokenType: 'id_token', issuer: this.#signingKeys.issuer(tenantId) };
  }

  /** The end of a journey is a security event (a sign-in, a registration, or a refusal): audited in the commit that ends it. */
  audit(tenantId: string, instance: Pick<JourneyInstance, 'id' | 'startedBy'>, vars: JourneyVariables, end: JourneyEnd, now: Date): InTransaction {
    const journey = vars.journey;
    const userId = vars.user?.userId;
    // How a success authenticated its user (RFC 8176), e.g. ['otp'] for an e-mail code: the sign-in's audit record.
    const amr = end.result === 'success' && userId ? vars.authenticationOf(userId)?.amr : undefined;
    return (trx) =>
      appendAuditEvent(
        trx,
        { tenantId, actor: instance.startedBy === 'public' ? 'journey:public' : instance.startedBy },
        {
          action: end.result === 'success' ? 'journey.success' : 'journey.rejection',
          targetType: 'journey',
          targetId: journey.id,
          outcome: end.result === 'success' ? 'success' : 'failure',
          details: {
            instanceId: instance.id,
            version: journey.version,
            ...(userId ? { userId } : {}),
            ...(amr ? { amr } : {}),
            ...(end.result === 'rejection' ? { code: end.code, stepId: end.stepId ?? null } : {}),
          },
        },
        now,
      ).then(() => undefined);
  }
}
