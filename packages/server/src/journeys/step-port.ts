import type { IdentityService } from '../identity/identity-service.ts';
import type { OrganizationService } from '../organizations/organization-service.ts';
import type { CeremonyService } from '../passkeys/ceremony-service.ts';
import type { FormService } from './forms/form-service.ts';
import type { PageService } from './pages/page-service.ts';

/**
 * What steps may do outside the journey: the passkey ceremonies, a few reads and writes of users, and the journey's
 * own forms and pages. Nothing else of the application is reachable from a step, so a step type's effects are
 * bounded by this list (a new need is added here, on purpose).
 */
export interface StepPort {
  ceremonies: Pick<CeremonyService, 'startRegistration' | 'completeRegistration' | 'startAuthentication' | 'completeAuthentication'>;
  identity: Pick<IdentityService, 'getUser' | 'listUsers' | 'createUser' | 'createPendingUser'>;
  forms: Pick<FormService, 'findPublished'>;
  pages: Pick<PageService, 'grant' | 'revoke'>;
  organizations: Pick<OrganizationService, 'membershipsOf'>;
}
