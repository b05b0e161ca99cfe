import type { EmailService } from '../email/email-service.ts';
import type { IdentityService } from '../identity/identity-service.ts';
import type { OrganizationService } from '../organizations/organization-service.ts';
import type { CeremonyService } from '../passkeys/ceremony-service.ts';
import type { DeviceKeyService } from '../passkeys/device-key-service.ts';
import type { FormService } from './forms/form-service.ts';
import type { PageService } from './pages/page-service.ts';

/**
 * What steps may do outside the journey: the passkey ceremonies, a few reads and writes of users, the journey's
 * own forms and pages, and e-mailing a one-time code. Nothing else of the application is reachable from a step, so a step type's effects are
 * bounded by this list (a new need is added here, on purpose).
 */
export interface StepPort {
  ceremonies: Pick<CeremonyService, 'startRegistration' | 'completeRegistration' | 'startAuthentication' | 'completeAuthentication'>;
  identity: Pick<IdentityService, 'getUser' | 'listUsers' | 'hasPasskeys' | 'createUser' | 'createPendingUser'>;
  forms: Pick<FormService, 'findPublished'>;
  pages: Pick<PageService, 'grant' | 'revoke'>;
  /** One-time codes by e-mail (general.emailOtp); refuses with EMAIL_NOT_CONFIGURED without SMTP. */
  email: Pick<EmailService, 'sendOneTimeCode'>;
  /** Device binding at registration and Known Device Status. */
  devices: Pick<DeviceKeyService, 'verifyBindingProof' | 'bindIn' | 'status'>;
  /** Memberships (Select Organization), and an organization's policy applied to a passkey before it is stored or used. */
  organizations: Pick<OrganizationService, 'membershipsOf' | 'admitPasskey'>;
}
