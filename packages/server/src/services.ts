import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Config } from './config/config.ts';
import { AuditService } from './audit/audit-service.ts';
import { BrandingService } from './branding/branding-service.ts';
import { EmailOutbox } from './email/email-outbox.ts';
import { EmailService } from './email/email-service.ts';
import { smtpTransport } from './email/mail-transport.ts';
import { ConsoleService } from './console/console-service.ts';
import { OperatorService } from './console/operator-service.ts';
import { OverviewService } from './console/overview-service.ts';
import { IdentityService } from './identity/identity-service.ts';
import { FormService } from './journeys/forms/form-service.ts';
import { PageService } from './journeys/pages/page-service.ts';
import { CompiledJourneyCache } from './journeys/compiled-journey.ts';
import { KyselyJourneyInstanceStore, journeyInstancesOfDeleted } from './journeys/engine/instance-store.ts';
import { JourneyAccess } from './journeys/engine/journey-access.ts';
import { JourneyCompletion } from './journeys/engine/journey-completion.ts';
import { JourneyEngine } from './journeys/engine/journey-engine.ts';
import { JourneyPlans } from './journeys/engine/journey-plans.ts';
import { JourneyTimers } from './journeys/engine/journey-timers.ts';
import { StepRunner } from './journeys/engine/step-runner.ts';
import { StepRegistry } from './journeys/step-registry.ts';
import type { StepType } from './journeys/step-type.ts';
import { JourneyService } from './journeys/journey-service.ts';
import { DRY_RUN_LIMITS, DryRunLimiter } from './journeys/dry-run/dry-run-limiter.ts';
import { JourneyDryRun } from './journeys/dry-run/journey-dry-run.ts';
import { CeremonyService } from './passkeys/ceremony-service.ts';
import { ceremonySessionsOfDeleted } from './passkeys/ceremony-session-store.ts';
import { selfServiceFlowsOfDeleted } from './selfservice/flows.ts';
import { CredentialService } from './passkeys/credential-service.ts';
import { DeviceKeyService } from './passkeys/device-key-service.ts';
import { AuthenticatorDirectory } from './passkeys/authenticator-directory.ts';
import { MetadataBlobCache, type MetadataProvider } from './passkeys/mds-blob.ts';
import { OidcClientService } from './oidc/oidc-client-service.ts';
import { issuedForDeleted, revokeIssuedForUser } from './oidc/oidc-revocation.ts';
import { OidcLoginService } from './oidc/oidc-login-service.ts';
import { OidcPages } from './oidc/oidc-pages.ts';
import { OidcProviders } from './oidc/oidc-providers.ts';
import { buildHostedAssets, type HostedAssets } from './selfservice/hosted-assets.ts';
import { PolicyService } from './passkeys/policy-service.ts';
import { RelyingPartyService } from './passkeys/relying-party-service.ts';
import { retentionRules } from './retention/retention-rules.ts';
import { RetentionSweeper } from './retention/retention-sweeper.ts';
import type { MasterKey } from './secrets/master-key.ts';
import { selfServiceConfigCheck } from './selfservice/self-service-config.ts';
import { SelfServiceService } from './selfservice/self-service-service.ts';
import type { Clock } from './shared/clock.ts';
import type { Database } from './storage/database.ts';
import { DatabaseLease } from './storage/database-lease.ts';
import { RateLimiter } from './http/rate-limiter.ts';
import { TenancyService } from './tenancy/tenancy-service.ts';
import { SigningKeyService } from './tokens/signing-key-service.ts';
import { OrganizationService } from './organizations/organization-service.ts';

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
  /** Device binding: browsers' device keys bound to users at passkey registration (Known Device Status, device_keys) */
  devices: DeviceKeyService;
  /** Organizations (B2B) of a store: members, domains, sign-in policy */
  organizations: OrganizationService;
  /** Browser self-service: sign-up, sign-in, sessions, recovery */
  selfService: SelfServiceService;
  /** Journey custom forms and custom pages */
  forms: FormService;
  pages: PageService;
  /** Journey definitions, drafts and versions */
  journeyDefinitions: JourneyService;
  /** The journey engine: runs instances */
  journeys: JourneyEngine;
  /** The step types journeys may use: the built-in ones and any passed in */
  stepTypes: StepRegistry;
  /** Fires journey step timeouts as they pass (started by the server; tests tick it) */
  journeyTimers: JourneyTimers;
  /** Each store's logo, colours and languages for its pages, runner and e-mails */
  branding: BrandingService;
  /** Writes stores' e-mails for the outbox (knows whether SMTP is configured) */
  email: EmailService;
  /** Delivers queued e-mails (started by the server; tests tick it) */
  emailOutbox: EmailOutbox;
  /** Deletes what has expired (retention-rules.ts) and abandoned sign-ups (started by the server; tests sweep it) */
  retention: RetentionSweeper;
  /** The OpenID Connect clients of each tenant */
  oidcClients: OidcClientService;
  /** Each tenant's OpenID Provider */
  oidc: OidcProviders;
  /** The provider's passkey login: browser sessions and their amr */
  oidcLogin: OidcLoginService;
  /** The OpenID Provider's own pages (consent, logout, errors), drawn in the hosted pages' frame */
  oidcPages: OidcPages;
  /** The hosted pages' assets, built once, on the first page that needs them */
  hostedAssets: () => HostedAssets;
  /** The console's operators in the browser: enrolment, passkey sign-in, sessions and their access tokens */
  console: ConsoleService;
  /** The console's operators as the admin API manages them */
  operators: OperatorService;
  /** The tenant at a glance, for the console */
  overview: OverviewService;
  /** Journey dry-runs ("Try it") in a sandbox, and their per-tenant bound */
  journeyDryRun: JourneyDryRun;
  journeyDryRunLimiter: DryRunLimiter;
}

