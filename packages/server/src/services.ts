import type { Config } from './config/config.ts';
import { AuditService } from './audit/audit-service.ts';
import { BrandingService } from './branding/branding-service.ts';
import { ConsoleService } from './console/console-service.ts';
import { OperatorService } from './console/operator-service.ts';
import { OverviewService } from './console/overview-service.ts';
import { IdentityService } from './identity/identity-service.ts';
import { FormService } from './journeys/forms/form-service.ts';
import { PageService } from './journeys/pages/page-service.ts';
import { JourneyEngine } from './journeys/engine.ts';
import { JourneyService } from './journeys/journey-service.ts';
import { CeremonyService } from './passkeys/ceremony-service.ts';
import { CredentialService } from './passkeys/credential-service.ts';
import { MetadataBlobCache } from './passkeys/mds-blob.ts';
import { PolicyService } from './passkeys/policy-service.ts';
import { RelyingPartyService } from './passkeys/relying-party-service.ts';
import type { MasterKey } from './secrets/master-key.ts';
import { selfServiceConfigCheck } from './selfservice/self-service-config.ts';
import { SelfServiceService } from './selfservice/self-service-service.ts';
import type { Clock } from './shared/clock.ts';
import type { Database } from './storage/database.ts';
import { TenancyService } from './tenancy/tenancy-service.ts';
import { SigningKeyService } from './tokens/signing-key-service.ts';

/** Every domain service, built once per process from explicit dependencies (no singletons). */
export interface Services {
  tenancy: TenancyService;
  identity: IdentityService;
  relyingParties: RelyingPartyService;
  policies: PolicyService;
  audit: AuditService;
  signingKeys: SigningKeyService;
  ceremonies: CeremonyService;
  credentials: CredentialService;
  /** Browser self-service: sign-up, sign-in, sessions, recovery */
  selfService: SelfServiceService;
  /** Journey custom forms and custom pages */
  forms: FormService;
  pages: PageService;
  /** Journey definitions, drafts and versions */
  journeyDefinitions: JourneyService;
  /** The journey engine: runs instances */
  journeys: JourneyEngine;
  /** Each store's logo, colours and languages for its pages, runner and e-mails */
  branding: BrandingService;
  /** The console's operators in the browser: enrolment, passkey sign-in, sessions and their access tokens */
  console: ConsoleService;
  /** The console's operators as the admin API manages them */
  operators: OperatorService;
  /** The tenant at a glance, for the console */
  overview: OverviewService;
}

export interface ServiceDeps {
  config: Config;
  database: Database;
  clock: Clock;
  /** The database's master key, checked at start-up (startup.ts) */
  masterKey: MasterKey;
}

export function createServices({ config, database, clock, masterKey }: ServiceDeps): Services {
  const db = database.db;
  // Store lookups (by name, tenant-scoped) for the passkey configuration services; IdentityService is stateless.
  const stores = new IdentityService({ db, clock });
  const base = {
    tenancy: new TenancyService({
      db,
      clock,
      accessTokenTtlSeconds: config.accessTokenTtlSeconds,
      tokenRequestsPerMinute: { perAddress: config.rateLimitTokenPerIp, perClient: config.rateLimitTokenPerClient },
    }),
    identity: new IdentityService({ db, clock, checkSelfService: selfServiceConfigCheck(config.publicUrl) }),
    relyingParties: new RelyingPartyService({ db, clock, identity: stores }),
    policies: new PolicyService({ db, clock, identity: stores, trustDir: config.trustDir }),
    audit: new AuditService({ db }),
    branding: new BrandingService({ db, clock, identity: stores }),
    signingKeys: new SigningKeyService({ db, clock, masterKey, issuerBaseUrl: config.publicUrl }),
  };
  // One cache of FIDO metadata BLOBs per process: attestation trust and self-service's authenticator icons.
  const metadata = new MetadataBlobCache();
  const services: Omit<Services, 'selfService' | 'console' | 'operators' | 'overview'> = {
    ...base,
    // The passkey ceremonies use the same service instances (one signing-key cache per process).
    ceremonies: new CeremonyService({
      db,
      clock,
      identity: base.identity,
      relyingParties: base.relyingParties,
      policies: base.policies,
      signingKeys: base.signingKeys,
      metadata,
    }),
    credentials: new CredentialService({ db, clock, identity: stores }),
    forms: new FormService({ db, clock }),
    pages: new PageService({ db, clock }),
    journeyDefinitions: new JourneyService({ db, clock }),
    // Steps get the whole service set; it exists once this function returns.
    journeys: new JourneyEngine({ db, clock, services: () => all, publicStartsPerMinute: config.rateLimitPerIp }),
  };
  const selfService = new SelfServiceService({
    db,
    clock,
    identity: services.identity,
    ceremonies: services.ceremonies,
    credentials: services.credentials,
    policies: services.policies,
    metadata,
    publicUrl: config.publicUrl,
    rateLimitPerIp: config.rateLimitPerIp,
    rateLimitPerIdentifier: config.rateLimitPerIdentifier,
    masterKey,
  });
  const all: Services = {
    ...services,
    selfService,
    console: new ConsoleService({ db, clock, publicUrl: config.publicUrl, ceremoniesPerMinute: config.rateLimitPerIp }),
    operators: new OperatorService({ db, clock, publicUrl: config.publicUrl }),
    overview: new OverviewService({ db, clock }),
  };
  return all;
}
