import type { CeremonyAdmission } from '../../passkeys/ceremony-service.ts';
import type { JourneyOrganization } from '../journey-identity.ts';
import type { StepContext } from '../step-type.ts';

/**
 * An organization's policy on the passkey of a ceremony in the journey's organization context (passkey required,
 * AAGUID allow and deny lists, device-bound only), checked by the ceremony once the browser's response is verified and
 * before the credential is stored or its use recorded: a disallowed authenticator is refused with the policy's code
 * (ORGANIZATION_AUTHENTICATOR_NOT_ALLOWED, ORGANIZATION_SYNCED_PASSKEY_REFUSED), not merely at the journey's end. A
 * sign-in (`member`) also requires the user to be the organization's member; a registration does not (the user may be
 * joining: the end checks membership). No organization context: undefined, nothing to check.
 */
export function organizationAdmission(
  ctx: StepContext,
  storeName: string,
  kind: 'registration' | 'sign-in',
  organizationId: string | undefined = (ctx.vars.organization as JourneyOrganization | null | undefined)?.id,
): CeremonyAdmission | undefined {
  if (organizationId === undefined) return undefined;
  return (passkey) => ctx.port.organizations.admitPasskey(ctx.tenantId, storeName, organizationId, passkey, kind === 'sign-in' ? passkey.userId : undefined);
}
