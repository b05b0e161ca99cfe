import type { Config } from './config/config.ts';
import { AuditService } from './audit/audit-service.ts';
import { IdentityService } from './identity/identity-service.ts';
import { CeremonyService } from './passkeys/ceremony-service.ts';
import { CredentialService } from './passkeys/credential-service.ts';
import { MetadataBlobCache } from './passkeys/mds-blob.ts';
import { PolicyService } from './passkeys/policy-service.ts';
import { RelyingPartyService } from './passkeys/relying-party-service.ts';
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
}

export interface ServiceDeps {
  config: Config;
  database: Database;
  clock: Clock;
}

export function createServices({ config, database, clock }: ServiceDeps): Services {
  const db = database.db;
  // Store lookups (by name, tenant-scoped) for the passkey configuration services; IdentityService is stateless.
  const stores = new IdentityService({ db, clock });
  const base = {
    tenancy: new TenancyService({ db, clock, accessTokenTtlSeconds: config.accessTokenTtlSeconds }),
    identity: new IdentityService({ db, clock }),
    relyingParties: new RelyingPartyService({ db, clock, identity: stores }),
    policies: new PolicyService({ db, clock, identity: stores, trustDir: config.trustDir }),
    audit: new AuditService({ db }),
    signingKeys: new SigningKeyService({ db, clock, issuerBaseUrl: config.publicUrl }),
  };
  return {
    ...base,
    // The passkey ceremonies use the same service instances (one signing-key cache per process).
    ceremonies: new CeremonyService({ db, clock, identity: base.identity, relyingParties: base.relyingParties, policies: base.policies, signingKeys: base.signingKeys, metadata: new MetadataBlobCache() }),
    credentials: new CredentialService({ db, clock, identity: stores }),
  };
}