export interface ServiceDeps {
  config: Config;
  database: Database;
  clock: Clock;
  /** The database's master key, checked at start-up (startup.ts) */
  masterKey: MasterKey;
  /** Journey step types of the embedding application, besides the built-in ones */
  stepTypes?: readonly StepType[] | undefined;
  /** Where FIDO metadata BLOBs come from; by default a cache that verifies them against FIDO's roots */
  metadata?: MetadataProvider | undefined;
  /** The clock of the OpenID Provider's request limits; default `clock` (a seam for tests: oidc-providers.ts) */
  oidcRateLimitClock?: Clock | undefined;
}

export function createServices({
  config,
  database,
  clock,
  masterKey,
  stepTypes: extraStepTypes,
  metadata: metadataProvider,
  oidcRateLimitClock,
}: ServiceDeps): Services {
  const db = database.db;
  // This node, as the holder of the background jobs' database leases (unique even for two services in one process).
  const node = `${hostname()}:${process.pid}:${randomUUID()}`;
  // Store lookups (by name, tenant-scoped) for the passkey configuration services; IdentityService is stateless.
  const stores = new IdentityService({ db, clock });
  const base = {
    tenancy: new TenancyService({
      db,
      clock,
      accessTokenTtlSeconds: config.accessTokenTtlSeconds,
      tokenRequestsPerMinute: { perAddress: config.rateLimitTokenPerIp, perClient: config.rateLimitTokenPerClient },
    }),
    identity: new IdentityService({
      db,
      clock,
      checkSelfService: selfServiceConfigCheck(config.publicUrl, { emailConfigured: config.smtp !== undefined }),
      // What a user's or a store's deletion ends besides what the foreign keys take, in its transaction
      // (identity/deletion-hooks.ts): the modules above identity hand it their part here.
      deletionHooks: [issuedForDeleted, journeyInstancesOfDeleted, ceremonySessionsOfDeleted, selfServiceFlowsOfDeleted],
    }),
    relyingParties: new RelyingPartyService({ db, clock, identity: stores }),
    policies: new PolicyService({ db, clock, identity: stores, trustDir: config.trustDir }),
    audit: new AuditService({ db }),
    branding: new BrandingService({ db, clock, identity: stores }),
    emailOutbox: new EmailOutbox({
      db,
      clock,
      masterKey,
      lease: new DatabaseLease({ db, clock, name: 'email-outbox', holder: node, ttlMs: 120_000 }),
      transport: config.smtp && smtpTransport(config.smtp),
    }),
    retention: new RetentionSweeper({
      db,
      clock,
      lease: new DatabaseLease({ db, clock, name: 'retention', holder: node, ttlMs: 600_000 }),
      rules: retentionRules({ auditRetentionDays: config.auditRetentionDays }),
    }),
    signingKeys: new SigningKeyService({ db, clock, masterKey, issuerBaseUrl: config.publicUrl }),
    organizations: new OrganizationService({ db, clock, identity: stores }),
  };
  // One cache of FIDO metadata BLOBs per process: attestation trust and the providers' icons (admin API, console, self-service).
  const metadata = metadataProvider ?? new MetadataBlobCache();
  const authenticators = new AuthenticatorDirectory({ db, clock, metadata });
  // The passkey ceremonies use the same service instances (one signing-key cache per process).
  const ceremonies = new CeremonyService({
    db,
    clock,
    identity: base.identity,
    relyingParties: base.relyingParties,
    policies: base.policies,
    signingKeys: base.signingKeys,
    metadata,
  });
  const email = new EmailService({
    db,
    clock,
    masterKey,
    branding: base.branding,
    identity: stores,
    configured: config.smtp !== undefined,
    limiter: new RateLimiter({ db, clock }),
  });
  const devices = new DeviceKeyService({ db, clock, identity: stores });
  const forms = new FormService({ db, clock });
  const pages = new PageService({ db, clock });
  const stepTypes = new StepRegistry(extraStepTypes);
  const instances = new KyselyJourneyInstanceStore(db);
  const plans = new JourneyPlans(instances, new CompiledJourneyCache(500, stepTypes));
  const services: Omit<
    Services,
    'selfService' | 'journeyTimers' | 'oidcClients' | 'oidc' | 'oidcLogin' | 'oidcPages' | 'hostedAssets' | 'console' | 'operators' | 'overview'
  > = {
    ...base,
    email,
    ceremonies,
    credentials: new CredentialService({ db, clock, identity: stores, authenticators }),
    devices,
    forms,
    pages,
    stepTypes,
    journeyDefinitions: new JourneyService({ db, clock, stepTypes, instances }),
    journeys: new JourneyEngine({
      clock,
      store: instances,
      access: new JourneyAccess({
        relyingParties: base.relyingParties,
        limiter: new RateLimiter({ db, clock }),
        publicStartsPerMinute: config.rateLimitPerIp,
      }),
      // Steps reach the application only through this port.
      runner: new StepRunner({
        clock,
        port: { ceremonies, identity: base.identity, forms, pages, email, devices, organizations: base.organizations },
        identity: base.identity,
        plans,
      }),
      completion: new JourneyCompletion({ identity: base.identity, signingKeys: base.signingKeys, devices, organizations: base.organizations }),
      identity: base.identity,
      organizations: base.organizations,
      plans,
    }),
    journeyDryRun: new JourneyDryRun({
      clock,
      stepTypes,
      identity: base.identity,
      relyingParties: base.relyingParties,
      policies: base.policies,
      forms,
      pages,
      organizations: base.organizations,
      plans,
      email,
    }),
    journeyDryRunLimiter: new DryRunLimiter(clock, DRY_RUN_LIMITS),
  };
  const journeyTimers = new JourneyTimers({
    lease: new DatabaseLease({ db, clock, name: 'journey-timers', holder: node, ttlMs: 30_000 }),
    store: instances,
    fire: (instance) => services.journeys.fireTimeout(instance),
    now: () => clock.now().getTime(),
  });
  const selfService = new SelfServiceService({
    db,
    clock,
    identity: services.identity,
    ceremonies: services.ceremonies,
    credentials: services.credentials,
    relyingParties: services.relyingParties,
    policies: services.policies,
    authenticators,
    publicUrl: config.publicUrl,
    rateLimitPerIp: config.rateLimitPerIp,
    rateLimitPerIdentifier: config.rateLimitPerIdentifier,
    masterKey,
    email,
    endClientSessions: revokeIssuedForUser,
  });
  const oidcClients = new OidcClientService({ db, clock });
  let builtHostedAssets: HostedAssets | undefined;
  const hostedAssets = () => (builtHostedAssets ??= buildHostedAssets());
  const oidcPages = new OidcPages({ db, stylesheet: () => hostedAssets().forPage('signin').stylesheet, branding: base.branding });
  const oidc = new OidcProviders({
    db,
    clock,
    masterKey,
    publicUrl: config.publicUrl,
    signingKeys: base.signingKeys,
    clients: oidcClients,
    organizations: base.organizations,
    pages: oidcPages,
    authorizationsPerMinute: { authorization: config.rateLimitPerIp, pushed: config.rateLimitTokenPerIp },
    rateLimitClock: oidcRateLimitClock,
  });
  const all: Services = {
    ...services,
    selfService,
    journeyTimers,
    oidcClients,
    oidc,
    oidcLogin: new OidcLoginService({ db, clock }),
    oidcPages,
    hostedAssets,
    console: new ConsoleService({ db, clock, publicUrl: config.publicUrl, ceremoniesPerMinute: config.rateLimitPerIp }),
    operators: new OperatorService({ db, clock, publicUrl: config.publicUrl }),
    overview: new OverviewService({ db, clock, authenticators }),
  };
  return all;
}

/**
 * Stops the node's background jobs (journey timers, e-mail outbox, retention sweep) and gives up the database leases
 * it holds, so another node takes the jobs over at once. A job that never started stops at once and sends nothing.
 */
export async function stopBackgroundJobs(services: Pick<Services, 'journeyTimers' | 'emailOutbox' | 'retention'>): Promise<void> {
  await services.journeyTimers.stop();
  await services.emailOutbox.stop();
  await services.retention.stop();
}
