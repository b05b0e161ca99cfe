import { Type, type Static } from '@sinclair/typebox';
import { KeywayError } from '../errors/keyway-error.ts';

const Aaguid = Type.String({
  pattern: '^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$',
  description: 'An authenticator model’s AAGUID, e.g. cb69481e-8ff7-4039-93ec-0a2729a154a8',
});

/** An organization's sign-in policy: what a member's sign-in must satisfy whenever the organization is the context. */
export const OrganizationPolicySchema = Type.Object(
  {
    passkeyRequired: Type.Boolean({ description: 'A sign-in in this organization must be a verified passkey ceremony' }),
    deviceBoundOnly: Type.Boolean({ description: 'Refuse synced passkeys (backup eligible, WebAuthn §6.1 flag BE)' }),
    aaguidAllowList: Type.Array(Aaguid, { maxItems: 200, description: 'When not empty, only passkeys of these authenticator models' }),
    aaguidDenyList: Type.Array(Aaguid, { maxItems: 200, description: 'Never passkeys of these authenticator models' }),
  },
  { title: 'OrganizationPolicy', additionalProperties: false },
);
export type OrganizationPolicy = Static<typeof OrganizationPolicySchema>;

export const OrganizationPolicyPatch = Type.Partial(OrganizationPolicySchema, { title: 'OrganizationPolicyPatch', additionalProperties: false });
export type OrganizationPolicyPatch = Static<typeof OrganizationPolicyPatch>;

export const DEFAULT_POLICY: OrganizationPolicy = { passkeyRequired: false, deviceBoundOnly: false, aaguidAllowList: [], aaguidDenyList: [] };

/** The stored policy with a patch applied; AAGUIDs lower-cased (the form credentials keep) and without repeats. */
export function mergePolicy(current: OrganizationPolicy, patch: OrganizationPolicyPatch | undefined): OrganizationPolicy {
  const merged = { ...current, ...patch };
  const list = (values: string[]) => [...new Set(values.map((v) => v.toLowerCase()))];
  return { ...merged, aaguidAllowList: list(merged.aaguidAllowList), aaguidDenyList: list(merged.aaguidDenyList) };
}

export function parsePolicy(json: string): OrganizationPolicy {
  return { ...DEFAULT_POLICY, ...(JSON.parse(json) as Partial<OrganizationPolicy>) };
}

/** The passkey a sign-in used, as the policy sees it. */
export interface SignInPasskey {
  aaguid: string;
  backupEligible: boolean;
  /**
   * Whether its attestation was verified against a root the registration policy trusts (or the FIDO metadata). Only
   * then is the AAGUID the authenticator's model; otherwise it is whatever the client said (attestation `none`, self
   * attestation), which any software authenticator can set to an allowed model's.
   */
  attested: boolean;
}

/**
 * Checks a sign-in against the policy, failing closed: without a passkey when one is required, a synced passkey
 * when only device-bound ones are allowed (backup eligibility is fixed at creation, WebAuthn §6.1.3), an
 * authenticator model on the deny list or missing from a non-empty allow list. An allow list admits only passkeys
 * whose model is attested (WebAuthn §6.5.1: the AAGUID is only as trustworthy as the attestation that signs it); the
 * deny list refuses a model whether attested or merely claimed.
 */
export function enforcePolicy(organizationId: string, policy: OrganizationPolicy, passkey: SignInPasskey | undefined): void {
  if (passkey === undefined) {
    if (policy.passkeyRequired || policy.deviceBoundOnly || policy.aaguidAllowList.length > 0)
      throw new KeywayError('ORGANIZATION_PASSKEY_REQUIRED', `Organization ${organizationId} requires signing in with a passkey`);
    return;
  }
  if (policy.deviceBoundOnly && passkey.backupEligible)
    throw new KeywayError('ORGANIZATION_SYNCED_PASSKEY_REFUSED', `Organization ${organizationId} accepts only device-bound passkeys, and this one is synced`);
  const aaguid = passkey.aaguid.toLowerCase();
  if (policy.aaguidAllowList.length > 0 && policy.aaguidAllowList.includes(aaguid) && !passkey.attested)
    throw new KeywayError(
      'ORGANIZATION_AUTHENTICATOR_NOT_ALLOWED',
      `Organization ${organizationId} accepts only passkeys of attested authenticator models, and this one's model (${aaguid}) is not attested`,
    );
  if (policy.aaguidDenyList.includes(aaguid) || (policy.aaguidAllowList.length > 0 && !policy.aaguidAllowList.includes(aaguid)))
    throw new KeywayError(
      'ORGANIZATION_AUTHENTICATOR_NOT_ALLOWED',
      `Organization ${organizationId} does not accept passkeys of this authenticator model (${aaguid})`,
    );
}
